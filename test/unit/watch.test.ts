// What watch reports between two looks: pods ADDED, MODIFIED, DELETED by uid; events as EVENT
// when new or changed (a repeat raises count).
import t from 'tap';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { pause, WatchDiff } from '../../src/watch';

const pod = (name: string, uid: string, phase: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, status: { phase } });
const event = (uid: string, count: number): Event => ({ metadata: { name: `web.${uid}`, uid }, involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Started', count });
const kinds = (out: ReturnType<WatchDiff['next']>) => out.map((w) => `${w.type} ${w.object.metadata?.name}${w.type === 'EVENT' ? ` x${w.object.count}` : ` ${(w.object as Pod).status?.phase}`}`);

t.test('pods: everything ADDED first, then changes only', async (t) => {
  const d = new WatchDiff();
  t.same(kinds(d.next([pod('web', 'u1', 'Pending'), pod('db', 'u2', 'Running')], [])), ['ADDED web Pending', 'ADDED db Running']);
  t.same(kinds(d.next([pod('web', 'u1', 'Pending'), pod('db', 'u2', 'Running')], [])), [], 'no change, nothing');
  t.same(kinds(d.next([pod('web', 'u1', 'Running'), pod('db', 'u2', 'Running')], [])), ['MODIFIED web Running']);
  t.same(kinds(d.next([pod('web', 'u1', 'Running')], [])), ['DELETED db Running'], 'deleted with the state last seen');
  t.same(kinds(d.next([pod('web', 'u3', 'Pending')], [])), ['ADDED web Pending', 'DELETED web Running'], 'same name, new uid: another pod');
});

t.test("a deleted pod's last object: its end is MODIFIED before DELETED, once", async (t) => {
  const d = new WatchDiff();
  d.next([pod('job', 'u1', 'Running')], []);
  t.same(kinds(d.next([], [], [pod('job', 'u1', 'Succeeded')])), ['MODIFIED job Succeeded', 'DELETED job Succeeded'], 'the final phase, then the deletion');
  t.same(kinds(d.next([], [], [pod('job', 'u1', 'Succeeded')])), [], 'a pod already reported gone is not reported again');
  d.next([pod('web', 'u2', 'Failed')], []);
  t.same(kinds(d.next([], [], [pod('web', 'u2', 'Failed')])), ['DELETED web Failed'], 'an end already seen: only DELETED');
});

t.test('events: new and repeated ones, once each', async (t) => {
  const d = new WatchDiff();
  t.same(kinds(d.next([], [event('e1', 1)])), ['EVENT web.e1 x1']);
  t.same(kinds(d.next([], [event('e1', 1)])), []);
  t.same(kinds(d.next([], [event('e1', 2), event('e2', 1)])), ['EVENT web.e1 x2', 'EVENT web.e2 x1']);
  t.same(kinds(d.next([], [])), [], 'events that went with their pod are not reported');
});

t.test('pause ends early on abort', async (t) => {
  const ac = new AbortController();
  const start = Date.now();
  setTimeout(() => ac.abort(), 20);
  await pause(5000, ac.signal);
  t.ok(Date.now() - start < 1000);
  await pause(5000, ac.signal);
  t.ok(Date.now() - start < 1000, 'an aborted signal returns at once');
});
