import t from 'tap';
import { Deadline } from '../../src/kubelet/deadline';

/** A clock and timers under the test's control. */
function fake() {
  let now = 1000;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    clock: () => now,
    set: (fn: () => void, ms: number) => {
      timers.push({ at: now + ms, fn });
      return {};
    },
    clear: () => undefined,
    timers,
    /** Fire the next timer as a real one may: `early` ms before its time. */
    fire(early = 0) {
      const next = timers.shift()!;
      now = next.at - early;
      next.fn();
    },
  };
}

t.test('passed() is true once the time has come', async (t) => {
  const f = fake();
  let due = 0;
  const d = new Deadline(() => due++, f.clock, f.set, f.clear);
  t.equal(d.passed(3000), false);
  t.equal(f.timers.length, 1, 'one wake-up armed');
  t.equal(d.passed(3000), false);
  t.equal(f.timers.length, 1, 'and only one');
  f.fire();
  t.equal(due, 1);
  t.equal(d.passed(3000), true);
});

t.test('a timer that fires a millisecond early is re-armed (the bug CI found)', async (t) => {
  const f = fake();
  let due = 0;
  const d = new Deadline(() => due++, f.clock, f.set, f.clear);
  d.passed(3000);
  f.fire(1); // the clock says 2999 when the timer runs
  t.equal(due, 1);
  t.equal(d.passed(3000), false, 'still a millisecond to go');
  t.equal(f.timers.length, 1, 'so a new wake-up is armed');
  f.fire();
  t.equal(d.passed(3000), true);
});

t.test('cancel disarms', async (t) => {
  const f = fake();
  const d = new Deadline(() => undefined, f.clock, f.set, f.clear);
  d.passed(5000);
  d.cancel();
  f.timers.length = 0;
  t.equal(d.passed(5000), false);
  t.equal(f.timers.length, 1, 'a check after cancel arms again');
});
