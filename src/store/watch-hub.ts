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

/**
 * How far back a watcher may resume, as the API server's watch cache keeps it: the changes of
 * the last 75 s (its eventFreshDuration: a bookmark's period and a little more), and at least
 * the last 100 of any age, at most 100 Ki. A count alone (50 000 whole objects) grew an engine
 * that never ran more than one pod by 50 MiB in 1000 create+delete cycles (npm run stress).
 */
const FRESH_MS = 75_000;
const LOWER_BOUND = 100;
const UPPER_BOUND = 100 * 1024;

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
  /** When each change of `history` was published (ms, from `now`). */
  private readonly times: number[] = [];
  /** Changes at or below this resourceVersion can no longer be replayed. */
  private floor: number;
  private readonly subs = new Set<Subscriber>();

  /** `since`: the resourceVersion the store started at; no change before it is known. */
  constructor(
    since: number,
    private readonly now: () => number = Date.now,
  ) {
    this.floor = since;
  }

  publish(change: Change): void {
    const at = this.now();
    this.history.push(change);
    this.times.push(at);
    let drop = Math.max(0, this.history.length - UPPER_BOUND);
    while (drop < this.history.length - LOWER_BOUND && at - this.times[drop]! > FRESH_MS) drop++;
    if (drop > 0) {
      this.floor = this.history.splice(0, drop).pop()!.rv;
      this.times.splice(0, drop);
    }
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
