// The columns of `podrun get pods`, computed as kubectl's printPod does
// (k8s.io/kubernetes/pkg/printers/internalversion/printers.go), so that STATUS, READY and
// RESTARTS mean here exactly what people read them as in a cluster. Pure: `now` is passed in.

import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { ageSince } from './age';
import { labelsCell } from './labels-column';
import { renderTable } from './table';

export interface PodRow {
  namespace: string;
  name: string;
  /** `ready/total` */
  ready: string;
  status: string;
  /** The sum of restarts, with `(5s ago)` when the last termination time is known. */
  restarts: string;
  age: string;
  ip: string;
  node: string;
  /** status.nominatedNodeName, or <none> */
  nominated: string;
  /** `true/total` of the readiness gates' conditions, or <none> */
  gates: string;
}

/** A sidecar: an init container that keeps running next to the main ones. */
function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(pod: Pod, type: string): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Later of two RFC 3339 times; undefined counts as the zero time. */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function podRow(pod: Pod, now: number): PodRow {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = new Map((spec?.initContainers ?? []).map((c) => [c.name, c]));
  let total = spec?.containers.length ?? 0;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;

  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  let initializing = false;
  const inits: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    const sidecar = isRestartableInit(initSpecs.get(c.name));
    restarts += c.restartCount;
    lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
    if (sidecar) {
      sidecarRestarts += c.restartCount;
      lastSidecarRestart = later(lastSidecarRestart, c.lastState?.terminated?.finishedAt);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      // Initialisation failed.
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    // Once initialised, only sidecars' restarts count among the init containers'.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Backwards, so that the first container's state is the one that shows.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount;
      lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt);
      const term = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A container that completed while another still runs does not make the pod Completed.
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart) restartsText = `${restarts} (${ageSince(lastRestart, now)} ago)`;

  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    ready: `${ready}/${total}`,
    status: reason,
    restarts: restartsText,
    age: ageSince(pod.metadata?.creationTimestamp, now),
    ip: status.podIPs?.[0]?.ip || status.podIP || '<none>',
    node: spec?.nodeName || '<none>',
    nominated: status.nominatedNodeName || '<none>',
    gates: spec?.readinessGates?.length ? `${spec.readinessGates.filter((g) => conditionTrue(pod, g.conditionType)).length}/${spec.readinessGates.length}` : '<none>',
  };
}

export interface PodTableOptions {
  wide?: boolean;
  /** Prefix a NAMESPACE column, as `get -A` does. */
  withNamespace?: boolean;
  /** `get all`: names as `pod/web`. */
  withKind?: boolean;
  /** --show-labels: a LABELS column. */
  showLabels?: boolean;
  now: number;
}

/** The `get pods` table, header included. */
export function podTable(pods: Pod[], opts: PodTableOptions): string {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (opts.wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  if (opts.showLabels) header.push('LABELS');
  if (opts.withNamespace) header.unshift('NAMESPACE');
  const rows = pods.map((p) => {
    const r = podRow(p, opts.now);
    const cells = [opts.withKind ? `pod/${r.name}` : r.name, r.ready, r.status, r.restarts, r.age];
    if (opts.wide) cells.push(r.ip, r.node, r.nominated, r.gates);
    if (opts.showLabels) cells.push(labelsCell(p.metadata?.labels));
    if (opts.withNamespace) cells.unshift(r.namespace);
    return cells;
  });
  return renderTable([header, ...rows]);
}

/** kubectl lists pods by namespace, then name (the API server's storage order). */
export function sortPods(pods: Pod[]): Pod[] {
  const key = (p: Pod): string => `${p.metadata?.namespace ?? 'default'}\u0000${p.metadata?.name ?? ''}`;
  return [...pods].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
