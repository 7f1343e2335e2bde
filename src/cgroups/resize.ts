// In-place resize (the pod's `resize` subresource, GA in Kubernetes 1.35): a strategic merge
// patch of spec.containers[*].resources, judged as the API server judges it, and what the status
// reports of the resources a container runs with. Pure.
import type { Container, ContainerStatus, Pod, ResourceRequirements } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { qosClass } from '../kubelet/qos';
import { parseQuantity } from '../api/quantity';

type ContainerPatch = { name?: string; resources?: { limits?: Record<string, string | number | null>; requests?: Record<string, string | number | null> } };

/** The patch the subresource takes: `{"spec":{"containers":[{"name":"web","resources":{...}}]}}`; native sidecars under initContainers. */
export interface ResizePatch {
  spec?: { containers?: ContainerPatch[]; initContainers?: ContainerPatch[] };
}

const RESIZABLE = new Set(['cpu', 'memory']);

function invalid(name: string, message: string): PodrunError {
  return new PodrunError('Invalid', `Pod "${name}" is invalid: ${message}`);
}

function mergeList(name: string, path: string, old: Record<string, string> | undefined, patch: Record<string, string | number | null> | undefined): Record<string, string> | undefined {
  if (!patch) return old;
  const out: Record<string, string> = { ...old };
  for (const [k, v] of Object.entries(patch)) {
    if (!RESIZABLE.has(k) && String(v) !== old?.[k]) throw invalid(name, `${path}[${k}]: Forbidden: only cpu and memory resources are mutable`);
    if (v === null) {
      if (old?.[k] !== undefined) throw invalid(name, `${path}[${k}]: Forbidden: resource ${path.split('.').pop()} cannot be removed`);
      continue;
    }
    try {
      parseQuantity(v);
    } catch {
      throw invalid(name, `${path}[${k}]: Invalid value: "${v}": quantities must match the regular expression`);
    }
    out[k] = String(v);
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The pod after the patch: each named container's resources merged (a key set to null removes
 * it, as a strategic merge patch does), only cpu and memory changed, the QoS class unchanged.
 * Throws the API server's Invalid error otherwise.
 */
export function resizedPod(pod: Pod, patch: ResizePatch): Pod {
  const name = pod.metadata!.name!;
  const keys = Object.keys(patch ?? {}).filter((k) => k !== 'spec');
  const specKeys = Object.keys(patch?.spec ?? {}).filter((k) => k !== 'containers' && k !== 'initContainers');
  if (keys.length || specKeys.length) throw invalid(name, 'spec: Forbidden: only cpu and memory resources for containers may be changed through the resize subresource');
  const next: Pod = structuredClone(pod);
  const lists = [['containers', patch.spec?.containers ?? [], next.spec!.containers], ['initContainers', patch.spec?.initContainers ?? [], next.spec!.initContainers ?? []]] as const;
  for (const [list, patches, containers] of lists) patches.forEach((p, k) => {
    const extra = Object.keys(p).filter((x) => x !== 'name' && x !== 'resources');
    if (extra.length) throw invalid(name, `spec.${list}[${k}].${extra[0]}: Forbidden: only cpu and memory resources for containers may be changed through the resize subresource`);
    const i = containers.findIndex((c) => c.name === p.name);
    if (i < 0) throw invalid(name, `spec.${list}[${k}].name: Not found: "${p.name ?? ''}"`);
    const c = containers[i]!;
    // Of init containers, only native sidecars (restartPolicy: Always) run long enough to resize.
    if (list === 'initContainers' && c.restartPolicy !== 'Always') throw invalid(name, `spec.initContainers[${i}].resources: Forbidden: resources for non-sidecar init containers are immutable`);
    const path = `spec.${list}[${i}].resources`;
    const r: ResourceRequirements = { ...c.resources };
    const limits = mergeList(name, `${path}.limits`, c.resources?.limits, p.resources?.limits);
    const requests = mergeList(name, `${path}.requests`, c.resources?.requests, p.resources?.requests);
    if (limits) r.limits = limits;
    if (requests) r.requests = requests;
    for (const res of RESIZABLE) {
      const l = limits?.[res];
      const q = requests?.[res];
      if (l !== undefined && q !== undefined && parseQuantity(q) > parseQuantity(l)) throw invalid(name, `${path}.requests: Invalid value: "${q}": must be less than or equal to ${res} limit of ${l}`);
    }
    c.resources = r;
  });
  const before = qosClass(pod);
  const after = qosClass(next);
  if (before !== after) throw invalid(name, `spec: Invalid value: "${after}": Pod QOS Class may not change as a result of resizing`);
  return next;
}

/**
 * Why the node can never run the resized pod (the kubelet's Infeasible): its cpu or memory
 * requests, all containers together, above the node's allocatable; undefined when they fit.
 * The kubelet keeps such a resize pending (PodResizePending, reason Infeasible); podrun, which
 * actuates a resize at once, refuses it with the kubelet's message instead.
 */
export function infeasible(pod: Pod, allocatable: Record<string, string>): string | undefined {
  for (const r of ['cpu', 'memory']) {
    const cap = allocatable[r];
    if (cap === undefined) continue;
    const unit = r === 'cpu' ? 1000 : 1;
    const requested = [...pod.spec!.containers, ...(pod.spec!.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].reduce((n, c) => {
      const q = c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
      return n + (q === undefined ? 0 : Math.ceil(parseQuantity(q) * unit));
    }, 0);
    const capacity = Math.floor(parseQuantity(cap) * unit);
    if (requested > capacity) return `Node didn't have enough capacity: ${r}, requested: ${requested}, capacity: ${capacity}`;
  }
  return undefined;
}

/** Containers whose resources the patch changed, and whether each change may go without a restart. */
export function resizedContainers(before: Pod, after: Pod): { container: Container; restart: boolean }[] {
  const out: { container: Container; restart: boolean }[] = [];
  const all = (p: Pod) => [...p.spec!.containers, ...(p.spec!.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of all(after)) {
    const old = all(before).find((x) => x.name === c.name);
    if (!old) continue;
    const changed = [...RESIZABLE].filter((r) => old.resources?.limits?.[r] !== c.resources?.limits?.[r] || old.resources?.requests?.[r] !== c.resources?.requests?.[r]);
    if (!changed.length) continue;
    const restart = changed.some((r) => (c.resizePolicy ?? []).some((p) => p.resourceName === r && p.restartPolicy === 'RestartContainer'));
    out.push({ container: c, restart });
  }
  return out;
}

/**
 * The part of a container's resources its hash keeps: those whose resizePolicy is
 * RestartContainer (a resize of them restarts it); the rest change in place, as the kubelet's
 * hash leaves resources out since in-place resize.
 */
export function restartingResources(c: Container): ResourceRequirements | undefined {
  const restart = new Set((c.resizePolicy ?? []).filter((p) => p.restartPolicy === 'RestartContainer').map((p) => p.resourceName));
  if (!c.resources || !restart.size) return undefined;
  const pick = (m: Record<string, string> | undefined) => (m ? Object.fromEntries(Object.entries(m).filter(([k]) => restart.has(k) || !RESIZABLE.has(k))) : undefined);
  return { ...c.resources, limits: pick(c.resources.limits), requests: pick(c.resources.requests) };
}

/** containerStatuses[].resources and allocatedResources: the cpu and memory the container runs with. */
export function statusResources(c: Container): Pick<ContainerStatus, 'resources' | 'allocatedResources'> {
  const only = (m: Record<string, string> | undefined) => {
    const o = Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => RESIZABLE.has(k)));
    return Object.keys(o).length ? o : undefined;
  };
  const limits = only(c.resources?.limits);
  const requests = only(c.resources?.requests);
  if (!limits && !requests) return {};
  return { resources: { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) }, ...(requests ? { allocatedResources: requests } : {}) };
}
