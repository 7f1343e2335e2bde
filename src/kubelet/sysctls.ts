// Pod sysctls as the kubelet admits them (pkg/kubelet/sysctl): the safe set is allowed by
// default, namespaced unsafe ones when the engine allows them (--allowed-unsafe-sysctls),
// everything else is refused at admission (the pod fails: SysctlForbidden), and a namespaced
// sysctl is refused where the pod shares that namespace with the host. The admitted
// ones are set by the shim in the pod's namespaces before any container starts.
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';

/** The kubelet's safe sysctls (SafeSysctlAllowlist, as of Kubernetes 1.32). */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

/**
 * A sysctl name with `.` separators (component-helpers' ConvertSysctlVariableToDotsSeparator):
 * when the first separator is `/`, `/` and `.` swap, so `net/ipv4/conf/eth0.100/forwarding`
 * is `net.ipv4.conf.eth0/100.forwarding` (the dot belongs to the interface's name).
 */
export function canonicalSysctl(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** The kernel namespace a sysctl lives in (component-helpers' NamespacedBy); undefined when not known to be namespaced. */
export function namespacedBy(name: string): 'ipc' | 'net' | undefined {
  if (name === 'kernel.sem') return 'ipc';
  if (name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name.startsWith('fs.mqueue.')) return 'ipc';
  if (name.startsWith('net.')) return 'net';
  return undefined;
}

const SYSCTL_PATTERN_FMT = '^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*(\\*|[a-z0-9]([-_a-z0-9]*[a-z0-9])?\\*?)$';

/**
 * The sysctls a pod may set: the safe set and the engine's --allowed-unsafe-sysctls, names or
 * patterns ending in `*` (the kubelet's patternAllowlist). A pattern outside the namespaced
 * ones (kernel.core_pattern, vm.*, kernel.hostname: the kubelet does not know the UTS ones)
 * is refused here, as the kubelet refuses to start with it: setting it would change the host.
 */
export class SysctlAllowlist {
  private readonly names = new Map<string, 'ipc' | 'net'>();
  private readonly prefixes = new Map<string, 'ipc' | 'net'>();

  constructor(unsafe: readonly string[] = []) {
    for (const s of [...SAFE_SYSCTLS, ...unsafe]) {
      if (s.length > 253 || !new RegExp(SYSCTL_PATTERN_FMT).test(s)) {
        throw new PodrunError('Invalid', `sysctl "${s}" must have at most 253 characters and match regex ${SYSCTL_PATTERN_FMT}`);
      }
      const name = canonicalSysctl(s);
      const prefix = name.endsWith('*') ? name.slice(0, -1) : undefined;
      const ns = namespacedBy(prefix ?? name);
      if (!ns) throw new PodrunError('Invalid', prefix !== undefined ? `the sysctls "${name}" are not known to be namespaced` : `the sysctl "${name}" are not known to be namespaced`);
      if (prefix !== undefined) this.prefixes.set(prefix, ns);
      else this.names.set(name, ns);
    }
  }

  /** Why the kubelet would refuse this sysctl for a pod (validateSysctl), or undefined. */
  refusal(sysctl: string, hostNet: boolean, hostIPC: boolean): string | undefined {
    const name = canonicalSysctl(sysctl);
    let ns = this.names.get(name);
    if (!ns) for (const [p, n] of this.prefixes) if (name.startsWith(p)) ns = n;
    if (!ns) return `"${name}" not allowlisted`;
    if ((ns === 'ipc' && hostIPC) || (ns === 'net' && hostNet)) return `"${name}" not allowed with host ${ns} enabled`;
    return undefined;
  }
}

const DEFAULT_ALLOWLIST = new SysctlAllowlist();

/** Why the kubelet rejects the pod's sysctls (its SysctlForbidden message), or undefined. */
export function forbiddenSysctl(pod: Pod, allowlist: SysctlAllowlist = DEFAULT_ALLOWLIST): string | undefined {
  for (const s of pod.spec?.securityContext?.sysctls ?? []) {
    const why = allowlist.refusal(s.name, pod.spec?.hostNetwork === true, pod.spec?.hostIPC === true);
    if (why) return `forbidden sysctl: ${why}`;
  }
  return undefined;
}

/** What the shim writes: /proc/sys paths (relative) and values, in the pod's order. */
export function shimSysctls(pod: Pod): { path: string; value: string }[] {
  // The path is the dotted name with `.` and `/` swapped back (an interface's dot stays a dot).
  return (pod.spec?.securityContext?.sysctls ?? []).map((s) => ({ path: canonicalSysctl(s.name).replace(/[./]/g, (c) => (c === '.' ? '/' : '.')), value: s.value }));
}
