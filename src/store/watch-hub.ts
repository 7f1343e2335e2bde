// Changes as they happen, to whoever listens: the store and the event recorder publish, each
// change numbered by the store's resourceVersion; a watcher is called at once, in order, in the
// same turn of the event loop as the write. The recent past is kept so that a watcher can
// resume from the resourceVersion it last saw, as a Kubernetes watch can; one that comes back
// from further away is told Expired (410 Gone) and lists again.
import { PodrunError } from '../errors';
import type { KubeObject } from '../api/manifest';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'EVENT';

export interface Change {
  type: ChangeType;
  object: KubeObject;
  /** The store's resourceVersion of this change. */
  rv: number;
}

export type ChangeFilter = (c: Change) => boolean;

/** How many changes a watcher may be behind and still resume. */
const HISTORY = 50_000;

export class ExpiredError extends PodrunError {
  constructor(rv: number, oldest: number) {
    super('Expired', `too old resource version: ${rv} (${oldest})`, 'list again, then watch from the list');
  }
}

interface Subscriber {
  filter: ChangeFilter;
  fn: (c: Change) => void;
}

export class WatchHub {
  private readonly history: Change[] = [];
  /** Changes at or below this resourceVersion can no longer be replayed. */
  private floor: number;
  private readonly subs = new Set<Subscriber>();

  /** `since`: the resourceVersion the store started at; no change before it is known. */
  constructor(since: number) {
    this.floor = since;
  }

  publish(change: Change): void {
    this.history.push(change);
    if (this.history.length > HISTORY) this.floor = this.history.splice(0, this.history.length - HISTORY).pop()!.rv;
    for (const s of [...this.subs]) {
      if (!this.subs.has(s) || !s.filter(change)) continue;
      try {
        s.fn(change);
      } catch {
        /* a watcher's failure is its own */
      }
    }
  }

  /**
   * Calls `fn` with every change `filter` accepts: first those after `since` (when given), then
   * each new one as it is published. Returns the function that stops it.
   */
  subscribe(filter: ChangeFilter, fn: (c: Change) => void, since?: number): () => void {
    if (since !== undefined) {
      if (since < this.floor) throw new ExpiredError(since, this.floor);
      // The history is in resourceVersion order: start at the first change after `since`.
      let lo = 0;
      let hi = this.history.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.history[mid]!.rv <= since) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < this.history.length; k++) if (filter(this.history[k]!)) fn(this.history[k]!);
    }
    const sub = { filter, fn };
    this.subs.add(sub);
    return () => this.subs.delete(sub);
  }

  get watchers(): number {
    return this.subs.size;
  }
}
