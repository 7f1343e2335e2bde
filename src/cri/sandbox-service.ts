// CRI's pod sandbox calls onto podrun's runtime service: RunPodSandbox, StopPodSandbox,
// RemovePodSandbox, PodSandboxStatus and ListPodSandbox. Requests are read field by field
// (sandboxConfig); answers carry what the runtime recorded.
import { status } from '@grpc/grpc-js';
import type { SandboxView } from '../runtime/cri-records';
import type { RuntimeService } from '../runtime/runtime-service';
import type { RuntimeSandboxConfig } from '../runtime/sandbox-config';
import type { ContainerStatus } from './container-messages';
import type { Empty } from './messages';
import type { ListPodSandboxRequest, ListPodSandboxResponse, NamespaceOption, PodSandbox, PodSandboxConfig, PodSandboxIdRequest, PodSandboxStatusRequest, PodSandboxStatusResponse, RunPodSandboxRequest } from './sandbox-messages';
import { CriError, invalidField } from './status';

/** A PodSandboxConfig as the runtime takes it; `rootless`: privileged is refused. */
export function sandboxConfig(c: PodSandboxConfig | null | undefined, rootless: boolean, field = 'config'): RuntimeSandboxConfig {
  if (!c) throw invalidField(field, 'Required value');
  const m = c.metadata;
  if (!m) throw invalidField(`${field}.metadata`, 'Required value');
  for (const k of ['name', 'uid', 'namespace'] as const) if (!m[k]) throw invalidField(`${field}.metadata.${k}`, 'Required value');
  const sc = c.linux?.security_context;
  const ns = sc?.namespace_options;
  if (sc?.privileged && rootless) throw invalidField(`${field}.linux.security_context.privileged`, 'a privileged sandbox needs root: podrun runs rootless here');
  if (ns?.userns_options && ns.userns_options.mode !== 'NODE') throw invalidField(`${field}.linux.security_context.namespace_options.userns_options.mode`, `Unsupported value: "${ns.userns_options.mode}": podrun makes no user namespace per sandbox over CRI yet`);
  const portMappings = c.port_mappings.map((p, i) => {
    if (p.protocol === 'SCTP') throw invalidField(`${field}.port_mappings[${i}].protocol`, 'Unsupported value: "SCTP": podrun publishes "TCP" and "UDP"');
    if (p.host_port < 0 || p.host_port > 65535) throw invalidField(`${field}.port_mappings[${i}].host_port`, `Invalid value: ${p.host_port}: must be between 0 and 65535`);
    if (p.container_port < 1 || p.container_port > 65535) throw invalidField(`${field}.port_mappings[${i}].container_port`, `Invalid value: ${p.container_port}: must be between 1 and 65535`);
    return { protocol: p.protocol, containerPort: p.container_port, hostPort: p.host_port, hostIP: p.host_ip };
  });
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    attempt: m.attempt,
    hostname: c.hostname,
    logDirectory: c.log_directory,
    dns: c.dns_config ? { servers: c.dns_config.servers, searches: c.dns_config.searches, options: c.dns_config.options } : undefined,
    // Only mappings that publish: a container port alone is informational.
    portMappings: portMappings.filter((p) => p.hostPort > 0),
    labels: c.labels,
    annotations: c.annotations,
    // A sandbox without namespace options: its own network and IPC, one PID namespace for all.
    network: ns?.network ?? 'POD',
    pid: ns?.pid ?? 'POD',
    ipc: ns?.ipc ?? 'POD',
    sysctls: c.linux?.sysctls ?? {},
    ...(c.linux?.cgroup_parent ? { cgroupParent: cgroupParent(c.linux.cgroup_parent, `${field}.linux.cgroup_parent`) } : {}),
  };
}

/**
 * A cgroup_parent as a path from the hierarchy's root. The cgroupfs driver's form is one
 * (/kubepods/burstable/pod<uid>); a systemd slice name (kubepods-burstable.slice) is expanded to
 * its path as systemd nests slices (/kubepods.slice/kubepods-burstable.slice).
 */
export function cgroupParent(value: string, field: string): string {
  let p = value;
  if (!p.includes('/') && p.endsWith('.slice')) {
    const parts = p.slice(0, -'.slice'.length).split('-');
    if (parts.some((x) => !x)) throw invalidField(field, `Invalid value: "${value}": not a slice name`);
    p = parts.map((_, i) => `/${parts.slice(0, i + 1).join('-')}.slice`).join('');
  }
  const parts = p.split('/').slice(1);
  if (!p.startsWith('/') || parts.some((x) => !x || x === '.' || x === '..' || !/^[A-Za-z0-9_.:@-]+$/.test(x))) {
    throw invalidField(field, `Invalid value: "${value}": a cgroup path from the root (/kubepods/pod<uid>) or a systemd slice name`);
  }
  return p;
}

function namespaceOptions(c: RuntimeSandboxConfig): Partial<NamespaceOption> {
  return { network: c.network, pid: c.pid, ipc: c.ipc, target_id: '' };
}

function metadataOf(c: RuntimeSandboxConfig) {
  return { name: c.name, uid: c.uid, namespace: c.namespace, attempt: c.attempt };
}

function item(s: SandboxView): PodSandbox {
  return { id: s.id, metadata: metadataOf(s.config), state: s.state, created_at: s.createdAt, labels: s.config.labels, annotations: s.config.annotations, runtime_handler: '' };
}

export class SandboxService {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly rootless: boolean,
    private readonly containerStatuses: (sandboxId: string) => ContainerStatus[],
  ) {}

  async runPodSandbox(req: RunPodSandboxRequest): Promise<{ pod_sandbox_id: string }> {
    if (req.runtime_handler) throw new CriError(status.NOT_FOUND, `runtime_handler: no runtime handler "${req.runtime_handler}": podrun has only the default one ("")`);
    return { pod_sandbox_id: await this.runtime.runPodSandbox(sandboxConfig(req.config, this.rootless)) };
  }

  async stopPodSandbox(req: PodSandboxIdRequest): Promise<Empty> {
    if (!req.pod_sandbox_id) throw invalidField('pod_sandbox_id', 'Required value');
    await this.runtime.stopPodSandbox(req.pod_sandbox_id);
    return {};
  }

  async removePodSandbox(req: PodSandboxIdRequest): Promise<Empty> {
    if (!req.pod_sandbox_id) throw invalidField('pod_sandbox_id', 'Required value');
    await this.runtime.removePodSandbox(req.pod_sandbox_id);
    return {};
  }

  podSandboxStatus(req: PodSandboxStatusRequest): PodSandboxStatusResponse {
    if (!req.pod_sandbox_id) throw invalidField('pod_sandbox_id', 'Required value');
    const s = this.runtime.podSandboxStatus(req.pod_sandbox_id);
    const info: Record<string, string> = req.verbose ? { info: JSON.stringify({ pid: s.shim.pid, startTime: s.shim.startTime, rootless: s.shim.rootless, config: s.config }) } : {};
    return {
      status: {
        id: s.id,
        metadata: metadataOf(s.config),
        state: s.state,
        created_at: s.createdAt,
        network: { ip: s.ip, additional_ips: [] },
        linux: { namespaces: { options: namespaceOptions(s.config) } },
        labels: s.config.labels,
        annotations: s.config.annotations,
        runtime_handler: '',
      },
      info,
      containers_statuses: this.containerStatuses(s.id),
      timestamp: Date.now() * 1e6,
    };
  }

  listPodSandbox(req: ListPodSandboxRequest): ListPodSandboxResponse {
    const f = req.filter;
    const selector = Object.entries(f?.label_selector ?? {});
    const items = this.runtime.listPodSandbox().filter((s) => {
      if (f?.id && !s.id.startsWith(f.id)) return false;
      if (f?.state && s.state !== f.state.state) return false;
      return selector.every(([k, v]) => s.config.labels[k] === v);
    });
    return { items: items.map(item) };
  }
}
