// The watch's memory of the past (src/store/watch-hub): what a watcher can resume from is kept
// as the API server's watch cache keeps it, the last 75 s with at least the last 100 changes;
// older changes go (and resuming from them is Expired), so an engine's memory does not grow with
// every pod it ever ran (npm run stress found 50 MiB over 1000 create+delete cycles).
import t from 'tap';
import { WatchHub, type Change } from '../../src/store/watch-hub';

const change = (rv: number): Change => ({ type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${rv}`, resourceVersion: String(rv) } }, rv });

function replay(hub: WatchHub, since: number): number[] {
  const got: number[] = [];
  hub.subscribe(() => true, (c) => got.push(c.rv), since)();
  return got;
}

t.test('changes younger than 75 s all stay; older ones go once 100 younger follow', async (t) => {
  let now = 0;
  const hub = new WatchHub(0, () => now);
  for (let rv = 1; rv <= 300; rv++) hub.publish(change(rv));
  t.equal(replay(hub, 0).length, 300, 'within 75 s: every change can be replayed, from the start');

  now = 76_000;
  hub.publish(change(301));
  const kept = replay(hub, 201);
  t.same([kept[0], kept.length], [202, 100], 'past 75 s: the last 100 stay (the newest one and 99 before it)');
  t.throws(() => replay(hub, 199), { code: 'Expired' }, 'resuming from a change that went is Expired: list again');

  for (let rv = 302; rv <= 500; rv++) hub.publish(change(rv));
  t.same(replay(hub, 301), Array.from({ length: 199 }, (_, i) => 302 + i), 'the changes of the last 75 s stay, however many');
  now = 200_000;
  hub.publish(change(501));
  t.equal(replay(hub, 401).length, 100, 'and go when they are old, down to the last 100');
});

t.test('a quiet hub keeps its last changes whatever their age', async (t) => {
  let now = 0;
  const hub = new WatchHub(10, () => now);
  for (let rv = 11; rv <= 15; rv++) hub.publish(change(rv));
  now = 3_600_000;
  hub.publish(change(16));
  t.same(replay(hub, 10), [11, 12, 13, 14, 15, 16], 'fewer than 100: an hour-old change can still be replayed');
});
