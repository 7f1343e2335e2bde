// A controller's work queue, as client-go's: keys (namespace/name) waiting to be reconciled,
// each at most once in the queue and never reconciled twice at the same time; a key added
// while it is being reconciled is reconciled again afterwards. `after(key, ms)` brings a key
// back at a time (a deadline, minReadySeconds, a back-off): a timer for that moment, not a poll.

export type Reconcile = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly reconcile: Reconcile,
    private readonly onError: (key: string, e: unknown) => void,
    /** How many keys are reconciled at once (each key alone). */
    private readonly workers = 4,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.waiting.add(key);
    this.pump();
  }

  /** Adds the key in `ms` (the earliest of several such requests wins). */
  after(key: string, ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, ms);
    const t = this.timers.get(key);
    if (t && t.at <= at) return;
    if (t) clearTimeout(t.timer);
    // setTimeout holds at most 2^31-1 ms; a later time is asked for again when it wakes.
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  private pump(): void {
    while (this.active < this.workers && this.waiting.size > 0) {
      const key = this.waiting.values().next().value as string;
      this.waiting.delete(key);
      this.running.add(key);
      this.active++;
      void this.reconcile(key)
        .catch((e: unknown) => this.onError(key, e))
        .finally(() => {
          this.running.delete(key);
          this.active--;
          if (this.dirty.delete(key)) this.waiting.add(key);
          this.pump();
          if (this.active === 0 && this.waiting.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  get isIdle(): boolean {
    return this.active === 0 && this.waiting.size === 0;
  }

  /** Resolves when nothing is queued or running (tests and shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
