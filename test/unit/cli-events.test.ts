// Events on the command line: kubectl's `get events` table, field selectors, describe's Events
// section fed from recorded events, and `get pods -w` / `get events -w` against a fake client.
import t from 'tap';
import { PassThrough, Writable } from 'node:stream';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { NotFoundError } from '../../src/errors';
import type { CliIO } from '../../src/cli/context';
import { describePod } from '../../src/cli/describe';
import { eventTable, parseEventFieldSelector, podEvents, renderEvents, sortEvents } from '../../src/cli/format-events';
import { run } from '../../src/cli/run';
import type { Podrun } from '../../src/podrun';
import type { ListEventsOptions, WatchEvent, WatchOptions } from '../../src/types';

process.env.TZ = 'UTC';
const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function ev(reason: string, message: string, o: { type?: string; pod?: string; ns?: string; uid?: string; first: number; last?: number; count?: number; component?: string; fieldPath?: string }): Event {
  const pod = o.pod ?? 'web';
  const component = o.component ?? 'kubelet';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.${reason.toLowerCase()}`, namespace: o.ns ?? 'default', uid: `${pod}-${reason}` },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: o.ns ?? 'default', uid: o.uid ?? `uid-${pod}`, ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}) },
    reason,
    message,
    type: o.type ?? 'Normal',
    count: o.count ?? 1,
    firstTimestamp: ago(o.first),
    lastTimestamp: ago(o.last ?? o.first),
    source: component === 'kubelet' ? { component, host: 'host1' } : { component },
    reportingComponent: component,
    reportingInstance: 'host1',
  };
}

const EVENTS: Event[] = [
  ev('Scheduled', 'Successfully assigned default/web to host1', { first: 120, component: 'default-scheduler' }),
  ev('Pulled', 'Container image "busybox:1" already present on machine', { first: 119, fieldPath: 'spec.containers{web}' }),
  ev('BackOff', 'Back-off restarting failed container web in pod web_default(uid-web)', { type: 'Warning', first: 110, last: 5, count: 3, fieldPath: 'spec.containers{web}' }),
];

t.test("get events: kubectl's columns, LAST SEEN as an age", async (t) => {
  t.equal(
    eventTable(EVENTS, { now: NOW }),
    [
      'LAST SEEN   TYPE      REASON      OBJECT    MESSAGE',
      '2m          Normal    Scheduled   pod/web   Successfully assigned default/web to host1',
      '119s        Normal    Pulled      pod/web   Container image "busybox:1" already present on machine',
      '5s          Warning   BackOff     pod/web   Back-off restarting failed container web in pod web_default(uid-web)',
      '',
    ].join('\n'),
  );
  const all = eventTable([ev('Started', 'Started container db', { pod: 'db', ns: 'prod', first: 3 })], { now: NOW, withNamespace: true });
  t.equal(all, 'NAMESPACE   LAST SEEN   TYPE     REASON    OBJECT   MESSAGE\nprod        3s          Normal   Started   pod/db   Started container db\n', '-A puts NAMESPACE first');
  const wide = eventTable([EVENTS[2]!], { now: NOW, wide: true });
  t.match(wide, /^LAST SEEN +TYPE +REASON +OBJECT +SUBOBJECT +SOURCE +MESSAGE +FIRST SEEN +COUNT +NAME\n/);
  t.match(wide, /\n5s +Warning +BackOff +pod\/web +spec\.containers\{web\} +kubelet, host1 +Back-off .*\) +110s +3 +web\.backoff\n$/);
  t.same(
    sortEvents([EVENTS[2]!, EVENTS[0]!]).map((e) => e.reason),
    ['Scheduled', 'BackOff'],
  );
  const json = JSON.parse(renderEvents(EVENTS, { kind: 'json' }, false)) as { kind: string; items: Event[] };
  t.equal(json.kind, 'List');
  t.equal(json.items.length, 3);
  t.equal(renderEvents([EVENTS[0]!], { kind: 'name' }, false), 'event/web.scheduled\n');
});

t.test('--field-selector: =, ==, !=, commas; unknown fields refused as the API server does', async (t) => {
  const pick = (s: string) => EVENTS.filter(parseEventFieldSelector(s)).map((e) => e.reason);
  t.same(pick('involvedObject.name=web'), ['Scheduled', 'Pulled', 'BackOff']);
  t.same(pick('involvedObject.name=db'), []);
  t.same(pick('type==Warning'), ['BackOff']);
  t.same(pick('type!=Warning,involvedObject.kind=Pod'), ['Scheduled', 'Pulled']);
  t.same(pick('involvedObject.fieldPath=spec.containers{web},reason=Pulled'), ['Pulled']);
  t.same(pick(''), ['Scheduled', 'Pulled', 'BackOff'], 'empty selects all');
  t.throws(() => parseEventFieldSelector('foo=bar'), /field label not supported: foo/);
  t.throws(() => parseEventFieldSelector('reason'), /invalid selector/);
});

t.test("describe: the pod's own events, From the component, repeats with (xN over AGE)", async (t) => {
  const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'uid-web' }, spec: { containers: [{ name: 'web', image: 'busybox:1' }] } };
  const others = [ev('Started', 'old pod of the same name', { first: 300, uid: 'uid-old' }), ev('Started', 'another pod', { first: 200, pod: 'db' })];
  const mine = podEvents([...EVENTS, ...others], pod);
  t.same(
    mine.map((e) => e.reason),
    ['Scheduled', 'Pulled', 'BackOff'],
    'only the events of this pod (name and uid)',
  );
  const text = describePod(pod, mine, NOW);
  t.match(
    text,
    [
      'Events:',
      '  Type     Reason     Age                From               Message',
      '  ----     ------     ----               ----               -------',
      '  Normal   Scheduled  2m                 default-scheduler  Successfully assigned default/web to host1',
      '  Normal   Pulled     119s               kubelet            Container image "busybox:1" already present on machine',
      '  Warning  BackOff    5s (x3 over 110s)  kubelet            Back-off restarting failed container web in pod web_default(uid-web)',
      '',
    ].join('\n'),
  );
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const mkPod = (name: string, uid: string, phase: string, ns = 'default'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, uid, creationTimestamp: ago(10) },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
  status: { phase, containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: phase === 'Running', restartCount: 0, state: phase === 'Running' ? { running: {} } : { waiting: { reason: 'ContainerCreating' } } }] },
});

/** Just what get, describe and watch use. */
class FakePodrun {
  constructor(
    private readonly pods: Pod[],
    private readonly events: Event[],
    private readonly changes: WatchEvent[] = [],
  ) {}
  calls: string[] = [];
  async listPods(ns?: string): Promise<Pod[]> {
    return this.pods.filter((p) => ns === undefined || p.metadata!.namespace === ns);
  }
  async getPod(name: string, ns = 'default'): Promise<Pod> {
    const p = this.pods.find((x) => x.metadata!.name === name && x.metadata!.namespace === ns);
    if (!p) throw new NotFoundError('pods', name);
    return p;
  }
  async listEvents(opts: ListEventsOptions = {}): Promise<Event[]> {
    this.calls.push(`listEvents ${JSON.stringify(opts)}`);
    return this.events.filter((e) => (opts.namespace === undefined || e.metadata.namespace === opts.namespace) && (opts.pod === undefined || e.involvedObject.name === opts.pod));
  }
  async *watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    this.calls.push(`watch ${JSON.stringify(opts)}`);
    yield* this.changes;
  }
  async close(): Promise<void> {}
}

async function cli(argv: string[], fake: FakePodrun) {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = new PassThrough();
  stdin.end();
  const io: CliIO = { stdin, stdout, stderr, terminal: { stdinIsTTY: () => false, setRaw: () => {}, size: () => undefined, onResize: () => () => {} }, now: () => NOW };
  const code = await run(argv, io, {}, () => fake as unknown as Podrun);
  return { code, out: stdout.text, err: stderr.text };
}

t.test('podrun get events / describe pod against a client', async (t) => {
  const other = ev('Started', 'Started container db', { pod: 'db', ns: 'prod', first: 1 });
  const fake = new FakePodrun([mkPod('web', 'uid-web', 'Running')], [...EVENTS, other]);
  let r = await cli(['get', 'events'], fake);
  t.equal(r.code, 0);
  t.equal(r.out.split('\n').length, 5, 'header, three rows, final newline');
  t.match(r.out, /^LAST SEEN {3}TYPE/);
  r = await cli(['get', 'ev', '-A', '--field-selector', 'involvedObject.name=db'], fake);
  t.equal(r.out, 'NAMESPACE   LAST SEEN   TYPE     REASON    OBJECT   MESSAGE\nprod        1s          Normal   Started   pod/db   Started container db\n');
  r = await cli(['get', 'events', '-n', 'empty'], fake);
  t.equal(r.err, 'No resources found in empty namespace.\n');
  r = await cli(['get', 'events', '--field-selector', 'nope=1'], fake);
  t.equal(r.code, 1);
  t.match(r.err, /field label not supported: nope/);
  r = await cli(['get', 'pods', '--field-selector', 'status.phase=Running'], fake);
  t.equal(r.code, 1, '--field-selector is for events only');
  r = await cli(['describe', 'pod', 'web'], fake);
  t.equal(r.code, 0);
  t.match(r.out, /\nEvents:\n  Type +Reason +Age +From +Message\n/);
  t.match(r.out, /  Warning +BackOff +5s \(x3 over 110s\) +kubelet +Back-off restarting/);
  t.notMatch(r.out, /Started container db/, "another pod's events stay out");
});

t.test('get pods -w: the listing, then one row per change, without a second header', async (t) => {
  const web = mkPod('web', 'u1', 'Pending');
  const running = mkPod('web', 'u1', 'Running');
  const fake = new FakePodrun(
    [web],
    [],
    [
      { type: 'ADDED', object: web },
      { type: 'EVENT', object: EVENTS[0]! },
      { type: 'MODIFIED', object: running },
      { type: 'ADDED', object: mkPod('db', 'u2', 'Pending') },
      { type: 'DELETED', object: running },
    ],
  );
  const r = await cli(['get', 'pods', '-w'], fake);
  t.equal(r.code, 0);
  t.equal(
    r.out,
    [
      'NAME   READY   STATUS              RESTARTS   AGE',
      'web    0/1     ContainerCreating   0          10s',
      'web    1/1     Running   0          10s',
      'db     0/1     ContainerCreating   0          10s',
      'web    1/1     Running   0          10s',
      '',
    ].join('\n'),
    'the initial ADDED is not repeated; each later row is sized with the header, on its own',
  );
  t.same(fake.calls, ['watch {"namespace":"default"}']);

  const empty = new FakePodrun([], [], [{ type: 'ADDED', object: web }]);
  const e = await cli(['get', 'pods', '--watch'], empty);
  t.equal(e.err, 'No resources found in default namespace.\n');
  t.equal(e.out, 'NAME   READY   STATUS              RESTARTS   AGE\nweb    0/1     ContainerCreating   0          10s\n', 'the header comes with the first pod');

  const named = await cli(['get', 'pod', 'web', '-w'], new FakePodrun([web], [], [{ type: 'ADDED', object: mkPod('db', 'u2', 'Pending') }, { type: 'MODIFIED', object: running }]));
  t.equal(named.out.split('\n').length, 4, 'only the named pod is followed');
});

t.test('get events -w: new events and repeats as rows', async (t) => {
  const again = { ...EVENTS[2]!, count: 4, lastTimestamp: ago(1) };
  const fake = new FakePodrun([], [EVENTS[0]!], [{ type: 'EVENT', object: EVENTS[0]! }, { type: 'ADDED', object: mkPod('web', 'u1', 'Pending') }, { type: 'EVENT', object: again }]);
  const r = await cli(['get', 'events', '-w'], fake);
  t.equal(r.out.split('\n').length, 4, 'header, the listed event, the repeat');
  t.match(r.out, /\n1s +Warning +BackOff +pod\/web +Back-off/);
});
