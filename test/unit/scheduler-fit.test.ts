// The one-node scheduler's answers, filter by filter, in kube-scheduler's words.
import t from 'tap';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { podRequests, scheduleOnto } from '../../src/scheduler/fit';

const node: Node = {
  metadata: { name: 'host1', labels: { 'kubernetes.io/hostname': 'host1', 'kubernetes.io/os': 'linux', disk: 'ssd', cores: '8' } },
  status: { allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '100Gi', pods: '110' } },
};
const pod = (spec: Partial<Pod['spec']> = {}, labels: Record<string, string> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});
const cpu = (n: string) => ({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: n } } }] });
const NOT_HELPFUL = 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';

t.test('a plain pod fits', async (t) => {
  t.same(scheduleOnto(pod(), node, []), { ok: true });
});

t.test('nodeSelector and required node affinity', async (t) => {
  t.same(scheduleOnto(pod({ nodeSelector: { disk: 'ssd' } }), node, []), { ok: true });
  t.same(scheduleOnto(pod({ nodeSelector: { disk: 'hdd' } }), node, []), {
    ok: false,
    reason: 'Unschedulable',
    message: `0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. ${NOT_HELPFUL}`,
  });
  const affinity = (op: string, values?: string[], key = 'cores') => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: op, values }] }] } } } });
  t.ok(scheduleOnto(affinity('Gt', ['4']), node, []).ok, 'Gt');
  t.notOk(scheduleOnto(affinity('Lt', ['4']), node, []).ok, 'Lt');
  t.ok(scheduleOnto(affinity('In', ['ssd', 'nvme'], 'disk'), node, []).ok, 'In');
  t.notOk(scheduleOnto(affinity('Exists', undefined, 'gpu'), node, []).ok, 'Exists');
  t.ok(scheduleOnto(affinity('DoesNotExist', undefined, 'gpu'), node, []).ok, 'DoesNotExist');
});

t.test('nodeName of another node', async (t) => {
  const v = scheduleOnto(pod({ nodeName: 'elsewhere' }), node, []);
  t.match(v, { ok: false, message: /1 node\(s\) didn't match the requested node name/ });
});

t.test('requests against allocatable, counting the pods already there', async (t) => {
  t.same(scheduleOnto(pod(cpu('100')), node, []), {
    ok: false,
    reason: 'Unschedulable',
    message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  });
  t.ok(scheduleOnto(pod(cpu('1500m')), node, []).ok, '1.5 of 2 cpus');
  t.notOk(scheduleOnto(pod(cpu('1')), node, [pod(cpu('1500m'))]).ok, 'another pod holds 1.5');
  const gpu = pod({ containers: [{ name: 'c', image: 'x', resources: { limits: { 'nvidia.com/gpu': '1' } } }] });
  t.match(scheduleOnto(gpu, node, []), { message: /1 Insufficient nvidia.com\/gpu/ }, 'an extended resource the node does not have');
  const both = pod({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '9', memory: '9Gi' } } }] });
  t.match(scheduleOnto(both, node, []), { message: /^0\/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory\./ });
});

t.test('effective requests: init containers, sidecars, pod-level resources, overhead', async (t) => {
  const r = podRequests(
    pod({
      initContainers: [
        { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
        { name: 'init', image: 'x', resources: { requests: { cpu: '1' } } },
      ],
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '200m' } } }],
      overhead: { cpu: '50m' },
    }),
  );
  t.equal(Math.round(r.cpu * 1000), 1150, 'max(init 1 + sidecar 0.1, app 0.2 + sidecar 0.1) + overhead');
  const podLevel = podRequests({ ...pod(cpu('3')), spec: { ...pod(cpu('3')).spec!, resources: { requests: { cpu: '500m' } } } as Pod['spec'] });
  t.equal(podLevel.cpu, 0.5, 'pod-level resources win');
});

t.test('scheduling gates', async (t) => {
  t.same(scheduleOnto(pod({ schedulingGates: [{ name: 'wait' }] }), node, []), { ok: false, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' });
});

t.test('inter-pod affinity and anti-affinity on the one node', async (t) => {
  const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' };
  const db = pod({}, { app: 'db' });
  const withAffinity = pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } });
  t.match(scheduleOnto(withAffinity, node, []), { message: /didn't match pod affinity rules/ }, 'no db pod yet');
  t.ok(scheduleOnto(withAffinity, node, [db]).ok, 'a db pod is there');
  const firstDb = pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }, { app: 'db' });
  t.ok(scheduleOnto(firstDb, node, []).ok, 'the first pod of its own group may go');
  const anti = pod({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } });
  t.match(scheduleOnto(anti, node, [db]), { message: /didn't match pod anti-affinity rules/ });
  const existingAnti = pod({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } });
  t.match(scheduleOnto(pod({}, { app: 'web' }), node, [existingAnti]), { message: /didn't satisfy existing pods anti-affinity rules/ });
  t.ok(scheduleOnto(pod({}, { app: 'web' }), node, [db]).ok);
});

t.test('topology spread: one domain always fits, unless the node lacks the key', async (t) => {
  const spread = (key: string) => pod({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } }] });
  t.ok(scheduleOnto(spread('kubernetes.io/hostname'), node, []).ok);
  t.match(scheduleOnto(spread('topology.kubernetes.io/zone'), node, []), { message: /missing required label/ });
});

t.test('a node full of pods', async (t) => {
  const small: Node = { ...node, status: { allocatable: { ...node.status!.allocatable, pods: '2' } } };
  t.match(scheduleOnto(pod(), small, [pod(), pod()]), { message: /^0\/1 nodes are available: 1 Too many pods\./ });
  t.ok(scheduleOnto(pod(), small, [pod()]).ok);
});

t.test('resource claims wait: no claim exists, nor a driver to allocate one', async (t) => {
  const claimed = pod({ resourceClaims: [{ name: 'gpu', resourceClaimName: 'my-gpu' } as never] });
  t.same(scheduleOnto(claimed, node, []), {
    ok: false,
    reason: 'Unschedulable',
    message: `0/1 nodes are available: 1 resourceclaim "my-gpu" not found: podrun has no dynamic resource allocation. ${NOT_HELPFUL}`,
  });
});
