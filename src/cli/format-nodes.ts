// Nodes as kubectl shows them: `get nodes` (NAME STATUS ROLES AGE VERSION, and -o wide's
// columns) and `describe node` (labels, conditions, capacity, allocatable, the pods on it and
// what they have asked for). Pure: the node, its pods and the time in, text out.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';
import { podRequests } from '../scheduler/fit';
import { ageSince } from './age';
import { labelsCell } from './labels-column';
import { DescribeWriter, formatRFC1123Z, writeMap } from './describe';
import { renderTable } from './table';

function ready(n: Node): string {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady';
}

function roles(n: Node): string {
  const r = Object.keys(n.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return r.length ? r.sort().join(',') : '<none>';
}

function address(n: Node, type: string): string {
  return n.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export function nodeTable(nodes: Node[], o: { wide: boolean; now: number; showLabels?: boolean }): string {
  const head = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(o.wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : []), ...(o.showLabels ? ['LABELS'] : [])];
  const rows = nodes.map((n) => {
    const info = n.status?.nodeInfo;
    const base = [n.metadata?.name ?? '', ready(n), roles(n), ageSince(n.metadata?.creationTimestamp, o.now), info?.kubeletVersion ?? ''];
    const wide = o.wide ? [address(n, 'InternalIP'), address(n, 'ExternalIP'), info?.osImage ?? '', info?.kernelVersion ?? '', info?.containerRuntimeVersion ?? ''] : [];
    return [...base, ...wide, ...(o.showLabels ? [labelsCell(n.metadata?.labels)] : [])];
  });
  return renderTable([head, ...rows]);
}

/** A quantity as kubectl prints a sum: millicores for cpu, the largest exact binary unit for bytes. */
function quantity(name: string, v: number): string {
  if (name === 'cpu') return Number.isInteger(v) ? String(v) : `${Math.round(v * 1000)}m`;
  if (v === 0) return '0';
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (v % size === 0) return `${v / size}${suffix}`;
  return String(v);
}

function limits(pod: Pod): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of pod.spec?.containers ?? []) for (const [k, q] of Object.entries(c.resources?.limits ?? {})) out[k] = (out[k] ?? 0) + parseQuantity(q);
  return out;
}

export function describeNode(n: Node, pods: Pod[], now: number): string {
  const w = new DescribeWriter();
  const alloc = n.status?.allocatable ?? {};
  const pct = (name: string, v: number) => {
    const a = alloc[name] !== undefined ? parseQuantity(alloc[name]) : 0;
    return `${quantity(name, v)} (${a > 0 ? Math.floor((v / a) * 100) : 0}%)`;
  };
  w.line(0, `Name:\t${n.metadata?.name ?? ''}`);
  w.line(0, `Roles:\t${roles(n)}`);
  writeMap(w, 'Labels', n.metadata?.labels, '=');
  writeMap(w, 'Annotations', n.metadata?.annotations, ': ');
  w.line(0, `CreationTimestamp:\t${formatRFC1123Z(n.metadata?.creationTimestamp)}`);
  w.line(0, `Taints:\t${(n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ') || '<none>'}`);
  w.line(0, `Unschedulable:\t${n.spec?.unschedulable ? 'true' : 'false'}`);
  w.flush();
  w.line(0, 'Conditions:');
  w.line(1, 'Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage');
  w.line(1, '----\t------\t-----------------\t------------------\t------\t-------');
  for (const c of n.status?.conditions ?? []) w.line(1, `${c.type}\t${c.status}\t${formatRFC1123Z(c.lastHeartbeatTime)}\t${formatRFC1123Z(c.lastTransitionTime)}\t${c.reason ?? ''}\t${c.message ?? ''}`);
  w.flush();
  w.line(0, 'Addresses:');
  for (const a of n.status?.addresses ?? []) w.line(1, `${a.type}:\t${a.address}`);
  w.flush();
  for (const [title, list] of [['Capacity', n.status?.capacity], ['Allocatable', n.status?.allocatable]] as const) {
    w.line(0, `${title}:`);
    for (const k of Object.keys(list ?? {}).sort()) w.line(1, `${k}:\t${list![k]}`);
    w.flush();
  }
  const info = n.status?.nodeInfo;
  w.line(0, 'System Info:');
  for (const [k, v] of [
    ['Machine ID', info?.machineID],
    ['Boot ID', info?.bootID],
    ['Kernel Version', info?.kernelVersion],
    ['OS Image', info?.osImage],
    ['Operating System', info?.operatingSystem],
    ['Architecture', info?.architecture],
    ['Container Runtime Version', info?.containerRuntimeVersion],
    ['Kubelet Version', info?.kubeletVersion],
  ] as const) {
    w.line(1, `${k}:\t${v ?? ''}`);
  }
  w.flush();
  w.line(0, `Non-terminated Pods:\t(${pods.length} in total)`);
  w.line(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge');
  w.line(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---');
  const total: Record<string, number> = {};
  const totalLimits: Record<string, number> = {};
  for (const p of pods) {
    const req = podRequests(p);
    const lim = limits(p);
    for (const [k, v] of Object.entries(req)) total[k] = (total[k] ?? 0) + v;
    for (const [k, v] of Object.entries(lim)) totalLimits[k] = (totalLimits[k] ?? 0) + v;
    w.line(1, `${p.metadata?.namespace}\t${p.metadata?.name}\t${pct('cpu', req.cpu ?? 0)}\t${pct('cpu', lim.cpu ?? 0)}\t${pct('memory', req.memory ?? 0)}\t${pct('memory', lim.memory ?? 0)}\t${ageSince(p.metadata?.creationTimestamp, now)}`);
  }
  w.flush();
  w.line(0, 'Allocated resources:');
  w.line(1, '(Total limits may be over 100 percent, i.e., overcommitted.)');
  w.line(1, 'Resource\tRequests\tLimits');
  w.line(1, '--------\t--------\t------');
  for (const k of ['cpu', 'memory', 'ephemeral-storage']) w.line(1, `${k}\t${pct(k, total[k] ?? 0)}\t${pct(k, totalLimits[k] ?? 0)}`);
  w.flush();
  w.line(0, 'Events:\t<none>');
  return w.toString();
}
