// One sandbox's runtime: the subscribed connection to its shim, its containers' attempt records,
// and the per-sandbox operations of CRI's RuntimeService: prepare and start a planned container,
// signal it, stop it (its stop signal, SIGKILL after the timeout), reopen its log, shut the
// sandbox down. Podrun's kubelet (kubelet/pod-worker.ts) and the CRI runtime service
// (runtime-service.ts) both drive containers through it; neither talks to a shim itself.
//
// Events: 'exit' (name, attempt) once the shim has recorded an exit; 'gone' when the shim's
// connection ends (the sandbox stopped or died).
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import type { ImageRecord } from '../image/types';
import { native } from '../native';
import { ownUserns } from '../plan/userns-paths';
import type { PodPaths } from '../state/paths';
import { notYetReaped } from '../state/process';
import { prepareContainerFiles } from './container-files';
import type { RuntimeContainerConfig } from './container-config';
import { containerPlan, NO_CGROUP, type ContainerPlan, type LogLimits, type PlanCgroup, type RootfsDriver } from './container-plan';
import { readAttempts, type AttemptRecord } from './records';
import { openRecorded, reapChild, type SandboxRecord } from './sandbox';
import { ShimClient } from './shim-client';
import { chownCgroupProcs, mountLayers } from './userns-mounts';

/** Finds how layered images become roots in this sandbox (overlayfs, or copies), trying a mount through its shim. */
export type RootfsProbe = (shim: ShimClient, image: ImageRecord, scratch: string, rootless: boolean) => Promise<RootfsDriver>;

/** What creating a container needs besides its config: the sandbox's and the host's parts. */
export interface CreateContext {
  /** The sandbox's hostname (UTS namespace), for /etc/hostname. */
  hostname: string;
  /** Where Localhost seccomp profiles are read. */
  seccompDir: string;
  logs: LogLimits;
  probe: RootfsProbe;
  copyLayers(image: ImageRecord, dest: string): void;
  /** The container's cgroups, made for it when its config brings none (made last: a refused config leaves none). */
  cgroup?(): PlanCgroup;
  /** The sandbox kept the host's PID namespace. */
  hostPid: boolean;
}

/** How long a process SIGKILL was sent to may take to be recorded as exited. */
const KILL_WAIT_MS = 10_000;

export class SandboxRuntime extends EventEmitter {
  private shim?: ShimClient;
  /** Attempt records by container name, read once and kept until the shim can have written more. */
  private readonly records = new Map<string, AttemptRecord[]>();

  constructor(
    readonly paths: PodPaths,
    readonly record: SandboxRecord,
  ) {
    super();
  }

  /** The sandbox's process is still there (its recorded pid, with its start time). */
  alive(): boolean {
    const fd = openRecorded(this.record);
    if (fd === undefined) return false;
    fs.closeSync(fd);
    return true;
  }

  /** Connects to the shim and follows its exits; false when the sandbox is gone. */
  async connect(): Promise<boolean> {
    this.records.clear();
    if (!this.alive()) return false;
    let shim: ShimClient | undefined;
    // A live shim that refuses a connect (its backlog full under load) is not a lost sandbox.
    for (let tries = 0; ; tries++) {
      try {
        shim = await ShimClient.connect(this.paths.shimSocket);
        await shim.subscribe();
        break;
      } catch {
        shim?.close();
        shim = undefined;
        if (tries >= 10 || !this.alive()) return false;
        await sleep(50 * (tries + 1));
      }
    }
    shim.on('exit', (e: { name: string; attempt: number }) => {
      this.records.delete(e.name);
      this.emit('exit', e.name, e.attempt);
    });
    shim.on('close', () => {
      if (this.shim === shim) this.shim = undefined;
      this.records.clear();
      this.emit('gone');
    });
    this.shim = shim;
    return true;
  }

  /** Connected to a live shim: containers can be started and are followed. */
  get ready(): boolean {
    return !!this.shim && !this.shim.isClosed;
  }

  /** A container's attempts as the shim recorded them, oldest first. */
  attempts(name: string): AttemptRecord[] {
    let all = this.records.get(name);
    if (!all) {
      all = readAttempts(this.paths, name);
      this.records.set(name, all);
    }
    return all;
  }

  attempt(name: string, attempt: number): AttemptRecord | undefined {
    return this.attempts(name).find((a) => a.attempt === attempt);
  }

  /** Records of a removed attempt are gone: read again. */
  forget(name: string): void {
    this.records.delete(name);
  }

  /**
   * Started and not yet ended. While the shim is connected it is the authority: it records every
   * exit before it reports it, so a container runs until its exit record is there (between the
   * process dying and the record, /proc alone would call it lost). Without the shim, only the
   * process itself can tell.
   */
  isRunning(a: AttemptRecord | undefined): boolean {
    if (!a?.start || a.exit) return false;
    if (this.ready) return true;
    return notYetReaped({ pid: a.start.pid, startTime: String(a.start.startTime) });
  }

  /** Resolves once the attempt no longer runs (its exit event, or the shim gone), or after timeoutMs. */
  exited(name: string, attempt: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.isRunning(this.attempt(name, attempt))) done();
      };
      const done = () => {
        clearTimeout(timer);
        this.off('exit', check);
        this.off('gone', check);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('exit', check);
      this.on('gone', check);
      check();
    });
  }

  /** How layered images become this sandbox's roots: probed once through the shim, unless the pod has a user namespace of its own (then overlayfs over idmapped layers). */
  async rootfsDriver(image: ImageRecord, probe: RootfsProbe): Promise<RootfsDriver> {
    if (!image.layers || !this.shim || ownUserns(this.record.idmap)) return 'overlay';
    return probe(this.shim, image, `${this.paths.dir}/overlay-probe`, !!this.record.idmap);
  }

  /**
   * CRI's CreateContainer: the config planned for this sandbox (root filesystem, binds, identity,
   * seccomp), then its missing host paths and its cgroups made, then its files prepared. What
   * containerPlan refuses is thrown before anything is made.
   */
  async create(config: RuntimeContainerConfig, x: CreateContext): Promise<ContainerPlan> {
    const driver = await this.rootfsDriver(config.image, x.probe);
    const plan = containerPlan(config, { paths: this.paths, idmap: this.record.idmap, hostname: x.hostname, rootfsDriver: driver, seccompDir: x.seccompDir, logs: x.logs, hostPid: x.hostPid });
    config.mounts.forEach((m, i) => {
      if (!m.createHostPath) return;
      try {
        fs.mkdirSync(m.hostPath, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw new PodrunError('Invalid', `${config.field}.mounts[${i}].host_path: "${m.hostPath}" does not exist and cannot be made: ${(e as Error).message}`);
      }
    });
    plan.cgroup = config.cgroup ?? x.cgroup?.() ?? NO_CGROUP;
    await this.prepare(plan, config.image, x.copyLayers);
    if (plan.logPath !== this.paths.log(plan.name, plan.attempt)) fs.mkdirSync(path.dirname(plan.logPath), { recursive: true });
    return plan;
  }

  /**
   * What the planned attempt needs before it starts: its files and root (runtime/container-files),
   * and in a pod with a user namespace of its own, the image's layers idmapped into it and the
   * cgroup made joinable by the pod's root.
   */
  private async prepare(plan: ContainerPlan, image: ImageRecord, copyLayers: (image: ImageRecord, dest: string) => void): Promise<void> {
    await prepareContainerFiles(this.paths, plan.name, plan.attempt, plan, image, copyLayers);
    const idmap = this.record.idmap;
    if (!ownUserns(idmap)) return;
    if (plan.ops[0]?.type === 'overlay') {
      const fd = openRecorded(this.record);
      if (fd === undefined) throw new PodrunError('Internal', 'the pod shim is gone');
      try {
        mountLayers(this.record.pid, fd, this.paths, image.layers ?? [image.rootfs]);
      } finally {
        fs.closeSync(fd);
      }
    }
    chownCgroupProcs(plan.cgroup.procs, idmap!);
  }

  /** Starts a prepared attempt. A refusal (ShimRequestError) is recorded by the shim as the attempt's exit (StartError, 128). */
  async start(plan: ContainerPlan): Promise<void> {
    if (!this.shim) throw new PodrunError('Conflict', `pod sandbox ${this.paths.dir} is not ready: its shim is gone`);
    await this.shim.start(plan).finally(() => this.records.delete(plan.name));
  }

  /** Sends a signal to the container's process; false when it runs no more. */
  signal(name: string, signal: number): Promise<boolean> {
    return this.shim ? this.shim.signal(name, signal).catch(() => false) : Promise.resolve(false);
  }

  /**
   * CRI's StopContainer: the stop signal, then SIGKILL once timeoutMs has passed (at once for 0).
   * True once it has exited; false when it still ran 10 s after SIGKILL.
   */
  async stop(name: string, attempt: number, stopSignal: number, timeoutMs: number): Promise<boolean> {
    const running = () => this.isRunning(this.attempt(name, attempt));
    if (!running()) return true;
    if (timeoutMs > 0) {
      await this.signal(name, stopSignal);
      await this.exited(name, attempt, timeoutMs);
    }
    if (running()) {
      await this.signal(name, 9);
      await this.exited(name, attempt, KILL_WAIT_MS);
    }
    return !running();
  }

  /** The running container's log file opened again (its owner renamed it to rotate it). */
  async reopenLog(name: string): Promise<void> {
    if (!this.shim) throw new PodrunError('Conflict', 'the pod shim is gone');
    await this.shim.reopenLog(name);
  }

  /**
   * Ends the sandbox: the shim kills its containers, removes `remove` (folders its bind mounts
   * keep busy until its mount namespace is gone) and exits; a sandbox without a reachable shim
   * is killed. Resolves once the sandbox process is gone.
   */
  async shutdown(remove: string[] = []): Promise<void> {
    const fd = openRecorded(this.record);
    if (this.shim) {
      await this.shim.shutdown({ remove }).catch(() => undefined);
    } else if (fd !== undefined) {
      native.pidfdSendSignal(fd, 9);
    }
    if (fd !== undefined) await reapChild(fd);
    this.close();
  }

  /** Lets go of the shim without stopping anything (the process is going away; the shim stays). */
  close(): void {
    const shim = this.shim;
    this.shim = undefined;
    shim?.removeAllListeners('close');
    shim?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
