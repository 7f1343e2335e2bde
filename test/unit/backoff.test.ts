import t from 'tap';
import { backoffDelay, goDuration, KUBELET_BACKOFF, shouldRestart } from '../../src/kubelet/backoff';

t.test('kubelet back-off: immediate, then 10 s doubling to 5 min', async (t) => {
  t.same([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(KUBELET_BACKOFF, n)), [0, 10e3, 20e3, 40e3, 80e3, 160e3, 300e3, 300e3, 300e3]);
  t.equal(backoffDelay({ initialMs: 200, maxMs: 1000 }, 4), 1000, 'a shortened policy caps too');
});

t.test('restart policy', async (t) => {
  t.ok(shouldRestart('Always', 0));
  t.ok(shouldRestart('Always', 1));
  t.notOk(shouldRestart('OnFailure', 0));
  t.ok(shouldRestart('OnFailure', 2));
  t.notOk(shouldRestart('Never', 1));
});

t.test('durations as the kubelet writes them', async (t) => {
  t.equal(goDuration(10_000), '10s');
  t.equal(goDuration(80_000), '1m20s');
  t.equal(goDuration(300_000), '5m0s');
});
