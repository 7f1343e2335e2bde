// Pod sysctls as the kubelet admits them (pkg/kubelet/sysctl): the safe set is allowed by
// default, everything else is refused at admission (the pod fails: SysctlForbidden), and a
// namespaced sysctl is refused where the pod shares that namespace with the host. The admitted
// ones are set by the shim in the pod's namespaces before any container starts.
import type { Pod } from 'kubernetes-types/core/v1';

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

/** A sysctl name with `.` separators (Kubernetes also takes `/`: net/ipv4/tcp_syncookies). */
export function canonicalSysctl(name: string): string {
  return name.includes('/') ? name.replace(/\//g, '.') : name;
}

/** Why the kubelet rejects the pod's sysctls (the message after "forbidden sysctl: "), or undefined. */
export function forbiddenSysctl(pod: Pod): string | undefined {
  for (const s of pod.spec?.securityContext?.sysctls ?? []) {
    const name = canonicalSysctl(s.name);
    if (!SAFE_SYSCTLS.includes(name)) return `forbidden sysctl: "${s.name}" not allowlisted`;
    if (name.startsWith('net.') && pod.spec?.hostNetwork) return `forbidden sysctl: "${s.name}" not allowed with host net enabled`;
    if (name.startsWith('kernel.shm') && pod.spec?.hostIPC) return `forbidden sysctl: "${s.name}" not allowed with host ipc enabled`;
  }
  return undefined;
}

/** What the shim writes: /proc/sys paths (relative) and values, in the pod's order. */
export function shimSysctls(pod: Pod): { path: string; value: string }[] {
  return (pod.spec?.securityContext?.sysctls ?? []).map((s) => ({ path: canonicalSysctl(s.name).replace(/\./g, '/'), value: s.value }));
}
