// What a pod's and a container's cgroups hold, computed as the kubelet computes it
// (pkg/kubelet/cm/helpers_linux.go: MilliCPUToShares, MilliCPUToQuota, ResourceConfigForPod;
// runc's ConvertCPUSharesToCgroupV2Value for cpu.weight). Pure: the drivers write these values.
import type { Container, Pod, ResourceRequirements } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';

/** The kubelet's bounds on cpu.shares, and the CFS period it always uses (100 ms). */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const CFS_PERIOD_US = 100_000;
/** The smallest quota the kubelet writes (1 ms of a period). */
export const MIN_QUOTA_US = 1000;

/**
 * The pids limit of every container: podman's default (containers.conf pids_limit = 2048).
 * The kubelet's podPidsLimit defaults to unlimited (-1), which leaves a fork bomb free to reach
 * the host's pid_max; podrun runs on one machine beside its user's own processes, so it takes
 * podman's bounded default, per container (an exec session counts in its container).
 */
export const DEFAULT_PIDS_LIMIT = 2048;

export interface CgroupValues {
  /** Bytes; undefined: no limit. v1 memory.limit_in_bytes (and memsw, no swap), v2 memory.max (and swap.max 0). */
  memoryLimit?: number;
  /** Bytes, v2 memory.low only: cgroup v1 has no such protection (the kubelet writes nothing there either). */
  memoryLow?: number;
  /** v1 cpu.shares; v2 cpu.weight is derived from it (cpuWeight). */
  cpuShares: number;
  /** Microseconds of CPU per CFS_PERIOD_US; undefined: no quota. */
  cpuQuota?: number;
  /** pids.max; undefined: no limit. */
  pidsLimit?: number;
}

/** Millicores as the kubelet reads a quantity (resource.Quantity.MilliValue rounds up). */
export function milliCPU(q: string | number | undefined): number {
  return q === undefined ? 0 : Math.ceil(Math.round(parseQuantity(q) * 1e6) / 1e3);
}

export function milliCPUToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.floor((milli * 1024) / 1000);
  return Math.min(Math.max(shares, MIN_SHARES), MAX_SHARES);
}

/** The CFS quota of a cpu limit: 0 for none. */
export function milliCPUToQuota(milli: number, periodUs = CFS_PERIOD_US): number {
  if (milli === 0) return 0;
  return Math.max(Math.floor((milli * periodUs) / 1000), MIN_QUOTA_US);
}

/** cgroup v2's cpu.weight for cpu.shares (runc, crun and the kubelet's conversion). */
export function cpuWeight(shares: number): number {
  if (shares === 0) return 100;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

function bytes(q: string | number | undefined): number | undefined {
  return q === undefined ? undefined : Math.ceil(parseQuantity(q));
}

/**
 * A container's values from its resources: requests.cpu (defaulted from limits.cpu by the API)
 * to shares, limits.cpu to a quota, limits.memory to the limit, requests.memory to memory.low.
 */
export function containerValues(r: ResourceRequirements | undefined, pidsLimit: number | undefined = DEFAULT_PIDS_LIMIT): CgroupValues {
  const req = r?.requests ?? {};
  const lim = r?.limits ?? {};
  const quota = milliCPUToQuota(milliCPU(lim.cpu));
  return {
    memoryLimit: bytes(lim.memory),
    memoryLow: bytes(req.memory ?? lim.memory),
    cpuShares: milliCPUToShares(milliCPU(req.cpu ?? lim.cpu)),
    cpuQuota: quota || undefined,
    pidsLimit,
  };
}

/**
 * The pod's cgroup (the kubelet's ResourceConfigForPod): shares from the sum of cpu requests;
 * a cpu quota and a memory limit only when every container has that limit (then their sum);
 * init containers count as the largest of them when more than the rest (the effective request).
 * Pod-level `spec.resources` (PodLevelResources) takes the place of the sums when given.
 */
export function podValues(pod: Pod): CgroupValues {
  const spec = pod.spec!;
  const podLevel = (spec as { resources?: ResourceRequirements }).resources;
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  const inits = (spec.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always');
  const regular: Container[] = [...spec.containers, ...sidecars];
  const all = [...regular, ...inits];
  const sum = (cs: Container[], f: (c: Container) => number) => cs.reduce((n, c) => n + f(c), 0);
  const effective = (f: (c: Container) => number) => Math.max(sum(regular, f), ...inits.map(f), 0);
  const cpuReq = (c: Container) => milliCPU(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu);
  const cpuLim = (c: Container) => milliCPU(c.resources?.limits?.cpu);
  const memLim = (c: Container) => bytes(c.resources?.limits?.memory) ?? 0;
  const memReq = (c: Container) => bytes(c.resources?.requests?.memory ?? c.resources?.limits?.memory) ?? 0;
  const allHave = (r: 'cpu' | 'memory') => all.every((c) => c.resources?.limits?.[r] !== undefined);

  const cpuRequest = podLevel?.requests?.cpu ?? podLevel?.limits?.cpu;
  const shares = milliCPUToShares(cpuRequest !== undefined ? milliCPU(cpuRequest) : effective(cpuReq));
  const quotaMilli = podLevel?.limits?.cpu !== undefined ? milliCPU(podLevel.limits.cpu) : allHave('cpu') ? effective(cpuLim) : 0;
  const memoryLimit = podLevel?.limits?.memory !== undefined ? bytes(podLevel.limits.memory) : allHave('memory') ? effective(memLim) : undefined;
  const memoryRequest = podLevel?.requests?.memory ?? podLevel?.limits?.memory;
  const memoryLow = memoryRequest !== undefined ? bytes(memoryRequest) : effective(memReq) || undefined;
  return { memoryLimit, memoryLow, cpuShares: shares, cpuQuota: milliCPUToQuota(quotaMilli) || undefined };
}
