// One pod, kept to its spec by the kubelet's rules: init containers in order, each to
// completion; native sidecars started in order and kept running; app containers restarted per
// restartPolicy with back-off; a terminal phase once nothing will run again. Every decision is
// persisted (state.json) before it is acted on, so a new podrun process carries on from disk.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import type { ImageRecord } from '../image/types';
import { buildContainerPlan, execIdentity, type ExecIdentity, type RootfsDriver } from '../plan/container';
import type { EnvSources } from '../plan/env';
import { native } from '../native';
import { openRecorded, reapChild, type SandboxRecord } from '../runtime/sandbox';
import { readAttempts, type AttemptRecord } from '../runtime/records';
import { ShimClient, ShimRequestError } from '../runtime/shim-client';
import { writeStateFile } from '../state/atomic-file';
import type { PodPaths } from '../state/paths';
import { notYetReaped } from '../state/process';
import type { PreparedVolume } from '../volume/volumes';
import { backoffDelay, BACKOFF_RESET_MS, goDuration, shouldRestart, type BackoffPolicy } from './backoff';
import type { ContainerHint, PodState } from './pod-state';
import { computeStatus, isSidecar } from './status';
import { runHook } from './hooks';
import { Deadline } from './deadline';
import type { ImageResolution } from './image-pull';
import { Prober } from './prober';
import { podRef, runProbe, type ProbeTarget } from './probes';

export interface WorkerContext {
  backoff: BackoffPolicy;
  hostIP: string;
  image(ref: string, field: string): ImageRecord;
  /** How layered images become container roots here: overlayfs, or copies where it cannot mount (decided once). */
  rootfsDriver(shim: ShimClient, image: ImageRecord, scratch: string, rootless: boolean): Promise<RootfsDriver>;
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
}

export class PodWorker {
  private shim?: ShimClient;
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private deleting = false;
  private readonly deadline = new Deadline(() => this.schedule());
  private readonly prober = new Prober({
    run: (c, probe, timeoutMs) => {
      const target = this.probeTarget(c);
      if (!target) return Promise.resolve({ result: 'unknown' as const, output: 'container is not running' });
      return runProbe(probe, target, timeoutMs);
    },
    restart: (c, _kind, graceMs) => {
      void this.stopContainer(c, graceMs ?? this.graceMs()).then(() => this.schedule());
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
    readonly sandbox: SandboxRecord,
    private readonly volumes: Map<string, PreparedVolume>,
  ) {}

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /** Connects to the shim and follows its exits; false when the sandbox is gone. */
  private sandboxAlive(): boolean {
    const fd = openRecorded(this.sandbox);
    if (fd === undefined) return false;
    fs.closeSync(fd);
    return true;
  }

  async attach(): Promise<boolean> {
    if (!this.sandboxAlive()) return false;
    // A live shim that refuses a connect (its backlog full under load) is not a lost sandbox.
    for (let tries = 0; ; tries++) {
      try {
        this.shim = await ShimClient.connect(this.paths.shimSocket);
        await this.shim.subscribe();
        break;
      } catch {
        this.shim?.close();
        this.shim = undefined;
        if (tries >= 10 || !this.sandboxAlive()) return false;
        await sleep(50 * (tries + 1));
      }
    }
    this.shim.on('exit', () => this.schedule());
    this.shim.on('close', () => {
      this.shim = undefined;
      this.schedule();
    });
    return true;
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
      container: { process: { pid: a.start.pid, startTime: String(a.start.startTime) }, identity, rootless: this.sandbox.rootless },
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

  attempts(name: string): AttemptRecord[] {
    return readAttempts(this.paths, name);
  }

  private latest(name: string): AttemptRecord | undefined {
    const all = this.attempts(name);
    return all[all.length - 1];
  }

  isRunning(a: AttemptRecord | undefined): boolean {
    return !!a?.start && !a.exit && notYetReaped({ pid: a.start.pid, startTime: String(a.start.startTime) });
  }

  private persist(): void {
    writeStateFile(this.paths.state, JSON.stringify(this.state) + '\n');
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
    }
  }

  private async decide(): Promise<void> {
    if (this.deleting) return;
    const spec = this.pod.spec!;
    if (!this.state.phase && !this.shim) {
      this.state.phase = 'Failed';
      this.state.reason = 'SandboxLost';
      this.state.message = 'the pod sandbox (podrun shim) is gone';
    }
    if (this.state.phase) {
      this.status();
      this.persist();
      return;
    }
    if (this.deadlineExceeded()) return;
    const init = spec.initContainers ?? [];
    if (!this.state.initialized) {
      for (const [k, c] of init.entries()) {
        const field = `spec.initContainers[${k}]`;
        const a = this.latest(c.name);
        if (isSidecar(c)) {
          // A native sidecar only has to be started for the next init container to go.
          if (!a) await this.start(c, field, 0);
          else if (a.exit) await this.restartLater(c, field, a);
          // The next init container waits until this sidecar has started (its startup probe passed).
          this.trackProbes();
          const latest = this.latest(c.name);
          if (!latest || latest.exit || this.prober.state(c.name)?.started === false) {
            this.persist();
            return;
          }
          continue;
        }
        if (!a) {
          await this.start(c, field, 0);
          this.persist();
          return;
        }
        if (!a.exit) return;
        if (a.exit.exitCode === 0) continue;
        if (spec.restartPolicy === 'Never') {
          this.finish('Failed');
          return;
        }
        await this.restartLater(c, field, a);
        this.persist();
        return;
      }
      this.state.initialized = true;
    } else {
      for (const [k, c] of init.entries()) {
        const a = this.latest(c.name);
        if (isSidecar(c) && a?.exit) await this.restartLater(c, `spec.initContainers[${k}]`, a);
      }
    }
    for (const [k, c] of spec.containers.entries()) {
      const field = `spec.containers[${k}]`;
      const a = this.latest(c.name);
      if (!a) await this.start(c, field, 0);
      else if (a.exit && shouldRestart(spec.restartPolicy, a.exit.exitCode)) await this.restartLater(c, field, a);
    }
    // Ephemeral containers run once, when added, and never restart.
    for (const [k, c] of (spec.ephemeralContainers ?? []).entries()) {
      if (!this.latest(c.name)) await this.start(c as Container, `spec.ephemeralContainers[${k}]`, 0);
    }
    const done = spec.containers.map((c) => this.latest(c.name));
    if (done.every((a) => a?.exit && !shouldRestart(spec.restartPolicy, a.exit.exitCode))) {
      this.finish(done.every((a) => a!.exit!.exitCode === 0) ? 'Succeeded' : 'Failed');
      return;
    }
    this.status();
    this.persist();
  }

  /** activeDeadlineSeconds: past it, the pod fails and every container is stopped. */
  private deadlineExceeded(): boolean {
    const seconds = this.pod.spec!.activeDeadlineSeconds;
    if (!seconds) return false;
    if (!this.deadline.passed(Date.parse(this.state.startTime) + seconds * 1000)) return false;
    this.state.reason = 'DeadlineExceeded';
    this.state.message = 'Pod was active on the node longer than the specified deadline';
    this.finish('Failed', true);
    return true;
  }

  /** A terminal phase: sidecars are stopped (they never block completion), nothing restarts. */
  private finish(phase: 'Succeeded' | 'Failed', stopAll = false): void {
    this.state.phase = phase;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.state.containers ? Object.values(this.state.containers) : []) delete c.waiting;
    this.status();
    this.persist();
    // Native sidecars stop after the app containers, in reverse order, each with the pod's grace period.
    const grace = (this.pod.spec!.terminationGracePeriodSeconds ?? 30) * 1000;
    void (async () => {
      if (stopAll) await Promise.all(this.pod.spec!.containers.map((c) => this.stopContainer(c, grace)));
      for (const c of [...(this.pod.spec!.initContainers ?? [])].reverse()) await this.stopContainer(c, grace);
    })().catch((e: Error) => this.ctx.log(`pod ${this.key}: stopping sidecars: ${e.message}`));
  }

  /** The stop signal: the image's STOPSIGNAL, else SIGTERM. */
  private stopSignal(c: Container): number {
    let sig: string | undefined;
    try {
      sig = this.ctx.image(c.image ?? '', '').config.stopSignal;
    } catch {
      sig = undefined;
    }
    if (!sig) return 15;
    if (/^\d+$/.test(sig)) return Number(sig);
    const name = (sig.startsWith('SIG') ? sig : `SIG${sig}`).toUpperCase() as keyof typeof os.constants.signals;
    return os.constants.signals[name] ?? 15;
  }

  /**
   * The kubelet's killContainer: preStop hook, then the stop signal, then SIGKILL once the grace
   * period (shared by the hook and the signal) has passed. Resolves when the container is gone.
   */
  private async stopContainer(c: Container, graceMs: number, skipPreStop = false): Promise<void> {
    if (!this.shim || !this.isRunning(this.latest(c.name))) return;
    const deadline = Date.now() + graceMs;
    this.event('Normal', 'Killing', `Stopping container ${c.name}`, c);
    const preStop = c.lifecycle?.preStop;
    if (preStop && !skipPreStop && graceMs > 0) {
      // The hook and the stop signal share the grace period.
      const target = this.probeTarget(c);
      const r = target ? await runHook(preStop, target, graceMs) : { ok: true, message: '' };
      if (!r.ok) this.event('Warning', 'FailedPreStopHook', r.message, c);
    }
    if (deadline - Date.now() > 0) {
      await this.shim.signal(c.name, this.stopSignal(c)).catch(() => false);
      while (Date.now() < deadline && this.isRunning(this.latest(c.name))) await sleep(20);
    }
    if (this.isRunning(this.latest(c.name))) {
      await this.shim.signal(c.name, 9).catch(() => false);
      const until = Date.now() + 10_000;
      while (Date.now() < until && this.isRunning(this.latest(c.name))) await sleep(10);
    }
  }

  private async restartLater(c: Container, field: string, a: AttemptRecord): Promise<void> {
    const hint = (this.state.containers[c.name] ??= {});
    const ranMs = Date.parse(a.exit!.finishedAt) - Date.parse(a.exit!.startedAt || a.exit!.finishedAt);
    // The kubelet forgets the back-off of a container that ran long enough.
    const restarts = ranMs >= BACKOFF_RESET_MS ? 0 : a.attempt;
    const delay = backoffDelay(this.ctx.backoff, restarts);
    const until = Date.parse(a.exit!.finishedAt) + delay;
    const wait = until - Date.now();
    if (wait <= 0) {
      delete hint.waiting;
      await this.start(c, field, a.attempt + 1);
      return;
    }
    const meta = this.pod.metadata!;
    const fresh = hint.backoffUntil !== new Date(until).toISOString();
    if (fresh) this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${meta.name}_${meta.namespace}(${meta.uid})`, c);
    hint.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${meta.name}_${meta.namespace}(${meta.uid})`,
    };
    hint.backoffUntil = new Date(until).toISOString();
    this.timerAt(wait);
  }

  private timerAt(ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.schedule();
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /**
   * The image, present or pulled; undefined while it cannot be had, the container then waiting
   * with ErrImagePull (or ErrImageNeverPull), and ImagePullBackOff until the next try.
   */
  private async pullStep(c: Container, hint: ContainerHint): Promise<ImageRecord | undefined> {
    const until = hint.pullBackoffUntil ? Date.parse(hint.pullBackoffUntil) : 0;
    if (until > Date.now()) {
      if (hint.waiting?.reason !== 'ImagePullBackOff' && hint.waiting?.reason !== 'ErrImageNeverPull') {
        this.event('Normal', 'BackOff', `Back-off pulling image "${c.image}"`, c);
        this.event('Warning', 'Failed', 'Error: ImagePullBackOff', c);
      }
      if (hint.waiting?.reason !== 'ErrImageNeverPull') hint.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${hint.pullError ?? ''}` };
      this.timerAt(until - Date.now());
      return undefined;
    }
    const r = await this.ctx.resolveImage(this.pod, c, (type, reason, message) => this.event(type, reason, message, c));
    if (r.ok) {
      delete hint.pullFailures;
      delete hint.pullError;
      delete hint.pullBackoffUntil;
      return r.image;
    }
    hint.pullFailures = (hint.pullFailures ?? 0) + 1;
    hint.pullError = `${r.reason}: ${r.message}`;
    hint.waiting = { reason: r.reason, message: r.message };
    const delay = Math.max(backoffDelay(this.ctx.backoff, hint.pullFailures), 1);
    hint.pullBackoffUntil = new Date(Date.now() + delay).toISOString();
    // ErrImagePull shows until the next sync, which finds the back-off running (ImagePullBackOff)
    // and waits out the rest of it.
    this.timerAt(Math.min(Math.floor(delay / 2), 1000));
    return undefined;
  }

  private async start(c: Container, field: string, attempt: number): Promise<void> {
    const hint = (this.state.containers[c.name] ??= {});
    const image = await this.pullStep(c, hint);
    if (!image) return;
    const driver = image.layers && this.shim ? await this.ctx.rootfsDriver(this.shim, image, `${this.paths.dir}/overlay-probe`, !!this.sandbox.idmap) : 'overlay';
    let plan;
    try {
      plan = buildContainerPlan({
        rootfsDriver: driver,
        pod: this.pod,
        container: c,
        field,
        attempt,
        image,
        volumes: this.volumes,
        paths: this.paths,
        idmap: this.sandbox.idmap,
        envSources: this.ctx.envSources(this.pod, c.name),
      });
    } catch (e) {
      // The kubelet keeps such a container waiting and retries, as the config may appear later.
      hint.waiting = { reason: 'CreateContainerConfigError', message: (e as Error).message };
      this.event('Warning', 'Failed', `Error: ${(e as Error).message}`, c);
      this.timerAt(this.ctx.backoff.initialMs);
      return;
    }
    delete hint.waiting;
    delete hint.backoffUntil;
    const dir = this.paths.containerDir(c.name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.paths.rootfs(c.name), { recursive: true });
    if (plan.ops[0].type === 'overlay' || plan.ops[0].type === 'fuse-overlayfs') {
      fs.mkdirSync(plan.ops[0].upper, { recursive: true });
      fs.mkdirSync(plan.ops[0].work, { recursive: true });
    } else if (image.layers && plan.ops[0].type === 'bind') {
      this.ctx.copyLayers(image, plan.ops[0].source);
    }
    writeStateFile(`${dir}/exec.json`, JSON.stringify(execIdentity(plan)) + '\n');
    if (!this.shim) return;
    this.event('Normal', 'Created', `Created container: ${c.name}`, c);
    try {
      await this.shim.start(plan);
    } catch (e) {
      if (!(e instanceof ShimRequestError)) throw e;
      // The shim recorded the failure as an exit (StartError, 128): the restart policy decides.
      this.event('Warning', 'Failed', `Error: ${e.message}`, c);
      this.schedule();
      return;
    }
    this.event('Normal', 'Started', `Started container ${c.name}`, c);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      // As on the kubelet, the next container waits for postStart; a failure kills this one.
      const target = this.probeTarget(c);
      const r = target ? await runHook(postStart, target, this.graceMs()) : { ok: false, message: 'container exited before postStart ran' };
      if (!r.ok) {
        this.event('Warning', 'FailedPostStartHook', r.message, c);
        await this.stopContainer(c, this.graceMs(), true);
      }
    }
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
  async terminate(graceMs: number): Promise<void> {
    this.deleting = true;
    this.prober.stopAll();
    this.deadline.cancel();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.chain.catch(() => undefined);
    this.state.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.persist();
    const spec = this.pod.spec!;
    // App containers stop together; then native sidecars, in reverse order, within what is left.
    const deadline = Date.now() + graceMs;
    await Promise.all([...spec.containers, ...((spec.ephemeralContainers ?? []) as Container[])].map((c) => this.stopContainer(c, graceMs)));
    for (const c of [...(spec.initContainers ?? [])].reverse()) await this.stopContainer(c, Math.max(0, deadline - Date.now()));
    const sandboxFd = openRecorded(this.sandbox);
    if (this.shim) {
      await this.shim.shutdown({ remove: [this.paths.volumesDir, `${this.paths.dir}/containers`] }).catch(() => undefined);
    } else if (sandboxFd !== undefined) {
      native.pidfdSendSignal(sandboxFd, 9);
    }
    if (sandboxFd !== undefined) await waitGone(sandboxFd);
    this.shim?.close();
    try {
      fs.rmSync(this.paths.dir, { recursive: true, force: true });
    } catch (e) {
      throw new PodrunError('System', `removing ${this.paths.dir}: ${(e as Error).message}`);
    }
  }

  /** Lets go of the pod without stopping it (the process is going away; the shim stays). */
  dispose(): void {
    this.prober.stopAll();
    this.deadline.cancel();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.shim?.removeAllListeners('close');
    this.shim?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when the process behind a pidfd has exited (collecting it if it is our child). */
function waitGone(pidfd: number): Promise<void> {
  return reapChild(pidfd);
}
