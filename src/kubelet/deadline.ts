// A one-shot wake-up at a wall-clock time (activeDeadlineSeconds). Timers may fire a
// millisecond before the clock reaches their time; a check that still finds time left must
// then arm a new timer, not trust that one is pending.
export type SetTimer = (fn: () => void, ms: number) => { unref?(): void };
export type ClearTimer = (t: ReturnType<SetTimer>) => void;

export class Deadline {
  private timer?: ReturnType<SetTimer>;

  constructor(
    private readonly onDue: () => void,
    private readonly clock: () => number = Date.now,
    private readonly set: SetTimer = setTimeout,
    private readonly clear: ClearTimer = (t) => clearTimeout(t as NodeJS.Timeout),
  ) {}

  /** true once `at` (ms since the epoch) has passed; otherwise makes sure a wake-up is armed. */
  passed(at: number): boolean {
    const left = at - this.clock();
    if (left <= 0) return true;
    if (!this.timer) {
      this.timer = this.set(() => {
        this.timer = undefined;
        this.onDue();
      }, left);
      this.timer.unref?.();
    }
    return false;
  }

  cancel(): void {
    if (this.timer) this.clear(this.timer);
    this.timer = undefined;
  }
}
