// Resource limits need a delegated cgroup v2 subtree: the unified hierarchy mounted at
// /sys/fs/cgroup with its controllers, and our own cgroup writable. Hybrid and v1 hosts (this
// project's CI machine among them) have none; podrun then says so once and runs the pod anyway.
import * as fs from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';

export interface CgroupSupport {
  available: boolean;
  /** Why not, in one line, when unavailable. */
  reason?: string;
}

export function detectCgroupV2(root = '/sys/fs/cgroup'): CgroupSupport {
  let controllers: string;
  try {
    controllers = fs.readFileSync(`${root}/cgroup.controllers`, 'utf8').trim();
  } catch {
    return { available: false, reason: `cgroup v2 is not mounted at ${root} (a v1 or hybrid host)` };
  }
  const own = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  try {
    fs.accessSync(`${root}${own}/cgroup.subtree_control`, fs.constants.W_OK);
  } catch {
    return { available: false, reason: `the cgroup ${own} is not delegated to this user (no write access to its cgroup.subtree_control)` };
  }
  const needed = ['cpu', 'memory', 'pids'].filter((c) => !controllers.split(' ').includes(c));
  if (needed.length) return { available: false, reason: `cgroup v2 lacks the controllers: ${needed.join(', ')}` };
  return { available: true };
}

/** Whether any container asks for cpu, memory or pids limits or requests. */
export function wantsLimits(pod: Pod): boolean {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.some((c) => Object.keys({ ...c.resources?.limits, ...c.resources?.requests }).some((r) => r === 'cpu' || r === 'memory' || r === 'pids'));
}
