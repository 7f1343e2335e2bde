// What `Podrun.watch` reports between two looks at the pods and events: a Kubernetes watch's
// ADDED / MODIFIED / DELETED for pods, and EVENT for each event recorded or updated. Pure: it
// is given the lists (and the last objects of pods deleted lately, so that a pod's end is shown
// before it goes) and remembers only what it needs to compare the next ones.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { WatchEvent } from './types';

/** What a pod's change is measured on: its metadata and status (the spec of a pod is fixed). */
export function podFingerprint(pod: Pod): string {
  return JSON.stringify([pod.metadata, pod.status]);
}

export class WatchDiff {
  /** Pods by uid: the object as last seen, and what a change is measured on. */
  private readonly pods = new Map<string, { pod: Pod; seen: string }>();
  /** Events by uid: their JSON (count and lastTimestamp change when one repeats). */
  private readonly events = new Map<string, string>();

  /**
   * The changes since the previous call (on the first, everything there is). A pod is the same
   * pod while its uid is: one deleted and created again under its name is DELETED then ADDED.
   * It counts as MODIFIED when its metadata or status changed (the spec of a pod is fixed).
   */
  next(pods: Pod[], events: Event[], deleted: Pod[] = []): WatchEvent[] {
    const out: WatchEvent[] = [];
    const present = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      present.add(uid);
      const seen = podFingerprint(pod);
      const prev = this.pods.get(uid);
      if (!prev) out.push({ type: 'ADDED', object: pod });
      else if (prev.seen !== seen) out.push({ type: 'MODIFIED', object: pod });
      this.pods.set(uid, { pod, seen });
    }
    const last = new Map(deleted.map((p) => [p.metadata?.uid ?? `${p.metadata?.namespace}/${p.metadata?.name}`, p]));
    for (const [uid, { pod, seen }] of this.pods) {
      if (present.has(uid)) continue;
      this.pods.delete(uid);
      // How it ended (final phase, terminated states), if that was not seen yet: MODIFIED first,
      // as an API server's watch delivers the kubelet's last status before the deletion.
      const final = last.get(uid);
      if (final && podFingerprint(final) !== seen) out.push({ type: 'MODIFIED', object: final });
      out.push({ type: 'DELETED', object: final ?? pod });
    }
    const current = new Set<string>();
    for (const e of events) {
      const uid = e.metadata.uid ?? e.metadata.name ?? '';
      current.add(uid);
      const seen = JSON.stringify(e);
      if (this.events.get(uid) === seen) continue;
      this.events.set(uid, seen);
      out.push({ type: 'EVENT', object: e });
    }
    // Events go with their pod (or the cap); forget them so memory follows what exists.
    for (const uid of this.events.keys()) if (!current.has(uid)) this.events.delete(uid);
    return out;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
