// The scheduler's answer for one pod and the one node: its filter plugins in their default order
// (NodeName, NodeAffinity, NodeResourcesFit, PodTopologySpread, InterPodAffinity), the first that
// fails giving the reason, worded as kube-scheduler words its FailedScheduling message. Pure: the
// pod, the node and the pods already on it in, a verdict out.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, ResourceRequirements } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';

export type Verdict = { ok: true } | { ok: false; reason: 'Unschedulable' | 'SchedulingGated'; message: string };

/** Resources every node has a word for; any other requested name must appear in allocatable. */
const STANDARD = ['cpu', 'memory', 'ephemeral-storage'];

function add(into: Record<string, number>, r: ResourceRequirements | undefined): Record<string, number> {
  const limits = r?.limits ?? {};
  const requests = r?.requests ?? {};
  // A limit without a request is the request too (the API server's defaulting).
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    const q = requests[name] ?? limits[name];
    if (q !== undefined) into[name] = (into[name] ?? 0) + parseQuantity(q);
  }
  return into;
}

function maxInto(into: Record<string, number>, other: Record<string, number>): void {
  for (const [k, v] of Object.entries(other)) into[k] = Math.max(into[k] ?? 0, v);
}

/**
 * What the pod asks of the node (the scheduler's PodRequests): pod-level resources when set;
 * else the app containers and native sidecars together, or the largest init container with
 * the sidecars started before it, whichever is more; plus the overhead.
 */
export function podRequests(pod: Pod): Record<string, number> {
  // A pod's spec does not change its resources once stored: each object is summed once.
  let r = requestCache.get(pod);
  if (!r) requestCache.set(pod, (r = sumRequests(pod)));
  return r;
}

const requestCache = new WeakMap<Pod, Record<string, number>>();

function sumRequests(pod: Pod): Record<string, number> {
  const spec = pod.spec!;
  const podLevel = (spec as { resources?: ResourceRequirements }).resources;
  let total: Record<string, number>;
  if (podLevel?.requests || podLevel?.limits) total = add({}, podLevel);
  else {
    const sidecars: Record<string, number> = {};
    const initPeak: Record<string, number> = {};
    for (const c of spec.initContainers ?? []) {
      if (c.restartPolicy === 'Always') add(sidecars, c.resources);
      else maxInto(initPeak, add({ ...sidecars }, c.resources));
    }
    total = { ...sidecars };
    for (const c of spec.containers) add(total, c.resources);
    maxInto(total, initPeak);
  }
  for (const [k, v] of Object.entries(spec.overhead ?? {})) total[k] = (total[k] ?? 0) + parseQuantity(v);
  return total;
}

function requirementHolds(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1) return false;
      return req.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const fields: Record<string, string | undefined> = { 'metadata.name': node.metadata?.name };
  // A term with no requirements matches no node (the API's rule).
  if (!term.matchExpressions?.length && !term.matchFields?.length) return false;
  return (term.matchExpressions ?? []).every((r) => requirementHolds(r, labels[r.key])) && (term.matchFields ?? []).every((r) => requirementHolds(r, fields[r.key]));
}

/** The pod's nodeSelector and required node affinity hold for the node (the DaemonSet controller asks this too). */
export function nodeAffinityFits(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return !terms || terms.some((t) => termMatches(t, node));
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const v = labels[e.key];
    if (e.operator === 'In') return v !== undefined && (e.values ?? []).includes(v);
    if (e.operator === 'NotIn') return v === undefined || !(e.values ?? []).includes(v);
    if (e.operator === 'Exists') return v !== undefined;
    if (e.operator === 'DoesNotExist') return v === undefined;
    return false;
  });
}

/** Whether `other` is one of the pods an affinity term of `owner` selects. */
function termSelects(term: PodAffinityTerm, owner: Pod, other: Pod): boolean {
  const namespaces = term.namespaces?.length ? term.namespaces : term.namespaceSelector ? undefined : [owner.metadata?.namespace ?? 'default'];
  // A namespaceSelector is matched against namespace labels, which podrun does not keep: {} selects all.
  if (namespaces && !namespaces.includes(other.metadata?.namespace ?? 'default')) return false;
  return selectorMatches(term.labelSelector, other.metadata?.labels ?? {});
}

function interPodAffinity(pod: Pod, node: Node, others: Pod[]): string | undefined {
  const labels = node.metadata?.labels ?? {};
  const aff = pod.spec?.affinity;
  for (const term of aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (labels[term.topologyKey] === undefined) return "node(s) didn't match pod affinity rules";
    const found = others.some((o) => termSelects(term, pod, o));
    // The first pod of a group may go where its own term would place it (the scheduler's special case).
    const firstOfGroup = !found && termSelects(term, pod, pod);
    if (!found && !firstOfGroup) return "node(s) didn't match pod affinity rules";
  }
  for (const term of aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (labels[term.topologyKey] !== undefined && others.some((o) => termSelects(term, pod, o))) return "node(s) didn't match pod anti-affinity rules";
  }
  for (const o of others) {
    for (const term of o.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (labels[term.topologyKey] !== undefined && termSelects(term, o, pod)) return "node(s) didn't satisfy existing pods anti-affinity rules";
    }
  }
  return undefined;
}

function topologySpread(pod: Pod, node: Node): string | undefined {
  const labels = node.metadata?.labels ?? {};
  for (const c of pod.spec?.topologySpreadConstraints ?? []) {
    // One node is one domain: the skew is always 0, unless the node lacks the key altogether.
    if (c.whenUnsatisfiable === 'DoNotSchedule' && labels[c.topologyKey] === undefined) return "node(s) didn't match pod topology spread constraints (missing required label)";
  }
  return undefined;
}

function insufficient(pod: Pod, node: Node, others: Pod[]): string[] {
  const alloc = node.status?.allocatable ?? {};
  const out: string[] = [];
  if (others.length + 1 > Number(alloc.pods ?? Infinity)) out.push('Too many pods');
  const want = podRequests(pod);
  // Most pods ask for nothing: then what the others hold does not matter.
  if (!Object.values(want).some((v) => v > 0)) return out;
  const used: Record<string, number> = {};
  for (const o of others) for (const [k, v] of Object.entries(podRequests(o))) used[k] = (used[k] ?? 0) + v;
  for (const [name, amount] of Object.entries(want)) {
    if (amount <= 0) continue;
    const have = alloc[name];
    if (have === undefined) {
      if (!STANDARD.includes(name)) out.push(`Insufficient ${name}`);
      continue;
    }
    if ((used[name] ?? 0) + amount > parseQuantity(have)) out.push(`Insufficient ${name}`);
  }
  return out.sort();
}

/** `0/1 nodes are available: 1 <why>. preemption: …`, as kube-scheduler writes it for one node. */
function failure(reasons: string[], preemptionHelps: boolean): Verdict {
  const preemption = preemptionHelps ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling';
  return { ok: false, reason: 'Unschedulable', message: `0/1 nodes are available: ${reasons.map((r) => `1 ${r}`).join(', ')}. preemption: 0/1 nodes are available: 1 ${preemption}.` };
}

/** Whether `pod` may run on `node`, beside `others` (the non-terminal pods already there). */
export function scheduleOnto(pod: Pod, node: Node, others: Pod[]): Verdict {
  const spec = pod.spec!;
  if (spec.schedulingGates?.length) return { ok: false, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' };
  if (spec.nodeName && spec.nodeName !== node.metadata?.name) return failure(["node(s) didn't match the requested node name"], false);
  if (!nodeAffinityFits(pod, node)) return failure(["node(s) didn't match Pod's node affinity/selector"], false);
  // Dynamic resource allocation: no ResourceClaim exists here, nor a driver to allocate one, so
  // the pod waits, as it would in a cluster for a claim that is never created.
  // (resourceClaimName is top-level since 1.31, under source before.)
  const claim = spec.resourceClaims?.[0] as { name: string; resourceClaimName?: string; source?: { resourceClaimName?: string } } | undefined;
  if (claim) return failure([`resourceclaim "${claim.resourceClaimName ?? claim.source?.resourceClaimName ?? claim.name}" not found: podrun has no dynamic resource allocation`], false);
  const short = insufficient(pod, node, others);
  if (short.length) return failure(short, true);
  const spread = topologySpread(pod, node);
  if (spread) return failure([spread], false);
  const affinity = interPodAffinity(pod, node, others);
  if (affinity) return failure([affinity], affinity.includes('anti-affinity'));
  return { ok: true };
}
