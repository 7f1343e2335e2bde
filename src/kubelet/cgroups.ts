// Whether a pod's resource limits are enforced here (src/cgroups decides: cgroup v2 with a
// delegated subtree, or cgroup v1 as root); where they are not, podrun says so once and runs the
// pod anyway, as it says of any missing optional feature.
import type { Pod, ResourceRequirements } from 'kubernetes-types/core/v1';
import { Cgroups } from '../cgroups/manager';

export interface CgroupSupport {
  available: boolean;
  /** Why not, in one line, when unavailable. */
  reason?: string;
}

/** Whether this process's user has enforced limits on this host, and why not. */
export function limitsSupport(rootless = (process.getuid?.() ?? 0) !== 0): CgroupSupport {
  const c = Cgroups.detect(rootless);
  return c.available ? { available: true } : { available: false, reason: c.reason };
}

/** Whether the pod (spec.resources) or any container asks for cpu, memory or pids limits or requests. */
export function wantsLimits(pod: Pod): boolean {
  const podLevel = (pod.spec as { resources?: ResourceRequirements } | undefined)?.resources;
  const all = [...(podLevel ? [{ resources: podLevel }] : []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.some((c) => Object.keys({ ...c.resources?.limits, ...c.resources?.requests }).some((r) => r === 'cpu' || r === 'memory' || r === 'pids'));
}
