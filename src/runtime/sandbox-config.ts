// What a runtime is asked to make of a pod sandbox: CRI's PodSandboxConfig, in podrun's types,
// and the Pod-shaped description podrun's sandbox code (kubelet/pod-sandbox.ts, the network's
// prepare, the /etc files) reads. A sandbox has no containers of its own: the pod made here
// carries only what a sandbox owns (names, namespaces, DNS, sysctls, published ports).
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface RuntimePortMapping {
  protocol: 'TCP' | 'UDP';
  containerPort: number;
  hostPort: number;
  /** '' for every address of the host. */
  hostIP: string;
}

export interface RuntimeSandboxConfig {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  /** '' : the sandbox's name. */
  hostname: string;
  /** Where the kubelet wants container logs (log_path of a container is under it). */
  logDirectory: string;
  /** Written as the sandbox's resolv.conf; absent or empty: the host's. */
  dns?: { servers: string[]; searches: string[]; options: string[] };
  portMappings: RuntimePortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  sysctls: Record<string, string>;
  /** The kubelet's cgroup for the pod (cgroupfs form, from the hierarchy's root): the sandbox's cgroups go below it. */
  cgroupParent?: string;
}

/** The pod podrun's sandbox code makes a sandbox from; `field` prefixes errors. */
export function sandboxPod(c: RuntimeSandboxConfig, field = 'config'): Pod {
  const ns = `${field}.linux.security_context.namespace_options`;
  for (const [k, mode, allowed] of [['network', c.network, ['POD', 'NODE']], ['ipc', c.ipc, ['POD', 'NODE']], ['pid', c.pid, ['POD', 'CONTAINER', 'NODE']]] as const) {
    if (!(allowed as readonly string[]).includes(mode)) throw new PodrunError('Invalid', `${ns}.${k}: Unsupported value: "${mode}": supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  const dns = c.dns && (c.dns.servers.length || c.dns.searches.length || c.dns.options.length) ? c.dns : undefined;
  // No hostname asked: the sandbox's name, cut to what the kernel takes (a kubelet always sends one).
  const hostname = c.hostname || c.name.slice(0, 63).replace(/[^-a-z0-9.]/gi, '-').replace(/^[-.]+|[-.]+$/g, '') || 'sandbox';
  if (!/^[a-z0-9]([-a-z0-9.]{0,62})?$/i.test(hostname)) throw new PodrunError('Invalid', `${field}.hostname: Invalid value: "${hostname}": not a valid hostname (letters, digits, '-' and '.', at most 63)`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: c.name, namespace: c.namespace, uid: c.uid, labels: c.labels, annotations: c.annotations },
    spec: {
      hostname,
      hostNetwork: c.network === 'NODE',
      hostIPC: c.ipc === 'NODE',
      shareProcessNamespace: c.pid === 'POD',
      hostPID: c.pid === 'NODE',
      // dns_config is the whole resolv.conf when given (the kubelet computed it); else the host's.
      dnsPolicy: dns ? 'None' : 'Default',
      dnsConfig: dns ? { nameservers: dns.servers, searches: dns.searches, options: dns.options.map(dnsOption) } : undefined,
      securityContext: Object.keys(c.sysctls).length ? { sysctls: Object.entries(c.sysctls).map(([name, value]) => ({ name, value })) } : undefined,
      // The published ports, where the network's prepare reads them.
      containers: [{ name: 'sandbox', ports: c.portMappings.map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort || undefined, hostIP: p.hostIP || undefined })) }],
    },
  };
}

/** "ndots:5" → { name: ndots, value: 5 }. */
function dnsOption(o: string): { name: string; value?: string } {
  const i = o.indexOf(':');
  return i < 0 ? { name: o } : { name: o.slice(0, i), value: o.slice(i + 1) };
}
