// The event recorder: the core/v1 Event shape, client-go's folding of identical events into a
// count, the per-pod cap, the events log surviving a new recorder, and the order of list().
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { containerFieldPath, EVENTS_FILE, EVENTS_LOG_LIMIT, EventRecorder, MAX_EVENTS_PER_POD } from '../../src/kubelet/events';

const T0 = Date.parse('2024-05-01T12:00:00Z');

function mkPod(name: string, ns = 'default', uid = `uid-${name}`): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, uid }, spec: { containers: [{ name: 'web', image: 'busybox' }] } };
}

/** A recorder over a temp folder per pod, with a clock the test moves. */
function setup(t: Test) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-events-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const clock = { now: T0 };
  const dirOf = (pod: Pod): string => {
    const d = path.join(base, pod.metadata!.uid!);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const make = () => new EventRecorder({ dirOf, host: 'host1', now: () => new Date(clock.now) });
  return { base, clock, dirOf, make, rec: make() };
}
t.test('an event has the shape of a core/v1 Event recorded by the kubelet', async (t) => {
  const { rec } = setup(t);
  rec.record(mkPod('web'), 'Normal', 'Pulled', 'Container image "busybox:1" already present on machine', 'spec.containers{web}');
  const [e] = rec.list();
  t.match(e!.metadata.name, /^web\.[0-9a-f]{16}$/, 'named <pod>.<16 hex digits>');
  t.same(
    { ...e, metadata: { ...e!.metadata, name: 'x', uid: 'x' } },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'x', namespace: 'default', uid: 'x', creationTimestamp: '2024-05-01T12:00:00Z' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid: 'uid-web', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      message: 'Container image "busybox:1" already present on machine',
      type: 'Normal',
      count: 1,
      firstTimestamp: '2024-05-01T12:00:00Z',
      lastTimestamp: '2024-05-01T12:00:00Z',
      source: { component: 'kubelet', host: 'host1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'host1',
    },
  );
  t.match(e!.metadata.uid, /^[0-9a-f-]{36}$/, 'a uid of its own');
  rec.record(mkPod('web'), 'Normal', 'Scheduled', 'Successfully assigned default/web to host1', undefined, { component: 'default-scheduler' });
  const s = rec.list().find((x) => x.reason === 'Scheduled')!;
  t.same(s.source, { component: 'default-scheduler' }, 'the scheduler reports without a host');
  t.equal(s.reportingComponent, 'default-scheduler');
  t.notOk('fieldPath' in s.involvedObject, 'no fieldPath for the pod itself');
});

t.test('an identical event is folded into the first: count grows, lastTimestamp moves', async (t) => {
  const { rec, clock } = setup(t);
  const pod = mkPod('web');
  rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{web}');
  const first = rec.list()[0]!;
  clock.now += 30_000;
  rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{web}');
  clock.now += 30_000;
  rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{web}');
  const all = rec.list();
  t.equal(all.length, 1, 'one event');
  t.equal(all[0]!.count, 3);
  t.equal(all[0]!.firstTimestamp, '2024-05-01T12:00:00Z', 'firstTimestamp stays');
  t.equal(all[0]!.lastTimestamp, '2024-05-01T12:01:00Z', 'lastTimestamp is the latest');
  t.equal(all[0]!.metadata.name, first.metadata.name, 'the same object (name and uid)');
  t.equal(all[0]!.metadata.uid, first.metadata.uid);

  rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{other}');
  rec.record(pod, 'Warning', 'BackOff', 'another message', 'spec.containers{web}');
  rec.record(pod, 'Normal', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{web}');
  rec.record(mkPod('web', 'default', 'uid-2'), 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', 'spec.containers{web}');
  t.equal(rec.list().length, 5, 'another fieldPath, message, type or object uid is another event');
});

t.test('at most MAX_EVENTS_PER_POD per pod; the oldest go first', async (t) => {
  const { rec, clock, dirOf, make } = setup(t);
  const pod = mkPod('web');
  for (let i = 0; i < MAX_EVENTS_PER_POD + 5; i++) {
    clock.now += 1000;
    rec.record(pod, 'Normal', 'Started', `Started container c${i}`);
  }
  // Folding into the last one grows the log (a line per change) past its limit.
  for (let i = 0; i < 1000; i++) rec.record(pod, 'Normal', 'Started', `Started container c${MAX_EVENTS_PER_POD + 4}`);
  rec.record(mkPod('db'), 'Normal', 'Started', 'Started container db');
  const web = rec.list('default', 'web');
  t.equal(web.length, MAX_EVENTS_PER_POD, 'capped');
  t.equal(web[0]!.message, 'Started container c5', 'the first five were dropped');
  t.equal(rec.list('default', 'db').length, 1, 'the cap is per pod');
  const file = path.join(dirOf(pod), EVENTS_FILE);
  t.ok(fs.statSync(file).size <= EVENTS_LOG_LIMIT, 'the log was compacted as it grew');
  const reread = make();
  reread.load(dirOf(pod));
  t.same(reread.list('default', 'web'), web, 'and reads back as the capped list');
  // Repeating an old event makes it the newest, so the cap keeps it.
  clock.now += 1000;
  rec.record(pod, 'Normal', 'Started', 'Started container c5');
  clock.now += 1000;
  rec.record(pod, 'Normal', 'Started', 'Started container new');
  const after = rec.list('default', 'web');
  t.equal(after.length, MAX_EVENTS_PER_POD);
  t.equal(after[0]!.message, 'Started container c7', 'c6 went; c5 was refreshed and stayed');
  t.ok(after.some((e) => e.message === 'Started container c5' && e.count === 2));
});

t.test('the events log survives a new recorder (engine restart), and folding goes on', async (t) => {
  const { make, clock, dirOf } = setup(t);
  const rec = make();
  const pod = mkPod('web', 'prod');
  rec.record(pod, 'Normal', 'Pulled', 'Container image "busybox:1" already present on machine', 'spec.containers{web}');
  clock.now += 5000;
  rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_prod(uid-web)', 'spec.containers{web}');
  const before = rec.list();

  // A line torn by a machine crash is skipped.
  fs.appendFileSync(path.join(dirOf(pod), EVENTS_FILE), '{"metadata":{"uid":"torn');
  const again = make();
  t.same(again.list(), [], 'nothing before load');
  again.load(dirOf(pod));
  t.same(again.list(), before, 'the same events after load');
  clock.now += 5000;
  again.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod web_prod(uid-web)', 'spec.containers{web}');
  const folded = again.list().find((e) => e.reason === 'BackOff')!;
  t.equal(folded.count, 2, 'an event from before the restart keeps counting');
  t.equal(folded.metadata.name, before[1]!.metadata.name);

  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-events-none-'));
  t.teardown(() => fs.rmSync(empty, { recursive: true, force: true }));
  again.load(empty);
  fs.writeFileSync(path.join(empty, EVENTS_FILE), '{not json');
  again.load(empty);
  t.equal(again.list().length, 2, 'a missing or broken file is no history, and no error');
});

t.test('list: by lastTimestamp across pods, filtered by namespace and pod; copies', async (t) => {
  const { rec, clock } = setup(t);
  rec.record(mkPod('a'), 'Normal', 'Scheduled', 'a1');
  clock.now += 1000;
  rec.record(mkPod('b', 'other'), 'Normal', 'Scheduled', 'b1');
  clock.now += 1000;
  rec.record(mkPod('a'), 'Normal', 'Started', 'a2');
  t.same(
    rec.list().map((e) => e.message),
    ['a1', 'b1', 'a2'],
    'oldest first',
  );
  clock.now += 1000;
  rec.record(mkPod('a'), 'Normal', 'Scheduled', 'a1');
  t.same(
    rec.list().map((e) => e.message),
    ['b1', 'a2', 'a1'],
    'a repeated event moves to the end',
  );
  // Same second: the order of recording decides.
  rec.record(mkPod('b', 'other'), 'Normal', 'Started', 'b2');
  t.same(
    rec.list().map((e) => e.message),
    ['b1', 'a2', 'a1', 'b2'],
    'ties keep the order of recording',
  );
  t.same(
    rec.list('default').map((e) => e.message),
    ['a2', 'a1'],
  );
  t.same(
    rec.list(undefined, 'b').map((e) => e.message),
    ['b1', 'b2'],
  );
  t.same(rec.list('default', 'b'), []);
  rec.list()[0]!.message = 'changed';
  t.equal(rec.list()[0]!.message, 'b1', 'list hands out copies');
});

t.test('subscription, forget, and a pod folder that is gone', async (t) => {
  const { rec, base } = setup(t);
  const seen: Event[] = [];
  const listener = (e: Event) => seen.push(e);
  rec.on('event', listener);
  rec.record(mkPod('web'), 'Normal', 'Started', 'Started container web');
  rec.record(mkPod('web'), 'Normal', 'Started', 'Started container web');
  t.same(
    seen.map((e) => e.count),
    [1, 2],
    'each record, and each repeat, is announced',
  );
  rec.off('event', listener);
  rec.record(mkPod('web'), 'Normal', 'Killing', 'Stopping container web');
  t.equal(seen.length, 2, 'off stops it');

  rec.forget('default/web');
  t.same(rec.list(), [], 'forget drops the pod');

  // A pod whose folder was removed (deleted): recording does not throw, and keeps nothing.
  const gone = new EventRecorder({ dirOf: () => path.join(base, 'no-such-dir'), host: 'h' });
  t.doesNotThrow(() => gone.record(mkPod('x'), 'Normal', 'Killing', 'Stopping container x'));
  t.same(gone.list(), []);
});

t.test("containerFieldPath: the kubelet's reference to a container", async (t) => {
  t.equal(containerFieldPath('spec.containers[0]', 'web'), 'spec.containers{web}');
  t.equal(containerFieldPath('spec.initContainers[2]', 'setup'), 'spec.initContainers{setup}');
  t.equal(containerFieldPath('spec.ephemeralContainers[0]', 'debugger'), 'spec.ephemeralContainers{debugger}');
});

t.test("other objects' events are read again by a new recorder, for the objects that still exist", async (t) => {
  const { base, dirOf, clock } = setup(t);
  const objectEventsFile = path.join(base, 'object-events.jsonl');
  const make = () => new EventRecorder({ dirOf, objectEventsFile, host: 'host1', now: () => new Date(clock.now) });
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'uid-d1' } };
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', uid: 'uid-rs1' } };
  const first = make();
  first.record(deploy, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 2', undefined, { component: 'deployment-controller' });
  first.record(deploy, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-1 from 0 to 2', undefined, { component: 'deployment-controller' });
  first.record(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-1-abcde', undefined, { component: 'replicaset-controller' });
  t.notOk(fs.existsSync(path.join(base, 'uid-d1')), 'no folder is made for an object that is not a pod');

  const again = make();
  again.loadObjectEvents((o) => o.kind === 'Deployment' && o.uid === 'uid-d1');
  const got = again.list(undefined, 'web', 'Deployment');
  t.equal(got.length, 1, "the Deployment's event, folded once");
  t.equal(got[0]!.count, 2, 'with its count');
  t.same(again.list(undefined, 'web-1', 'ReplicaSet'), [], 'none of an object that is gone');

  const namesake = make();
  namesake.loadObjectEvents((o) => o.kind === 'Deployment' && o.uid === 'uid-d2');
  t.same(namesake.list(undefined, 'web', 'Deployment'), [], 'none for a namesake made later (another uid)');
});
