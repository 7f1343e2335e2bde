// The kubelet's cgroup values, in-place resize judgement and kubectl top's cells: pure, no privileges.
import t from 'tap';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { containerValues, cpuWeight, milliCPU, milliCPUToQuota, milliCPUToShares, podValues, DEFAULT_PIDS_LIMIT } from '../../src/cgroups/values';
import { infeasible, resizedContainers, resizedPod, statusResources } from '../../src/cgroups/resize';
import { cpuRate, formatCpu, formatMemory } from '../../src/cgroups/metrics';
import { containerHash } from '../../src/kubelet/pod-actions';
import { Cgroups } from '../../src/cgroups/manager';
import { wantsLimits } from '../../src/kubelet/cgroups';

const Mi = 1024 * 1024;
const c = (name: string, resources?: Container['resources'], extra: Partial<Container> = {}): Container => ({ name, image: 'x', ...(resources ? { resources } : {}), ...extra });
const pod = (containers: Container[], initContainers?: Container[], resources?: Container['resources']): Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers, ...(initContainers ? { initContainers } : {}), ...(resources ? { resources } : {}) } as Pod['spec'],
});

t.test('the kubelet conversions', async (t) => {
  t.equal(milliCPU('250m'), 250);
  t.equal(milliCPU('0.5'), 500);
  t.equal(milliCPU(2), 2000);
  t.equal(milliCPU('1m'), 1);
  t.equal(milliCPUToShares(0), 2, 'no request: the minimum');
  t.equal(milliCPUToShares(1), 2, 'below the minimum: the minimum');
  t.equal(milliCPUToShares(250), 256);
  t.equal(milliCPUToShares(1000), 1024);
  t.equal(milliCPUToShares(1_000_000), 262144, 'capped');
  t.equal(milliCPUToQuota(0), 0, 'no limit: no quota');
  t.equal(milliCPUToQuota(500), 50000);
  t.equal(milliCPUToQuota(5), 1000, 'at least 1 ms');
  t.equal(cpuWeight(2), 1);
  t.equal(cpuWeight(1024), 39);
  t.equal(cpuWeight(262144), 10000);
});

t.test('a container: limits and requests to cgroup values', async (t) => {
  t.same(containerValues(undefined), { memoryLimit: undefined, memoryLow: undefined, cpuShares: 2, cpuQuota: undefined, pidsLimit: DEFAULT_PIDS_LIMIT }, 'BestEffort: minimum shares, no limits but pids');
  t.same(containerValues({ requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } }), { memoryLimit: 64 * Mi, memoryLow: 32 * Mi, cpuShares: 256, cpuQuota: 50000, pidsLimit: 2048 });
  t.same(containerValues({ limits: { cpu: '1', memory: '1Gi' } }), { memoryLimit: 1024 * Mi, memoryLow: 1024 * Mi, cpuShares: 1024, cpuQuota: 100000, pidsLimit: 2048 }, 'requests default to limits');
});

t.test('the pod: sums, limits only when every container has one, init containers, pod-level resources', async (t) => {
  const both = (cpu: string, mem: string) => ({ requests: { cpu, memory: mem }, limits: { cpu, memory: mem } });
  t.same(podValues(pod([c('a', both('250m', '64Mi')), c('b', both('500m', '128Mi'))])), { memoryLimit: 192 * Mi, memoryLow: 192 * Mi, cpuShares: 768, cpuQuota: 75000 });
  const partial = podValues(pod([c('a', both('250m', '64Mi')), c('b', { requests: { cpu: '100m' } })]));
  t.equal(partial.memoryLimit, undefined, 'one container without a memory limit: no pod limit');
  t.equal(partial.cpuQuota, undefined, 'one container without a cpu limit: no pod quota');
  t.equal(partial.cpuShares, 358, 'shares from the sum of the requests');
  t.same(podValues(pod([c('a')])), { memoryLimit: undefined, memoryLow: undefined, cpuShares: 2, cpuQuota: undefined }, 'BestEffort');
  const withInit = podValues(pod([c('a', both('100m', '64Mi'))], [c('i', both('2', '1Gi'))]));
  t.equal(withInit.memoryLimit, 1024 * Mi, 'an init container larger than the rest sets the limit');
  t.equal(withInit.cpuQuota, 200000);
  const sidecar = podValues(pod([c('a', both('100m', '64Mi'))], [c('s', both('100m', '64Mi'), { restartPolicy: 'Always' })]));
  t.equal(sidecar.memoryLimit, 128 * Mi, 'a sidecar adds to the app containers');
  const podLevel = podValues(pod([c('a'), c('b')], undefined, { limits: { cpu: '1', memory: '256Mi' } }));
  t.same([podLevel.memoryLimit, podLevel.cpuQuota, podLevel.cpuShares], [256 * Mi, 100000, 1024], 'spec.resources takes the place of the sums');
});

t.test('resize: the patch merged, judged as the API server judges it', async (t) => {
  const p = pod([c('web', { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } }), c('side', { requests: { cpu: '100m' } })]);
  const next = resizedPod(p, { spec: { containers: [{ name: 'web', resources: { limits: { memory: '96Mi' } } }] } });
  t.same(next.spec!.containers[0]!.resources, { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '500m', memory: '96Mi' } }, 'merged key by key');
  t.same(p.spec!.containers[0]!.resources!.limits!.memory, '64Mi', 'the pod given is left as it was');
  t.same(resizedContainers(p, next).map((r) => [r.container.name, r.restart]), [['web', false]], 'NotRequired by default');
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'nope', resources: { limits: { cpu: '1' } } }] } }), /spec.containers\[0\].name: Not found: "nope"/);
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'web', resources: { limits: { 'ephemeral-storage': '1Gi' } } }] } }), /only cpu and memory resources are mutable/);
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'web', resources: { requests: { memory: '128Mi' } } }] } }), /must be less than or equal to memory limit of 64Mi/);
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'web', resources: { limits: { memory: null } } }] } }), /cannot be removed/);
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'web', image: 'other' } as never] } }), /Forbidden/);
  t.throws(() => resizedPod(p, { spec: { containers: [{ name: 'web', resources: { limits: { cpu: 'lots' } } }] } }), /Invalid value: "lots"/);
  const guaranteed = pod([c('g', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })]);
  t.throws(() => resizedPod(guaranteed, { spec: { containers: [{ name: 'g', resources: { limits: { cpu: '2' } } }] } }), /Pod QOS Class may not change as a result of resizing/);
  t.doesNotThrow(() => resizedPod(guaranteed, { spec: { containers: [{ name: 'g', resources: { limits: { cpu: '2' }, requests: { cpu: '2' } } }] } }), 'Guaranteed stays Guaranteed');
});

t.test("resize and the container hash: only RestartContainer resources restart", async (t) => {
  const base = c('web', { limits: { cpu: '500m', memory: '64Mi' } }, { resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] });
  const cpuChanged = { ...base, resources: { limits: { cpu: '1', memory: '64Mi' } } };
  const memChanged = { ...base, resources: { limits: { cpu: '500m', memory: '128Mi' } } };
  t.equal(containerHash(cpuChanged), containerHash(base), 'a cpu change (NotRequired) keeps the hash: no restart');
  t.not(containerHash(memChanged), containerHash(base), 'a memory change (RestartContainer) changes it: a restart');
  t.not(containerHash({ ...base, image: 'y' }), containerHash(base), 'any other change still restarts');
  const p = pod([base]);
  t.same(resizedContainers(p, resizedPod(p, { spec: { containers: [{ name: 'web', resources: { limits: { memory: '128Mi' } } }] } })).map((r) => r.restart), [true]);
});

t.test('status resources and kubectl top cells', async (t) => {
  t.same(statusResources(c('a', { requests: { cpu: '1' }, limits: { cpu: '2', memory: '1Gi', 'nvidia.com/gpu': '1' } })), { resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '1' } }, allocatedResources: { cpu: '1' } });
  t.same(statusResources(c('a')), {});
  t.equal(formatCpu('12345678n'), '13m', 'millicores, rounded up as Quantity.MilliValue');
  t.equal(formatCpu('0n'), '0m');
  t.equal(formatMemory('35840Ki'), '35Mi');
  t.equal(cpuRate(0, 100_000_000, 500), 200_000_000, '100 ms of CPU in 500 ms: 200m');
  t.equal(cpuRate(5, 3, 500), 0, 'never negative');
});

t.test('resize: Infeasible when the requests pass the node allocatable', async (t) => {
  const p = pod([c('a', { requests: { cpu: '1', memory: '1Gi' } }), c('b', { limits: { cpu: '2', memory: '1Gi' } })]);
  t.equal(infeasible(p, { cpu: '4', memory: '4Gi' }), undefined);
  t.equal(infeasible(p, { cpu: '2', memory: '4Gi' }), "Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000");
  t.equal(infeasible(p, { cpu: '4', memory: '1536Mi' }), `Node didn't have enough capacity: memory, requested: ${2048 * Mi}, capacity: ${1536 * Mi}`);
});

t.test('resize: native sidecars too, other init containers never', async (t) => {
  const p = pod([c('a', { limits: { memory: '64Mi' } })], [c('side', { limits: { memory: '32Mi' } }, { restartPolicy: 'Always' }), c('once', { limits: { memory: '32Mi' } })]);
  const next = resizedPod(p, { spec: { initContainers: [{ name: 'side', resources: { limits: { memory: '48Mi' } } }] } });
  t.same(next.spec!.initContainers![0]!.resources!.limits, { memory: '48Mi' });
  t.same(resizedContainers(p, next).map((r) => r.container.name), ['side']);
  t.throws(() => resizedPod(p, { spec: { initContainers: [{ name: 'once', resources: { limits: { memory: '48Mi' } } }] } }), /non-sidecar init containers are immutable/);
});

t.test("a container's cgroup folder never takes a cgroup file's name", async (t) => {
  t.equal(Cgroups.containerRel('u', 'web'), 'podu/web');
  t.equal(Cgroups.containerRel('u', 'tasks'), 'podu/_tasks', "v1's tasks file is a valid container name");
});

t.test('the limits notice: containers or the pod asking for limits', async (t) => {
  t.equal(wantsLimits(pod([c('a')])), false);
  t.equal(wantsLimits(pod([c('a', { limits: { memory: '1Gi' } })])), true);
  t.equal(wantsLimits(pod([c('a')], undefined, { limits: { cpu: '1' } })), true, 'pod-level resources count');
});
