// The kubelet's decisions for one pod, as one pure function (its computePodActions in
// pkg/kubelet/kuberuntime/kuberuntime_manager.go): from the spec, what was observed of each
// container, and the time, it answers which containers to kill and why, which to start (in
// order), which wait out a back-off, whether the pod has reached a terminal phase, and whether
// the sandbox must be made again. The pod worker carries the answer out; nothing here touches a
// process, a file or a clock.
import * as crypto from 'node:crypto';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { stableJson } from '../api/stable-json';
import { restartingResources } from '../cgroups/resize';
import { backoffDelay, BACKOFF_RESET_MS, restartsAfter, type BackoffPolicy } from './backoff';

export type ContainerKind = 'init' | 'sidecar' | 'app' | 'ephemeral';

/** The latest attempt of one container, as the records and probes show it. */
export interface ObservedContainer {
  attempt: number;
  running: boolean;
  /** Set once the attempt has ended. */
  exit?: { exitCode: number; startedAt?: string; finishedAt: string };
  /** containerHash() of the spec this attempt was started from; undefined when not known. */
  hash?: string;
  /** The attempt from which the current hash's back-off counts (a changed spec starts afresh). */
  backoffFrom?: number;
  /** The startup probe has passed (true without one). */
  started: boolean;
  /** A liveness or startup probe of this attempt has failed past its threshold. */
  probeFailed?: 'liveness' | 'startup';
}

export interface PodActionsInput {
  spec: PodSpec;
  /** Every init container has completed in the current sandbox. */
  initialized: boolean;
  /** A terminal phase already decided. */
  phase?: 'Succeeded' | 'Failed';
  sandboxAlive: boolean;
  /** Latest attempt by container name (of the current sandbox); absent when never started. */
  containers: Record<string, ObservedContainer | undefined>;
  /** The attempt number of a container's first start in this sandbox, when earlier sandboxes ran it (default 0). */
  firstAttempt?: Record<string, number>;
  backoff: BackoffPolicy;
  /** When the pod started (ms since the epoch), for activeDeadlineSeconds. */
  startTime: number;
  now: number;
}

export interface ContainerStart {
  container: Container;
  kind: ContainerKind;
  /** spec.containers[2], for error messages. */
  field: string;
  attempt: number;
  hash: string;
  /** The back-off of this hash counts from this attempt. */
  backoffFrom: number;
}

export interface ContainerKill {
  container: Container;
  kind: ContainerKind;
  /** The kubelet's reasons: definition changed, probe failure. */
  reason: 'DefinitionChanged' | 'Unhealthy';
  message: string;
  /** A probe's own terminationGracePeriodSeconds, when it overrides the pod's (ms). */
  graceMs?: number;
}

export interface BackOffWait {
  container: Container;
  field: string;
  /** When the restart may happen (ms since the epoch), and the delay it comes from. */
  until: number;
  delayMs: number;
}

export interface PodActions {
  /** Containers to stop, before anything starts. */
  kill: ContainerKill[];
  /** Containers to start, in this order. */
  start: ContainerStart[];
  /** Containers waiting out a restart back-off (CrashLoopBackOff). */
  backOff: BackOffWait[];
  /** The init phase is over (persist before starting app containers). */
  initialized: boolean;
  /** A terminal phase reached now; stopAll: running containers are stopped too. */
  terminal?: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string; stopAll: boolean };
  /** The sandbox is gone and the restart policy wants the pod back: make a new one (init containers run again). */
  createSandbox: boolean;
  /** The earliest time the decision may change without any event (ms since the epoch). */
  wakeAt?: number;
}

/**
 * A stable hash of a container's spec: the kubelet's container hash, which an update changes.
 * cpu and memory are left out unless their resizePolicy is RestartContainer: an in-place resize
 * (cgroups/resize.ts) changes them without a restart.
 */
export function containerHash(c: Container): string {
  return crypto.createHash('sha256').update(stableJson({ ...c, resources: restartingResources(c) ?? (c.resources ? {} : undefined) })).digest('hex').slice(0, 16);
}

export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** Whether a pod may be brought back after losing its sandbox (the kubelet's podSandboxChanged). */
function wantsNewSandbox(i: PodActionsInput): boolean {
  if (i.spec.restartPolicy !== 'Never') return true;
  // Never: a pod that has run nothing yet may still get its (first) sandbox; one that has, ends.
  return Object.values(i.containers).every((o) => !o);
}

export function computePodActions(i: PodActionsInput): PodActions {
  const out: PodActions = { kill: [], start: [], backOff: [], initialized: i.initialized, createSandbox: false };
  if (i.phase) return out;
  const spec = i.spec;
  if (!i.sandboxAlive) {
    if (wantsNewSandbox(i)) out.createSandbox = true;
    else out.terminal = { phase: 'Failed', reason: 'SandboxLost', message: 'the pod sandbox (podrun shim) is gone', stopAll: false };
    return out;
  }
  const deadline = spec.activeDeadlineSeconds ? i.startTime + spec.activeDeadlineSeconds * 1000 : undefined;
  if (deadline !== undefined) {
    if (i.now >= deadline) {
      out.terminal = { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', stopAll: true };
      return out;
    }
    out.wakeAt = deadline;
  }

  // Each container of the current spec, running on an older spec or failed by a probe, is killed;
  // one whose spec changed comes back at once, whatever the restart policy (the kubelet's
  // "definition changed, will be restarted").
  const changed = new Set<string>();
  const check = (c: Container, kind: ContainerKind): void => {
    const o = i.containers[c.name];
    if (!o?.running) return;
    if (o.hash !== undefined && o.hash !== containerHash(c)) {
      changed.add(c.name);
      out.kill.push({ container: c, kind, reason: 'DefinitionChanged', message: `Container ${c.name} definition changed, will be restarted` });
    } else if (o.probeFailed && kind !== 'init') {
      const probe = o.probeFailed === 'liveness' ? c.livenessProbe : c.startupProbe;
      const grace = probe?.terminationGracePeriodSeconds;
      out.kill.push({
        container: c,
        kind,
        reason: 'Unhealthy',
        message: `Container ${c.name} failed ${o.probeFailed} probe, will be restarted`,
        ...(grace !== undefined && grace !== null ? { graceMs: grace * 1000 } : {}),
      });
    }
  };
  const init = spec.initContainers ?? [];
  init.forEach((c) => check(c, isSidecar(c) ? 'sidecar' : 'init'));
  spec.containers.forEach((c) => check(c, 'app'));

  /** Start now, restart after a back-off, or nothing (running, or done for good). */
  const next = (c: Container, kind: ContainerKind, field: string, restartOnExit: (exitCode: number) => boolean): 'started' | 'waiting' | 'running' | 'done' => {
    const o = i.containers[c.name];
    const hash = containerHash(c);
    if (!o) {
      const attempt = i.firstAttempt?.[c.name] ?? 0;
      out.start.push({ container: c, kind, field, attempt, hash, backoffFrom: attempt });
      return 'started';
    }
    if (changed.has(c.name)) {
      out.start.push({ container: c, kind, field, attempt: o.attempt + 1, hash, backoffFrom: o.attempt + 1 });
      return 'started';
    }
    if (!o.exit) return o.running ? 'running' : 'waiting';
    if (!restartOnExit(o.exit.exitCode)) return 'done';
    // A new spec restarts at once; the same spec waits out its back-off.
    const sameSpec = o.hash === undefined || o.hash === hash;
    const from = sameSpec ? (o.backoffFrom ?? 0) : o.attempt + 1;
    const ranMs = Date.parse(o.exit.finishedAt) - Date.parse(o.exit.startedAt || o.exit.finishedAt);
    // The kubelet forgets the back-off of a container that ran long enough.
    const restarts = !sameSpec || ranMs >= BACKOFF_RESET_MS ? 0 : o.attempt - from;
    const delayMs = backoffDelay(i.backoff, restarts);
    const until = Date.parse(o.exit.finishedAt) + delayMs;
    if (until <= i.now) {
      out.start.push({ container: c, kind, field, attempt: o.attempt + 1, hash, backoffFrom: !sameSpec || ranMs >= BACKOFF_RESET_MS ? o.attempt + 1 : from });
      return 'started';
    }
    out.backOff.push({ container: c, field, until, delayMs });
    out.wakeAt = Math.min(out.wakeAt ?? Infinity, until);
    return 'waiting';
  };

  if (!i.initialized) {
    for (const [k, c] of init.entries()) {
      const field = `spec.initContainers[${k}]`;
      if (isSidecar(c)) {
        // The next init container goes once this sidecar runs and its startup probe has passed.
        const r = next(c, 'sidecar', field, () => true);
        if (r === 'running' && i.containers[c.name]!.started) continue;
        return out;
      }
      const o = i.containers[c.name];
      if (o?.exit?.exitCode === 0 && !changed.has(c.name)) continue;
      if (o?.exit && spec.restartPolicy === 'Never') {
        out.terminal = { phase: 'Failed', stopAll: false };
        return out;
      }
      next(c, 'init', field, () => true);
      return out;
    }
    out.initialized = true;
  } else {
    init.forEach((c, k) => {
      if (isSidecar(c)) next(c, 'sidecar', `spec.initContainers[${k}]`, () => true);
    });
  }

  const appDone = spec.containers.map((c, k) => next(c, 'app', `spec.containers[${k}]`, (code) => restartsAfter(spec.restartPolicy, c, code)) === 'done');
  // Ephemeral containers run once, when added, and never restart.
  (spec.ephemeralContainers ?? []).forEach((c, k) => {
    if (!i.containers[c.name]) out.start.push({ container: c as Container, kind: 'ephemeral', field: `spec.ephemeralContainers[${k}]`, attempt: 0, hash: containerHash(c as Container), backoffFrom: 0 });
  });
  if (appDone.every(Boolean)) {
    const ok = spec.containers.every((c) => i.containers[c.name]?.exit?.exitCode === 0);
    out.terminal = { phase: ok ? 'Succeeded' : 'Failed', stopAll: false };
    out.start = out.start.filter((s) => s.kind !== 'ephemeral');
  }
  return out;
}
