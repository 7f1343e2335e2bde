import t from 'tap';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { podRow, podTable, sortPods } from '../../src/cli/format-pods';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

function pod(opts: {
  name?: string;
  init?: string[];
  sidecars?: string[];
  containers?: string[];
  initStatuses?: Partial<ContainerStatus>[];
  statuses?: Partial<ContainerStatus>[];
  phase?: string;
  conditions?: { type: string; status: string; reason?: string }[];
  deleting?: boolean;
}): Pod {
  const st = (s: Partial<ContainerStatus>, i: number, names: string[]): ContainerStatus => ({
    name: names[i] ?? `c${i}`,
    image: 'busybox',
    imageID: '',
    ready: false,
    restartCount: 0,
    ...s,
  });
  const initNames = [...(opts.init ?? []), ...(opts.sidecars ?? [])];
  const names = opts.containers ?? ['app'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.name ?? 'web',
      namespace: 'default',
      creationTimestamp: ago(182),
      ...(opts.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: {
      initContainers: [
        ...(opts.init ?? []).map((name) => ({ name, image: 'busybox' })),
        ...(opts.sidecars ?? []).map((name) => ({ name, image: 'busybox', restartPolicy: 'Always' })),
      ],
      containers: names.map((name) => ({ name, image: 'busybox' })),
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: opts.conditions,
      initContainerStatuses: (opts.initStatuses ?? []).map((s, i) => st(s, i, initNames)),
      containerStatuses: (opts.statuses ?? []).map((s, i) => st(s, i, names)),
    },
  };
}

const running = { ready: true, state: { running: { startedAt: ago(100) } } };
const row = (p: Pod) => podRow(p, NOW);

t.test('running, ready; AGE in kubectl format', async (t) => {
  const r = row(pod({ statuses: [running] }));
  t.same([r.name, r.ready, r.status, r.restarts, r.age], ['web', '1/1', 'Running', '0', '3m2s']);
});

t.test('waiting reasons show instead of the phase', async (t) => {
  t.equal(row(pod({ phase: 'Pending', statuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] })).status, 'ContainerCreating');
  const crash = row(
    pod({
      statuses: [
        {
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5) } },
        },
      ],
    }),
  );
  t.equal(crash.status, 'CrashLoopBackOff');
  t.equal(crash.restarts, '5 (5s ago)');
  t.equal(crash.ready, '0/1');
});

t.test('terminated: reason, else ExitCode:N or Signal:N', async (t) => {
  t.equal(row(pod({ phase: 'Succeeded', statuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })).status, 'Completed');
  t.equal(row(pod({ phase: 'Failed', statuses: [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }] })).status, 'Error');
  t.equal(row(pod({ phase: 'Failed', statuses: [{ state: { terminated: { exitCode: 3 } } }] })).status, 'ExitCode:3');
  t.equal(row(pod({ phase: 'Failed', statuses: [{ state: { terminated: { exitCode: 137, signal: 9 } } }] })).status, 'Signal:9');
});

t.test('the first container shows when several have a reason', async (t) => {
  const p = pod({
    containers: ['a', 'b'],
    statuses: [{ state: { waiting: { reason: 'ImagePullBackOff' } } }, { state: { terminated: { exitCode: 1, reason: 'Error' } } }],
  });
  t.equal(row(p).status, 'ImagePullBackOff');
});

t.test('Completed next to a running container reads Running or NotReady', async (t) => {
  const statuses = [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running];
  const ready = pod({ containers: ['a', 'b'], statuses, conditions: [{ type: 'Ready', status: 'True' }] });
  t.equal(row(ready).status, 'Running');
  t.equal(row(ready).ready, '1/2');
  t.equal(row(pod({ containers: ['a', 'b'], statuses })).status, 'NotReady');
});

t.test('init containers: Init:i/n, Init:reason, PodInitializing', async (t) => {
  const waitingMain = [{ state: { waiting: { reason: 'PodInitializing' } } }];
  t.equal(
    row(pod({ phase: 'Pending', init: ['i1'], initStatuses: [{ state: { running: { startedAt: ago(1) } } }], statuses: waitingMain })).status,
    'Init:0/1',
  );
  t.equal(
    row(
      pod({
        phase: 'Pending',
        init: ['i1', 'i2'],
        initStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { state: { waiting: { reason: 'PodInitializing' } } }],
        statuses: waitingMain,
      }),
    ).status,
    'Init:1/2',
  );
  t.equal(row(pod({ phase: 'Failed', init: ['i1'], initStatuses: [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }] })).status, 'Init:Error');
  t.equal(row(pod({ phase: 'Pending', init: ['i1'], initStatuses: [{ state: { terminated: { exitCode: 2 } } }] })).status, 'Init:ExitCode:2');
  t.equal(
    row(pod({ phase: 'Pending', init: ['i1'], initStatuses: [{ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] })).status,
    'Init:CrashLoopBackOff',
  );
  t.equal(
    row(pod({ phase: 'Pending', init: ['i1'], initStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }], statuses: waitingMain }))
      .status,
    'PodInitializing',
  );
});

t.test('restarts of finished init containers stop counting once initialised', async (t) => {
  const p = pod({
    init: ['i1'],
    initStatuses: [{ restartCount: 2, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    statuses: [running],
    conditions: [{ type: 'Initialized', status: 'True' }],
  });
  t.equal(row(p).restarts, '0');
  const failing = pod({ phase: 'Pending', init: ['i1'], initStatuses: [{ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
  t.equal(row(failing).restarts, '2', 'while initialising they do');
});

t.test('sidecars count in READY and RESTARTS', async (t) => {
  const p = pod({
    sidecars: ['proxy'],
    initStatuses: [{ started: true, ready: true, restartCount: 1, state: { running: { startedAt: ago(50) } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } } }],
    statuses: [running],
    conditions: [{ type: 'Initialized', status: 'True' }],
  });
  const r = row(p);
  t.equal(r.ready, '2/2');
  t.equal(r.restarts, '1 (60s ago)');
  t.equal(r.status, 'Running');
});

t.test('Terminating while deleting, unless the pod already finished', async (t) => {
  t.equal(row(pod({ deleting: true, statuses: [running] })).status, 'Terminating');
  t.equal(row(pod({ deleting: true, phase: 'Succeeded', statuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })).status, 'Completed');
});

t.test('a pod with no status yet', async (t) => {
  const p: Pod = { metadata: { name: 'new' }, spec: { containers: [{ name: 'a' }] } };
  const r = row(p);
  t.same([r.ready, r.status, r.restarts, r.age, r.ip, r.node], ['0/1', '', '0', '<unknown>', '<none>', '<none>']);
});

t.test('the table: wide and all-namespaces columns', async (t) => {
  const a = pod({ name: 'a', statuses: [running] });
  a.status!.podIPs = [{ ip: '10.88.0.2' }];
  a.spec!.nodeName = 'host1';
  const b = pod({ name: 'bb', phase: 'Pending', statuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] });
  t.equal(
    podTable([a, b], { now: NOW }),
    ['NAME   READY   STATUS              RESTARTS   AGE', 'a      1/1     Running             0          3m2s', 'bb     0/1     ContainerCreating   0          3m2s', ''].join('\n'),
  );
  t.equal(
    podTable([a], { now: NOW, wide: true, withNamespace: true }),
    ['NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE    IP          NODE    NOMINATED NODE   READINESS GATES', 'default     a      1/1     Running   0          3m2s   10.88.0.2   host1   <none>           <none>', ''].join('\n'),
  );
  // Readiness gates: how many of the named conditions are True.
  a.spec!.readinessGates = [{ conditionType: 'example.com/one' }, { conditionType: 'example.com/two' }];
  a.status!.conditions = [{ type: 'example.com/one', status: 'True' }];
  t.match(podTable([a], { now: NOW, wide: true }), /\na\s.*host1\s+<none>\s+1\/2\n$/);
});

t.test('sorted by namespace, then name', async (t) => {
  const p = (ns: string, name: string): Pod => ({ metadata: { namespace: ns, name } });
  t.same(
    sortPods([p('b', 'a'), p('a', 'z'), p('a', 'b')]).map((x) => `${x.metadata!.namespace}/${x.metadata!.name}`),
    ['a/b', 'a/z', 'b/a'],
  );
});
