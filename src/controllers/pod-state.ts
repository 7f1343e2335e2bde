// What controllers read of a pod: active or finished, Ready and since when, being deleted.
import type { Pod } from 'kubernetes-types/core/v1';

/** Not finished and not being deleted: it counts toward replicas. */
export function isActive(p: Pod): boolean {
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

export function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** When the pod became Ready (its condition's lastTransitionTime), in ms; undefined when not Ready. */
export function readySince(p: Pod): number | undefined {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'Ready' && x.status === 'True');
  return c ? Date.parse(c.lastTransitionTime ?? '') || 0 : undefined;
}

/**
 * Ready for at least minReadySeconds at `now`. When not yet, `wait` says in how many ms it
 * will be (the controller looks again then).
 */
export function availability(p: Pod, minReadySeconds: number, now: number): { available: boolean; wait?: number } {
  const since = readySince(p);
  if (since === undefined) return { available: false };
  if (minReadySeconds <= 0) return { available: true };
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, wait: at - now };
}

/** The order in which surplus pods are deleted (controller.ActivePods): the least useful first. */
export function deletionRank(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  const phase = (p: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: Pod) => (isReady(p) ? 1 : 0);
  const restarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return (
    assigned(a) - assigned(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    // Ready for less time first.
    (readySince(b) ?? 0) - (readySince(a) ?? 0) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}

/** How many pods are available (Ready for minReadySeconds), and in how many ms the next one will be. */
export function countAvailable(pods: Pod[], minReadySeconds: number, now: number): { available: number; wait?: number } {
  let available = 0;
  let wait: number | undefined;
  for (const p of pods) {
    const a = availability(p, minReadySeconds, now);
    if (a.available) available++;
    else if (a.wait !== undefined) wait = Math.min(wait ?? Infinity, a.wait);
  }
  return { available, ...(wait !== undefined ? { wait } : {}) };
}
