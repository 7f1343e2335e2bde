// One pod, kept to its spec by the kubelet's rules: init containers in order, each to
// completion; native sidecars started in order and kept running; app containers restarted per
// restartPolicy with back-off; a terminal phase once nothing will run again. Every decision is
// persisted (state.jsonl) before it is acted on, so a new podrun process carries on from disk.
import * as fs from 'node:fs';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import type { ImageRecord } from '../image/types';
import { containerConfig, kernelHostname } from '../plan/container';
import type { ExecIdentity, LogLimits, PlanCgroup } from '../runtime/container-plan';
import { SeccompProfileError } from '../seccomp/container-profile';
import type { EnvSources } from '../plan/env';
import type { SandboxRecord } from '../runtime/sandbox';
import { SandboxRuntime, type RootfsProbe } from '../runtime/sandbox-runtime';
import type { AttemptRecord, ExitRecord } from '../runtime/records';
import { MAX_MESSAGE_BYTES, MAX_POD_MESSAGE_BYTES, terminationMessage } from '../runtime/termination-message';
import { ShimRequestError } from '../runtime/shim-client';
import { writeStateFile } from '../state/atomic-file';
import { removeTree } from '../state/remove-tree';
import type { PodPaths } from '../state/paths';
import type { PreparedVolume } from '../volume/volumes';
import { goDuration, type BackoffPolicy } from './backoff';
import { writePodState, type PodState } from './pod-state';
import { pullWithBackoff } from './image-pull';
import { computeStatus } from './status';
import { runHook } from './hooks';
import type { ImageResolution } from './image-pull';
import { killContainer, type KillHost } from './kill-container';
import { computePodActions, isSidecar, type BackOffWait, type ContainerStart, type ObservedContainer } from './pod-actions';
import { Prober, type ProbeKind } from './prober';
import { podRef, runProbe, type ProbeTarget } from './probes';

export interface WorkerContext {
  backoff: BackoffPolicy;
  logs: LogLimits;
  /** `<data root>/seccomp`: where Localhost seccomp profiles are read. */
  seccompDir: string;
  hostIP: string;
  image(ref: string, field: string): ImageRecord;
  /** How layered images become container roots here: overlayfs, or copies where it cannot mount (decided once). */
  rootfsDriver: RootfsProbe;
  /** The copy driver's work: the image's layers applied into dest. */
  copyLayers(image: ImageRecord, dest: string): void;
  /** The image for a container start: present, or pulled per its imagePullPolicy (with the kubelet's events). */
  resolveImage(pod: Pod, c: Container, event: (type: 'Normal' | 'Warning', reason: string, message: string) => void): Promise<ImageResolution>;
  envSources(pod: Pod, container?: string): EnvSources;
  log(message: string): void;
  /** The pod's address, once it has one. */
  podIP(pod: Pod): string | undefined;
  /** Records a kubelet event about the pod (fieldPath: `spec.containers{web}`). */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
  /** Makes the lost sandbox of this pod again and attaches the worker to it; false when it cannot be. */
  recreateSandbox(w: PodWorker): Promise<boolean>;
  /** The pod's object may have changed (a decision was carried out, it is being deleted): publish it. */
  changed(w: PodWorker): void;
  /** A container's cgroup made with its limits and devices (src/cgroups): what its plan joins. */
  containerCgroup(pod: Pod, c: Container, field: string): PlanCgroup;
  /** Removes the pod's cgroups once its processes are gone. */
  removeCgroups(pod: Pod): Promise<void>;
}

/** How long a sandbox that could not be made again waits before the next try (the kubelet's pod worker back-off period). */
const SANDBOX_RETRY_MS = 10_000;

/** Init, app and ephemeral containers of a pod. */
export function allContainers(pod: Pod): Container[] {
  const spec = pod.spec!;
  return [...(spec.initContainers ?? []), ...spec.containers, ...((spec.ephemeralContainers ?? []) as Container[])];
}

export class PodWorker {
  /** The sandbox's runtime: its shim, its containers' records; what starts and stops them. */
  private rt: SandboxRuntime;
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private deleting = false;
  /** Let go of (the engine is closing): nothing more is published. */
  private disposed = false;
  private wake?: NodeJS.Timeout;
  /** When a sandbox that could not be made is tried again (0: no failed attempt). */
  private sandboxRetryAt = 0;
  /** Containers whose liveness or startup probe failed, by name: for which attempt, and which probe. */
  private readonly probeFailed = new Map<string, { attempt: number; kind: 'liveness' | 'startup' }>();
  /** Termination messages of finished attempts, by name/attempt. */
  private readonly messages = new Map<string, string>();
  /** The state as last written (the engine wrote the first), so that a decision that changed nothing writes nothing. */
  private written: string;
  private readonly prober = new Prober({
    run: (c, probe, timeoutMs) => {
      const target = this.probeTarget(c);
      if (!target) return Promise.resolve({ result: 'unknown' as const, output: 'container is not running' });
      return runProbe(probe, target, timeoutMs);
    },
    failed: (c, kind: ProbeKind) => {
      const a = this.latest(c.name);
      if (a && kind !== 'readiness') this.probeFailed.set(c.name, { attempt: a.attempt, kind });
      this.schedule();
    },
    changed: () => this.schedule(),
    event: (type, reason, message, c) => this.event(type, reason, message, c),
  });

  constructor(
    private readonly ctx: WorkerContext,
    readonly id: string,
    readonly paths: PodPaths,
    public pod: Pod,
    public state: PodState,
    public sandbox: SandboxRecord,
    private readonly volumes: Map<string, PreparedVolume>,
  ) {
    this.written = JSON.stringify(state);
    this.rt = this.runtimeOf(sandbox);
  }

  /** A runtime for this sandbox whose exits and going away drive the next decision. */
  private runtimeOf(sandbox: SandboxRecord): SandboxRuntime {
    const rt = new SandboxRuntime(this.paths, sandbox);
    rt.on('exit', () => this.schedule());
    rt.on('gone', () => this.schedule());
    return rt;
  }

  /** How killContainer reaches this pod's containers. */
  private readonly killHost: KillHost = {
    ready: () => this.rt.ready,
    running: (c) => this.isRunning(this.latest(c.name)),
    stop: async (c, signal, timeoutMs) => {
      const a = this.latest(c.name);
      if (a) await this.rt.stop(c.name, a.attempt, signal, timeoutMs);
    },
    target: (c) => this.probeTarget(c),
    imageStopSignal: (c) => {
      try {
        return this.ctx.image(c.image ?? '', '').config.stopSignal;
      } catch {
        return undefined;
      }
    },
    event: (type, reason, message, c) => this.event(type, reason, message, c),
  };

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /** A new sandbox for this pod (the old one was lost): attach to its shim. */
  adopt(sandbox: SandboxRecord): Promise<boolean> {
    this.sandbox = sandbox;
    this.rt.close();
    this.rt.removeAllListeners();
    this.rt = this.runtimeOf(sandbox);
    return this.attach();
  }

  /** Connects to the sandbox's shim and follows its exits; false when the sandbox is gone. */
  attach(): Promise<boolean> {
    return this.rt.connect();
  }

  private fieldPath(c: Container): string {
    const spec = this.pod.spec!;
    const list = spec.containers.includes(c) ? 'containers' : (spec.initContainers ?? []).includes(c) ? 'initContainers' : 'ephemeralContainers';
    return `spec.${list}{${c.name}}`;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, c?: Container): void {
    this.ctx.event(this.pod, type, reason, message, c ? this.fieldPath(c) : undefined);
  }

  private graceMs(): number {
    return (this.pod.spec!.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  /** How probes and hooks reach a running container: its process, identity and ports. */
  private probeTarget(c: Container): ProbeTarget | undefined {
    const a = this.latest(c.name);
    if (!a?.start || a.exit) return undefined;
    let identity: ExecIdentity;
    try {
      identity = JSON.parse(fs.readFileSync(`${this.paths.containerDir(c.name)}/exec.json`, 'utf8')) as ExecIdentity;
    } catch {
      return undefined;
    }
    const meta = this.pod.metadata!;
    return {
      container: { process: { pid: a.start.pid, startTime: String(a.start.startTime) }, sandbox: { pid: this.sandbox.pid, startTime: this.sandbox.startTime }, identity, rootless: this.sandbox.rootless },
      ports: c.ports ?? [],
      rootless: this.sandbox.rootless,
      podIP: this.ctx.podIP(this.pod),
      env: c.env,
      names: { container: c.name, pod: podRef(meta.name!, meta.namespace!, meta.uid!) },
    };
  }

  /** Probe workers follow each container's current attempt. */
  private trackProbes(): void {
    const spec = this.pod.spec!;
    for (const c of [...(spec.initContainers ?? []).filter(isSidecar), ...spec.containers]) {
      const a = this.latest(c.name);
      const running = !this.state.phase && !this.deleting && this.isRunning(a);
      this.prober.track(c, a?.attempt, running, a?.start ? Date.parse(a.start.startedAt) : Date.now());
    }
  }

  schedule(): void {
    this.chain = this.chain.then(
      () => this.sync(),
      () => this.sync(),
    );
    this.chain.catch((e: Error) => this.ctx.log(`pod ${this.key}: ${e.message}`));
  }

  /** Waits for the decisions scheduled so far. */
  settled(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  /** A container's attempts as the shim recorded them (kept by the sandbox runtime until it can have written more). */
  attempts(name: string): AttemptRecord[] {
    return this.rt.attempts(name);
  }

  private latest(name: string): AttemptRecord | undefined {
    const all = this.attempts(name);
    return all[all.length - 1];
  }

  /** Started and not yet ended (the sandbox runtime's word: its shim's records, else the process). */
  isRunning(a: AttemptRecord | undefined): boolean {
    return this.rt.isRunning(a);
  }

  /** Records the state when it changed since last written (each decision ends here). */
  private persist(): void {
    const now = JSON.stringify(this.state);
    if (now === this.written) return;
    writePodState(this.paths.state, this.state);
    this.written = now;
  }

  status(): PodStatus {
    const spec = this.pod.spec!;
    const all = [...(spec.initContainers ?? []), ...spec.containers, ...((spec.ephemeralContainers ?? []) as Container[])];
    const attempts = new Map(all.map((c) => [c.name, this.attempts(c.name)]));
    const imageIds = new Map<string, string>();
    for (const c of all) {
      try {
        imageIds.set(c.name, this.ctx.image(c.image ?? '', '').id);
      } catch {
        /* removed since: leave it empty */
      }
    }
    const status = computeStatus({
      pod: this.pod,
      podId: this.id,
      state: this.state,
      attempts,
      isRunning: (_name, a) => this.isRunning(a),
      probes: (name) => this.prober.state(name),
      imageIds,
      terminationMessage: (name, exit) => this.terminationMessage(name, exit),
      user: (name) => this.identity(name),
      hostIP: this.ctx.hostIP,
      podIP: this.ctx.podIP(this.pod),
      now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    for (const c of status.conditions ?? []) {
      const prev = this.state.conditions[c.type];
      if (!prev || prev.status !== c.status) this.state.conditions[c.type] = { status: c.status as 'True' | 'False', lastTransitionTime: c.lastTransitionTime! };
    }
    return status;
  }

  /**
   * The ids a container's process has (supplementalGroupsPolicy's report), from its exec
   * identity: the primary gid first, then the other groups, as `id -G` lists them.
   */
  private identity(name: string): { uid: number; gid: number; supplementalGroups: number[] } | undefined {
    let id: ExecIdentity;
    try {
      id = JSON.parse(fs.readFileSync(`${this.paths.containerDir(name)}/exec.json`, 'utf8')) as ExecIdentity;
    } catch {
      return undefined;
    }
    return { uid: id.uid, gid: id.gid, supplementalGroups: [...new Set([id.gid, ...id.groups])] };
  }

  /** A finished attempt's message, read once (the file and the log no longer change). */
  private terminationMessage(name: string, exit: ExitRecord): string {
    const key = `${name}/${exit.attempt}`;
    let m = this.messages.get(key);
    if (m === undefined) {
      const c = allContainers(this.pod).find((x) => x.name === name);
      const count = allContainers(this.pod).length;
      m = terminationMessage({
        file: this.paths.terminationLog(name, exit.attempt),
        log: this.paths.log(name, exit.attempt),
        policy: c?.terminationMessagePolicy,
        exitCode: exit.exitCode,
        maxBytes: Math.min(MAX_MESSAGE_BYTES, Math.floor(MAX_POD_MESSAGE_BYTES / Math.max(count, 1))),
      });
      this.messages.set(key, m);
    }
    return m;
  }

  toObject(): Pod {
    const pod: Pod = JSON.parse(JSON.stringify(this.pod)) as Pod;
    const deleting = this.state.deletionTimestamp
      ? { deletionTimestamp: this.state.deletionTimestamp, deletionGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds }
      : {};
    return { ...pod, metadata: { ...pod.metadata, ...deleting }, status: this.status() };
  }

  private async sync(): Promise<void> {
    try {
      await this.decide();
    } finally {
      this.trackProbes();
      if (!this.deleting && !this.disposed) this.ctx.changed(this);
    }
  }

  /** What the records and probes show of each container's latest attempt in the current sandbox. */
  private observe(): Record<string, ObservedContainer | undefined> {
    const out: Record<string, ObservedContainer | undefined> = {};
    for (const c of allContainers(this.pod)) {
      const a = this.latest(c.name);
      const hint = this.state.containers[c.name];
      if (!a || a.attempt < (hint?.sandboxFrom ?? 0)) {
        out[c.name] = undefined;
        continue;
      }
      const failed = this.probeFailed.get(c.name);
      out[c.name] = {
        attempt: a.attempt,
        running: this.isRunning(a),
        ...(a.exit ? { exit: { exitCode: a.exit.exitCode, startedAt: a.exit.startedAt, finishedAt: a.exit.finishedAt } } : {}),
        ...(hint?.hash !== undefined && hint.hashAttempt === a.attempt ? { hash: hint.hash } : {}),
        ...(hint?.backoffFrom !== undefined ? { backoffFrom: hint.backoffFrom } : {}),
        started: this.prober.state(c.name)?.started ?? true,
        ...(failed?.attempt === a.attempt ? { probeFailed: failed.kind } : {}),
      };
    }
    return out;
  }

  /** Decides (computePodActions) and carries the decision out: kills, then starts, then back-offs. */
  private async decide(): Promise<void> {
    if (this.deleting) return;
    // Probe workers for what runs now (after an engine restart there are none yet): a sidecar's
    // startup probe must hold the next init container back from the first decision on.
    this.trackProbes();
    const actions = computePodActions({
      spec: this.pod.spec!,
      initialized: this.state.initialized,
      phase: this.state.phase,
      sandboxAlive: this.rt.ready,
      containers: this.observe(),
      firstAttempt: Object.fromEntries(Object.entries(this.state.containers).flatMap(([name, h]) => (h.sandboxFrom ? [[name, h.sandboxFrom]] : []))),
      backoff: this.ctx.backoff,
      startTime: Date.parse(this.state.startTime),
      now: Date.now(),
    });
    if (actions.terminal) {
      const t = actions.terminal;
      if (t.reason) this.state.reason = t.reason;
      if (t.message) this.state.message = t.message;
      this.finish(t.phase, t.stopAll);
      return;
    }
    if (this.state.phase) {
      this.status();
      this.persist();
      return;
    }
    if (actions.createSandbox) {
      await this.recreateSandbox();
      return;
    }
    this.wakeAt(actions.wakeAt);
    for (const k of actions.kill) await killContainer(this.killHost, k.container, k.graceMs ?? this.graceMs(), { message: k.message });
    if (actions.initialized && !this.state.initialized) {
      this.state.initialized = true;
      this.persist();
    }
    let startedInit = false;
    for (const s of actions.start) {
      if (this.deleting) return;
      if ((await this.start(s)) && (s.kind === 'init' || s.kind === 'sidecar')) startedInit = true;
    }
    for (const b of actions.backOff) this.backOff(b);
    this.status();
    this.persist();
    // The next init container (or the app containers) may go once this one runs: decide again.
    if (startedInit) this.schedule();
  }

  /**
   * The sandbox is gone and the restart policy wants the pod back (the kubelet's KillPod +
   * CreateSandbox): a new sandbox, and the init containers run again in it.
   */
  private async recreateSandbox(): Promise<void> {
    // A failed attempt is tried again after the kubelet's back-off period, not at every decision.
    if (Date.now() < this.sandboxRetryAt) {
      this.wakeAt(this.sandboxRetryAt);
      return;
    }
    const made = await this.ctx.recreateSandbox(this).catch((e: Error) => {
      this.ctx.log(`pod ${this.key}: a new sandbox could not be made: ${e.message}`);
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${e.message}`);
      return false;
    });
    if (!made) {
      // As the kubelet: the pod is not failed for it (its sync is tried again after its pod
      // worker's back-off); it fails only when its restart policy says so, once it has a sandbox.
      if (this.deleting || this.disposed) return;
      this.sandboxRetryAt = Date.now() + SANDBOX_RETRY_MS;
      this.status();
      this.persist();
      this.wakeAt(this.sandboxRetryAt);
      return;
    }
    this.sandboxRetryAt = 0;
    this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    for (const c of allContainers(this.pod)) {
      const a = this.latest(c.name);
      (this.state.containers[c.name] ??= {}).sandboxFrom = a ? a.attempt + 1 : 0;
    }
    this.state.initialized = false;
    this.persist();
    this.schedule();
  }

  /** One wake-up for the earliest time the decision can change on its own (back-off, deadline). */
  private wakeAt(at: number | undefined): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    if (at === undefined) return;
    // setTimeout holds at most 2^31-1 ms; a later time is reached by waking early and deciding again.
    this.wake = setTimeout(() => this.schedule(), Math.min(Math.max(at - Date.now(), 0), 2 ** 31 - 1));
    this.wake.unref?.();
  }

  /** A restart waiting out its back-off: CrashLoopBackOff, with one BackOff event per wait. */
  private backOff(b: BackOffWait): void {
    const c = b.container;
    const hint = (this.state.containers[c.name] ??= {});
    const meta = this.pod.metadata!;
    const until = new Date(b.until).toISOString();
    if (hint.backoffUntil !== until) this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${meta.name}_${meta.namespace}(${meta.uid})`, c);
    hint.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${goDuration(b.delayMs)} restarting failed container=${c.name} pod=${meta.name}_${meta.namespace}(${meta.uid})`,
    };
    hint.backoffUntil = until;
  }

  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakeAt(undefined);
  }

  /** A terminal phase: sidecars are stopped (they never block completion), nothing restarts. */
  private finish(phase: 'Succeeded' | 'Failed', stopAll = false): void {
    this.state.phase = phase;
    this.stopTimers();
    for (const c of this.state.containers ? Object.values(this.state.containers) : []) delete c.waiting;
    this.status();
    this.persist();
    void this.stopAll(this.graceMs(), stopAll).catch((e: Error) => this.ctx.log(`pod ${this.key}: stopping containers: ${e.message}`));
  }

  /**
   * App (and ephemeral) containers stop together, then the native sidecars together, within
   * what is left of the one grace period (their preStop hooks run side by side, not one grace each).
   */
  private async stopAll(graceMs: number, apps = true): Promise<void> {
    const spec = this.pod.spec!;
    const deadline = Date.now() + graceMs;
    if (apps) await Promise.all([...spec.containers, ...((spec.ephemeralContainers ?? []) as Container[])].map((c) => killContainer(this.killHost, c, graceMs)));
    await Promise.all((spec.initContainers ?? []).map((c) => killContainer(this.killHost, c, Math.max(0, deadline - Date.now()))));
  }

  private timerAt(ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.schedule();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /** Starts one container (pulling its image as its policy says); true once it runs. */
  private async start(s: ContainerStart): Promise<boolean> {
    const { container: c, field, attempt } = s;
    const hint = (this.state.containers[c.name] ??= {});
    const pulled = await pullWithBackoff(c, hint, {
      resolve: () => this.ctx.resolveImage(this.pod, c, (type, reason, message) => this.event(type, reason, message, c)),
      backoff: this.ctx.backoff,
      event: (type, reason, message) => this.event(type, reason, message, c),
    });
    if (pulled.wakeInMs !== undefined) this.timerAt(pulled.wakeInMs);
    const image = pulled.image;
    if (!image) return false;
    if (!this.rt.ready) return false;
    let plan;
    try {
      // The kubelet's half (the pod's container as the runtime is asked for it), then the runtime's.
      const config = containerConfig({
        pod: this.pod,
        container: c,
        field,
        attempt,
        image,
        volumes: this.volumes,
        paths: this.paths,
        idmap: this.sandbox.idmap,
        envSources: this.ctx.envSources(this.pod, c.name),
        seccompDir: this.ctx.seccompDir,
        logs: this.ctx.logs,
      });
      plan = await this.rt.create(config, {
        hostname: kernelHostname(this.pod),
        hostPid: !!this.pod.spec!.hostPID,
        seccompDir: this.ctx.seccompDir,
        logs: this.ctx.logs,
        probe: this.ctx.rootfsDriver,
        copyLayers: (img, dest) => this.ctx.copyLayers(img, dest),
        cgroup: () => this.ctx.containerCgroup(this.pod, c, field),
      });
    } catch (e) {
      // The kubelet keeps such a container waiting and retries, as the config may appear later.
      // A seccomp profile that cannot be loaded is the runtime's CreateContainerError on the kubelet.
      hint.waiting = { reason: e instanceof SeccompProfileError ? e.reason : 'CreateContainerConfigError', message: (e as Error).message };
      this.event('Warning', 'Failed', `Error: ${(e as Error).message}`, c);
      this.timerAt(this.ctx.backoff.initialMs);
      return false;
    }
    delete hint.waiting;
    delete hint.backoffUntil;
    // Which spec this attempt runs, persisted before it starts: an update is told from it.
    hint.hash = s.hash;
    hint.hashAttempt = attempt;
    hint.backoffFrom = s.backoffFrom;
    this.probeFailed.delete(c.name);
    this.persist();
    this.event('Normal', 'Created', `Created container: ${c.name}`, c);
    try {
      await this.rt.start(plan);
    } catch (e) {
      if (!(e instanceof ShimRequestError)) throw e;
      // The shim recorded the failure as an exit (StartError, 128): the restart policy decides.
      this.event('Warning', 'Failed', `Error: ${e.message}`, c);
      this.schedule();
      return false;
    }
    this.event('Normal', 'Started', `Started container ${c.name}`, c);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      // As on the kubelet, the next container waits for postStart; a failure kills this one.
      const target = this.probeTarget(c);
      const r = target ? await runHook(postStart, target, this.graceMs()) : { ok: false, message: 'container exited before postStart ran' };
      if (!r.ok) {
        this.event('Warning', 'FailedPostStartHook', r.message, c);
        await killContainer(this.killHost, c, this.graceMs(), { skipPreStop: true });
      }
    }
    return true;
  }

  /**
   * An allowed update of the pod (api/pod-update): stored first, then carried out by the next
   * decision (a container whose spec changed is restarted, a new deadline is kept).
   */
  update(pod: Pod): void {
    writeStateFile(this.paths.pod, JSON.stringify(pod) + '\n');
    this.pod = pod;
    this.schedule();
  }

  /** Adds an ephemeral container to the running pod and starts it. */
  async addEphemeral(updated: Pod): Promise<void> {
    if (this.state.phase || this.deleting) {
      throw new PodrunError('Invalid', `pod ${this.pod.metadata!.name} is not running: ephemeral containers may only be added to a running pod`);
    }
    writeStateFile(this.paths.pod, JSON.stringify(updated) + '\n');
    this.pod = updated;
    this.schedule();
    await this.settled();
  }

  /** Stops every container (SIGTERM, then SIGKILL after the grace period), ends the sandbox, removes the pod's files. */
  /** Stops everything and removes the pod's folder; the pod's last object (final phase, terminated states). */
  async terminate(graceMs: number): Promise<Pod> {
    this.deleting = true;
    this.prober.stopAll();
    this.stopTimers();
    // Marked at once, as the API server marks a pod: controllers see it go before it is gone.
    this.state.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.ctx.changed(this);
    await this.chain.catch(() => undefined);
    this.persist();
    await this.stopAll(graceMs);
    // Its last status, as the kubelet publishes it before the pod goes: a terminal phase, from
    // how the app containers ended (137 for one killed at the end of the grace period).
    if (!this.state.phase) {
      const exits = this.pod.spec!.containers.map((c) => this.latest(c.name)?.exit);
      this.state.phase = exits.every((e) => e && e.exitCode === 0) ? 'Succeeded' : 'Failed';
      this.status();
      this.persist();
    }
    // Taken while the records are still there: what a watcher is shown before the pod goes.
    const last = this.toObject();
    await this.rt.shutdown([this.paths.volumesDir, `${this.paths.dir}/containers`]);
    await this.ctx.removeCgroups(this.pod).catch((e: Error) => this.ctx.log(`pod ${this.key}: ${e.message}`));
    try {
      removeTree(this.paths.dir);
    } catch (e) {
      throw new PodrunError('System', `removing ${this.paths.dir}: ${(e as Error).message}`);
    }
    return last;
  }

  /** Lets go of the pod without stopping it (the process is going away; the shim stays). */
  dispose(): void {
    this.disposed = true;
    this.prober.stopAll();
    this.stopTimers();
    this.rt.close();
  }
}
