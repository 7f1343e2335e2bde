// A CRI ContainerConfig as podrun's runtime takes it (runtime/container-config.ts): every field
// read, each one podrun cannot honour refused with its name (InvalidArgument), none defaulted
// silently. What the kubelet already did (env sources, $(VAR)) is not done again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import type { ImageRecord } from '../image/types';
import { deviceNode, hostStat } from '../plan/devices';
import type { RuntimeContainerConfig, RuntimeMount } from '../runtime/container-config';
import type { EffectiveProfile } from '../seccomp/effective';
import { CFS_PERIOD_US, MAX_SHARES, MIN_QUOTA_US, MIN_SHARES, type CgroupValues } from '../cgroups/values';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext } from './container-messages';
import type { SecurityProfile } from './sandbox-messages';
import { invalidField } from './status';

export interface ContainerContext {
  image: ImageRecord;
  /** The sandbox's log_directory ('' for none). */
  logDirectory: string;
  /** The sandbox shares one PID namespace among its containers (its namespace_options.pid POD). */
  sandboxSharesPid: boolean;
  /** The sandbox is in the host's PID namespace (its namespace_options.pid NODE). */
  sandboxHostPid: boolean;
  /** The runtime runs without root (in a user namespace). */
  rootless: boolean;
  /** The container name a TARGET PID namespace joins, from its container id. */
  targetName(containerId: string): string;
}

/** A CRI SecurityProfile (or the deprecated path form) as podrun's seccomp code reads it; absent, or privileged: Unconfined. */
export function seccompOf(sp: SecurityProfile | null | undefined, legacy: string, privileged: boolean, field: string): EffectiveProfile {
  // As containerd: a privileged container runs unconfined whatever profile it names.
  if (privileged) return { type: 'Unconfined' };
  if (sp) {
    if (sp.profile_type === 'Localhost') {
      if (!path.isAbsolute(sp.localhost_ref)) throw invalidField(`${field}.seccomp.localhost_ref`, `Invalid value: "${sp.localhost_ref}": must be an absolute path`);
      return { type: 'Localhost', localhostProfile: sp.localhost_ref, file: sp.localhost_ref };
    }
    return { type: sp.profile_type };
  }
  if (legacy === 'unconfined') return { type: 'Unconfined' };
  if (legacy === 'runtime/default' || legacy === 'docker/default') return { type: 'RuntimeDefault' };
  if (legacy.startsWith('localhost/')) return { type: 'Localhost', localhostProfile: legacy.slice(10), file: legacy.slice(10) };
  if (legacy) throw invalidField(`${field}.seccomp_profile_path`, `Unsupported value: "${legacy}"`);
  // None named: unconfined, as containerd and CRI-O read it (the kubelet always names one:
  // RuntimeDefault with --seccomp-default, Unconfined otherwise).
  return { type: 'Unconfined' };
}

function mounts(config: ContainerConfig, rootless: boolean): RuntimeMount[] {
  return config.mounts.map((m, i) => {
    const f = `config.mounts[${i}]`;
    if (!path.isAbsolute(m.container_path)) throw invalidField(`${f}.container_path`, `Invalid value: "${m.container_path}": must be an absolute path`);
    if (m.image?.image) throw invalidField(`${f}.image`, 'image volumes are not supported over CRI by podrun yet');
    if (!path.isAbsolute(m.host_path)) throw invalidField(`${f}.host_path`, `Invalid value: "${m.host_path}": must be an absolute path`);
    // Bidirectional needs the host's mount namespace, which a rootless runtime cannot enter.
    if (m.propagation === 'PROPAGATION_BIDIRECTIONAL' && rootless) throw invalidField(`${f}.propagation`, `Unsupported value: "${m.propagation}": bidirectional propagation needs root (a rootless pod's mounts cannot reach the host's)`);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(m.host_path);
    } catch {
      // As containerd (and docker before it): a missing host path is made, as a folder, but only
      // once the runtime has accepted the whole config (a refused one leaves nothing behind).
    }
    return {
      containerPath: m.container_path,
      hostPath: m.host_path,
      readonly: m.readonly,
      propagation: m.propagation,
      ...(st ? (st.isDirectory() ? {} : { file: true }) : { createHostPath: true }),
    };
  });
}

function security(sc: LinuxContainerSecurityContext | null | undefined): RuntimeContainerConfig['security'] {
  const field = 'config.linux.security_context';
  const privileged = !!sc?.privileged;
  if (sc?.run_as_group && !sc.run_as_user && !sc.run_as_username) throw invalidField(`${field}.run_as_group`, 'a group needs a user: set run_as_user or run_as_username too');
  if (sc?.capabilities?.add_ambient_capabilities.length) throw invalidField(`${field}.capabilities.add_ambient_capabilities`, 'ambient capabilities are not supported by podrun');
  const strip = (names: string[]) => names.map((n) => (n.toUpperCase().startsWith('CAP_') ? n.slice(4) : n).toUpperCase());
  return {
    runAsUser: sc?.run_as_user ? sc.run_as_user.value : undefined,
    runAsGroup: sc?.run_as_group ? sc.run_as_group.value : undefined,
    runAsUsername: sc?.run_as_username || undefined,
    supplementalGroups: sc?.supplemental_groups ?? [],
    imageGroups: (sc?.supplemental_groups_policy ?? 'Merge') !== 'Strict',
    privileged,
    readonlyRootfs: !!sc?.readonly_rootfs,
    capabilities: { add: strip(sc?.capabilities?.add_capabilities ?? []), drop: strip(sc?.capabilities?.drop_capabilities ?? []) },
    noNewPrivs: !!sc?.no_new_privs,
    unmaskedProc: false,
    // Empty lists are the runtime's defaults: proto3 cannot tell them from absent ones.
    ...(sc?.masked_paths.length ? { maskedPaths: sc.masked_paths } : {}),
    ...(sc?.readonly_paths.length ? { readonlyPaths: sc.readonly_paths } : {}),
    seccomp: seccompOf(sc?.seccomp, sc?.seccomp_profile_path ?? '', privileged, field),
  };
}

/** CRI's LinuxContainerResources as cgroup values; what podrun cannot set is refused, naming it. */
export function cgroupValues(r: LinuxContainerResources | null | undefined, field: string): CgroupValues {
  if (!r) return { cpuShares: KERNEL_SHARES };
  if (r.cpuset_cpus) throw invalidField(`${field}.cpuset_cpus`, 'podrun does not manage cpusets');
  if (r.cpuset_mems) throw invalidField(`${field}.cpuset_mems`, 'podrun does not manage cpusets');
  if (Object.keys(r.unified ?? {}).length) throw invalidField(`${field}.unified`, 'podrun writes no raw cgroup v2 files');
  if (r.memory_swap_limit_in_bytes > 0 && r.memory_swap_limit_in_bytes !== r.memory_limit_in_bytes) {
    throw invalidField(`${field}.memory_swap_limit_in_bytes`, `Invalid value: ${r.memory_swap_limit_in_bytes}: podrun's containers get no swap (it must be 0 or the memory limit)`);
  }
  // A quota is per period; podrun's period is CFS_PERIOD_US, so another period scales the quota.
  const period = r.cpu_period > 0 ? r.cpu_period : CFS_PERIOD_US;
  return {
    cpuShares: r.cpu_shares > 0 ? Math.min(MAX_SHARES, Math.max(MIN_SHARES, r.cpu_shares)) : KERNEL_SHARES,
    ...(r.cpu_quota > 0 ? { cpuQuota: Math.max(MIN_QUOTA_US, Math.round((r.cpu_quota * CFS_PERIOD_US) / period)) } : {}),
    ...(r.memory_limit_in_bytes > 0 ? { memoryLimit: r.memory_limit_in_bytes } : {}),
  };
}

/** The OOM score asked (0, proto3's absent value, leaves the inherited one). */
function oomScore(adj: number): { oomScoreAdj?: number } {
  if (adj < -1000 || adj > 1000) throw invalidField('config.linux.resources.oom_score_adj', `Invalid value: ${adj}: must be between -1000 and 1000`);
  return adj === 0 ? {} : { oomScoreAdj: adj };
}

/** cpu.shares when nothing is asked: the kernel's own default. */
const KERNEL_SHARES = 1024;

export function runtimeContainerConfig(config: ContainerConfig, x: ContainerContext): RuntimeContainerConfig {
  const name = config.metadata?.name ?? '';
  if (!name) throw invalidField('config.metadata.name', 'Required value');
  // The name becomes a folder and a cgroup: a file name, with room for the attempt beside it.
  if (!/^[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,199})?$/.test(name)) throw invalidField('config.metadata.name', `Invalid value: "${name}": letters, digits, '-', '_' and '.', at most 200, beginning with a letter or digit`);
  const sc = config.linux?.security_context;
  const ns = sc?.namespace_options;
  let sharePid = x.sandboxSharesPid;
  let targetContainer: string | undefined;
  if (ns) {
    // NODE: the host's, which only a sandbox in the host's PID namespace has to share.
    if (ns.pid === 'NODE' && !x.sandboxHostPid) throw invalidField('config.linux.security_context.namespace_options.pid', "NODE needs a sandbox in the host's PID namespace (its namespace_options.pid NODE)");
    sharePid = ns.pid === 'POD' || ns.pid === 'NODE' || (x.sandboxHostPid && ns.pid !== 'CONTAINER');
    if (ns.pid === 'TARGET') {
      targetContainer = x.targetName(ns.target_id);
      sharePid = true;
    }
  }
  const devices = config.devices.map((d, i) => {
    const access = d.permissions || 'rwm';
    if (!/^(?!.*(.).*\1)[rwm]+$/.test(access)) throw invalidField(`config.devices[${i}].permissions`, `Invalid value: "${access}": some of r, w and m`);
    if (!path.isAbsolute(d.container_path)) throw invalidField(`config.devices[${i}].container_path`, `Invalid value: "${d.container_path}": must be an absolute path`);
    try {
      return deviceNode(d.host_path, d.container_path, access, !access.includes('w'), hostStat, `config.devices[${i}].host_path`);
    } catch (e) {
      throw e instanceof ValidationError ? invalidField(`config.devices[${i}].host_path`, `Invalid value: "${d.host_path}": not a device on this host`) : e;
    }
  });
  return {
    name,
    attempt: config.metadata?.attempt ?? 0,
    field: 'config',
    image: x.image,
    command: config.command,
    args: config.args,
    workingDir: config.working_dir,
    envs: config.envs,
    mounts: mounts(config, x.rootless),
    devices,
    stdin: config.stdin,
    tty: config.tty,
    security: security(sc),
    sharePid,
    ...(targetContainer ? { targetContainer } : {}),
    resources: cgroupValues(config.linux?.resources, 'config.linux.resources'),
    ...oomScore(config.linux?.resources?.oom_score_adj ?? 0),
    // The kubelet's file under the sandbox's log folder; without both, the pod folder's own.
    ...(config.log_path && x.logDirectory ? { logPath: path.join(x.logDirectory, config.log_path) } : {}),
  };
}
