// Waiting on pods through the watch (no polling): until a condition over the current pods holds.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Podrun } from '../../src/podrun';

/**
 * Resolves with the pods once `test` holds for them, checked on every change the watch pushes;
 * `sample` sees the pods after each change (from the end of the first listing on). Throws
 * naming `what` after `timeoutMs`.
 */
export async function podsUntil(podrun: Podrun, test: (pods: Pod[]) => boolean, what: string, opts: { timeoutMs?: number; sample?: (pods: Pod[]) => void; namespace?: string } = {}): Promise<Pod[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 30_000);
  const pods = new Map<string, Pod>();
  let listed = false;
  try {
    for await (const ev of podrun.watch({ kinds: ['Pod'], signal: ac.signal, namespace: opts.namespace, allowBookmarks: true })) {
      if (ev.type === 'EVENT') continue;
      if (ev.type === 'BOOKMARK') listed = true;
      else if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.uid!);
      else pods.set(ev.object.metadata!.uid!, ev.object);
      if (!listed) continue;
      const now = [...pods.values()];
      opts.sample?.(now);
      if (test(now)) return now;
    }
  } finally {
    clearTimeout(timer);
  }
  const now = await podrun.listPods(opts.namespace);
  if (test(now)) return now;
  throw new Error(`timed out waiting for ${what}: ${[...pods.values()].map((p) => `${p.metadata?.name} ${p.status?.phase}${p.metadata?.deletionTimestamp ? ' deleting' : ''}`).join(', ')}`);
}
