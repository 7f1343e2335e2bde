// Pod status in the shape of the Kubernetes API, computed from the spec, the shim's records and
// the engine's decisions. Pure: the same inputs give the same status (the unit-test seam).
import { statusResources } from '../cgroups/resize';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus, VolumeMount, VolumeMountStatus } from 'kubernetes-types/core/v1';
import type { AttemptRecord, ExitRecord } from '../runtime/records';
import type { PodState } from './pod-state';
import { isSidecar } from './pod-actions';
import { qosClass } from './qos';

export interface StatusInputs {
  pod: Pod;
  podId: string;
  state: PodState;
  attempts: Map<string, AttemptRecord[]>;
  /** Whether the process of a start record is still running (the shim is alive and it has not exited). */
  isRunning(name: string, a: AttemptRecord): boolean;
  imageIds: Map<string, string>;
  /** The ids the container's process runs with (containerStatuses[].user.linux), once it has started. */
  user?(name: string): { uid: number; gid: number; supplementalGroups: number[] } | undefined;
  /** The termination message of a finished attempt ('' when none). */
  terminationMessage?(name: string, exit: ExitRecord): string;
  /** Probe results of running containers; undefined for a container without probes. */
  probes?(name: string): { started: boolean; ready: boolean } | undefined;
  hostIP: string;
  podIP?: string;
  now: string;
}

export function containerId(podId: string, name: string, attempt: number): string {
  return `podrun://${podId}-${name}-${attempt}`;
}

function terminated(podId: string, e: ExitRecord, written: string | undefined): ContainerState {
  // The shim's own message (StartError) wins over what the container wrote.
  const message = e.message || written;
  return {
    terminated: {
      exitCode: e.exitCode,
      ...(e.signal ? { signal: e.signal } : {}),
      reason: e.reason ?? (e.exitCode === 0 ? 'Completed' : 'Error'),
      ...(message ? { message } : {}),
      startedAt: e.startedAt,
      finishedAt: e.finishedAt,
      containerID: containerId(podId, e.name, e.attempt),
    },
  };
}

function lost(podId: string, name: string, a: AttemptRecord, now: string): ContainerState {
  return {
    terminated: {
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: 'The container could not be located when the pod was terminated',
      startedAt: a.start?.startedAt,
      finishedAt: now,
      containerID: containerId(podId, name, a.attempt),
    },
  };
}


function containerStatus(i: StatusInputs, c: Container, kind: 'init' | 'app' | 'ephemeral'): ContainerStatus {
  const attempts = i.attempts.get(c.name) ?? [];
  const latest = attempts[attempts.length - 1];
  const prev = attempts.length > 1 ? attempts[attempts.length - 2] : undefined;
  const hint = i.state.containers[c.name];
  const base = { name: c.name, image: c.image ?? '', imageID: i.imageIds.get(c.name) ?? '' };
  const stateOf = (a: AttemptRecord): ContainerState =>
    a.exit ? terminated(i.podId, a.exit, i.terminationMessage?.(c.name, a.exit)) : a.start && i.isRunning(c.name, a) ? { running: { startedAt: a.start.startedAt } } : lost(i.podId, c.name, a, i.now);

  if (!latest) {
    // Never started: why it waits (ErrImagePull, ImagePullBackOff, CreateContainerConfigError), else where it is in line.
    if (hint?.waiting) return { ...base, ready: false, started: false, restartCount: 0, state: { waiting: { reason: hint.waiting.reason, message: hint.waiting.message } } };
    const reason = kind === 'ephemeral' ? 'ContainerCreating' : kind === 'init' || !i.state.initialized ? 'PodInitializing' : 'ContainerCreating';
    return { ...base, ready: false, started: false, restartCount: 0, state: { waiting: { reason } } };
  }
  let state = stateOf(latest);
  let lastState: ContainerState = prev ? stateOf(prev) : {};
  if (state.terminated && hint?.waiting) {
    lastState = state;
    state = { waiting: { reason: hint.waiting.reason, message: hint.waiting.message } };
  }
  const running = !!state.running;
  const probed = running ? i.probes?.(c.name) : undefined;
  // A pod being deleted is taken out of service at once, as the kubelet marks it not ready.
  const deleting = !!i.state.deletionTimestamp;
  const user = latest.start ? i.user?.(c.name) : undefined;
  return {
    ...base,
    ...(user ? { user: { linux: user } } : {}),
    containerID: containerId(i.podId, c.name, latest.attempt),
    // A completed init container reports ready, as the kubelet has since 1.27.
    ready: (kind === 'init' && !isSidecar(c) && state.terminated?.exitCode === 0) || (running && !deleting && (kind === 'app' || isSidecar(c)) && (probed?.ready ?? true)),
    started: running && (probed?.started ?? true),
    restartCount: latest.attempt,
    state,
    lastState,
    ...(c.volumeMounts?.length ? { volumeMounts: c.volumeMounts.map(mountStatus) } : {}),
    // The cpu and memory it runs with (after an in-place resize, the new ones), as the kubelet reports them.
    ...(running ? statusResources(c) : {}),
  };
}

/**
 * A volume mount as containerStatuses[].volumeMounts reports it. podrun makes every read-only
 * bind read-only recursively (mount_setattr with AT_RECURSIVE), so a read-only mount's
 * recursiveReadOnly is Enabled whether or not it was asked for.
 */
function mountStatus(m: VolumeMount): VolumeMountStatus {
  return { name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Enabled' } : {}) };
}

function condition(i: StatusInputs, type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = i.state.conditions[type];
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : i.now;
  const observedGeneration = i.pod.metadata?.generation;
  return {
    type,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    status,
    lastProbeTime: null as unknown as string,
    lastTransitionTime,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  } as PodCondition;
}

export function computeStatus(i: StatusInputs): PodStatus {
  const spec = i.pod.spec!;
  const init = spec.initContainers ?? [];
  const app = spec.containers ?? [];
  const initStatuses = init.map((c) => containerStatus(i, c, 'init'));
  const appStatuses = app.map((c) => containerStatus(i, c, 'app'));

  let phase: PodStatus['phase'];
  if (i.state.phase) phase = i.state.phase;
  else if (!i.state.initialized && init.length > 0) phase = 'Pending';
  else if (appStatuses.some((s) => s.restartCount === 0 && !s.state?.running && !s.state?.terminated)) phase = 'Pending';
  else phase = 'Running';

  const incompleteInit = init.filter((c, k) => !isSidecar(c) && !(initStatuses[k].state?.terminated?.exitCode === 0 || i.state.initialized)).map((c) => c.name);
  const initialized = init.length === 0 || i.state.initialized;
  // Native sidecars count toward readiness, as on the kubelet since they became restartable init containers.
  const unready = [...init.filter((c, k) => isSidecar(c) && !initStatuses[k].ready), ...app.filter((_, k) => !appStatuses[k].ready)].map((c) => c.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const containersReady = !terminal && unready.length === 0;
  const others = new Map<string, boolean>([['PodReadyToStartContainers', true], ['Initialized', initialized], ['ContainersReady', containersReady], ['PodScheduled', true]]);
  // Readiness gates (the kubelet's GeneratePodReadyCondition): the pod is Ready only when the
  // condition each names is True. Conditions of other controllers never appear here (nothing
  // patches a pod's status), so a gate on one holds the pod unready, as it would with no such
  // controller in a cluster.
  const gate = (spec.readinessGates ?? []).map((g) => g.conditionType).find((t) => others.get(t) !== true);
  const gateMessage = gate === undefined ? undefined : others.has(gate) ? `the status of pod readiness gate "${gate}" is not "True", but False` : `corresponding condition of pod readiness gate "${gate}" does not exist.`;
  const ready = containersReady && gate === undefined;
  const conditions: PodCondition[] = [
    condition(i, 'PodReadyToStartContainers', true),
    condition(i, 'Initialized', initialized, initialized ? (terminal ? 'PodCompleted' : undefined) : 'ContainersNotInitialized', initialized ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    containersReady && !ready
      ? condition(i, 'Ready', false, 'ReadinessGatesNotReady', gateMessage)
      : condition(i, 'Ready', ready, ready ? undefined : readyReason, terminal || ready ? undefined : `containers with unready status: [${unready.join(' ')}]`),
    condition(i, 'ContainersReady', containersReady, containersReady ? undefined : readyReason, terminal || containersReady ? undefined : `containers with unready status: [${unready.join(' ')}]`),
    condition(i, 'PodScheduled', true),
  ];
  const observedGeneration = i.pod.metadata?.generation;
  return {
    // The kubelet echoes the generation it has acted on (PodObservedGenerationTracking, GA in 1.35).
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    phase,
    ...(i.state.reason ? { reason: i.state.reason } : {}),
    ...(i.state.message ? { message: i.state.message } : {}),
    conditions,
    hostIP: i.hostIP,
    hostIPs: [{ ip: i.hostIP }],
    ...(i.podIP ? { podIP: i.podIP, podIPs: [{ ip: i.podIP }] } : {}),
    startTime: i.state.startTime,
    ...(init.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    ...(spec.ephemeralContainers?.length ? { ephemeralContainerStatuses: spec.ephemeralContainers.map((c) => containerStatus(i, c as Container, 'ephemeral')) } : {}),
    qosClass: qosClass(i.pod),
  };
}
