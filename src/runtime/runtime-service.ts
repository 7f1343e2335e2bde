// The runtime service: pod sandboxes and their containers as CRI's RuntimeService has them
// (run, stop and remove a sandbox; create, start, stop and remove a container; status, list,
// exec), on podrun's own parts: the same shims, namespaces, network, images and state folders
// as podrun's pods. The runtime decides nothing: a container that exits stays exited until it is
// asked to start another (the kubelet above restarts it). What the CRI server calls.
//
// On disk, under <state root>/cri/<sandbox id>/: the pod folder layout podrun's pods have
// (shim socket, records, logs, /etc files), `sandbox-config.json` (the config and its state),
// and `containers/<name>/<attempt>.cri.json`, one per container (its id, config, plan and labels).
// All of it outlives the process: a new one finds the sandboxes and their shims again.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import type { ImageRecord } from '../image/types';
import { stopSignal } from '../kubelet/kill-container';
import type { PodSandboxes } from '../kubelet/pod-sandbox';
import { collectExec, type ExecOutput } from './exec-collect';
import type { Networking, PreparedNetwork } from '../network/networking';
import { readAddress } from '../network/pod-network';
import { writeStateFile } from '../state/atomic-file';
import { PodPaths, type StateRoot } from '../state/paths';
import { removeTree } from '../state/remove-tree';
import type { CgroupUsage } from '../cgroups/manager';
import type { CgroupValues } from '../cgroups/values';
import { cgroupDeviceRules, type DeviceRule } from '../plan/devices';
import { execIdentity, type LogLimits, type PlanCgroup } from './container-plan';
import { forgetLayer, layerUsage, type ContainerStatsView } from './container-stats';
import {
  isoNs,
  nowNs,
  readContainers,
  readJson,
  type ContainerEvent,
  type ContainerEventType,
  type ContainerFile,
  type ContainerState,
  type ContainerView,
  type CreateContainerInput,
  type SandboxFile,
  type SandboxState,
  type SandboxView,
} from './cri-records';
import type { ExecSession } from '../types';
import { attachContainer } from './attach';
import { execInContainer, type ExecTarget } from './exec';
import type { IdMapPlan } from './idmap';
import { connectInPod } from './pod-connect';
import type { AttemptRecord } from './records';
import type { SandboxRecord } from './sandbox';
import { SandboxRuntime, type RootfsProbe } from './sandbox-runtime';
import { sandboxPod, type RuntimeSandboxConfig } from './sandbox-config';
import { ShimRequestError } from './shim-client';

export interface RuntimeDeps {
  root: StateRoot;
  net: Networking;
  sandboxes: PodSandboxes;
  /** Pod addresses by pod uid, shared with the engine's pods (the network's last-pod rule). */
  podIPs: Map<string, string>;
  /** The id map of a sandbox's user namespace (the engine's own when rootless), null for none. */
  idmap(pod: Pod): IdMapPlan | null;
  /** The sandbox's cgroups gone (made by the sandbox code, by its pod uid). */
  removeCgroups(uid: string): Promise<void>;
  /** The sandbox's cgroups to be made under the kubelet's cgroup_parent; false where they cannot be. */
  placeCgroup(uid: string, parent: string): boolean;
  /** A container's cgroups under its sandbox's, made with these values and device rules. */
  containerCgroup(uid: string, name: string, values: CgroupValues, devices: DeviceRule[] | 'all'): PlanCgroup;
  /** New values for a container's cgroups; throws Unsupported where there are none. */
  updateCgroup(uid: string, name: string, values: CgroupValues): void;
  /** CPU time and working set of a sandbox's cgroup (name undefined) or a container's. */
  usage(uid: string, name?: string): CgroupUsage | undefined;
  rootfsDriver: RootfsProbe;
  copyLayers(image: ImageRecord, dest: string): void;
  logs: LogLimits;
  seccompDir: string;
  /** podrun's pod network, where sandboxes take their addresses. */
  podCidr: string;
  log(message: string): void;
}

/** A sandbox of this service: its files, and its runtime (the shim's connection, its containers' records). */
interface Live {
  file: SandboxFile;
  paths: PodPaths;
  record: SandboxRecord;
  rt: SandboxRuntime;
  /** Its containers by id, as their files say (read once, kept in step by create and remove). */
  containers?: Map<string, ContainerFile>;
  /** The hostname its containers get (the config's, else its name cut to 63 characters). */
  hostname: string;
}

const ID = /^[0-9a-f]{64}$/;

export class RuntimeService extends EventEmitter {
  private readonly live = new Map<string, Live>();
  /** Sandbox ids being made or removed: a second call on one waits for nothing, it is refused. */
  private readonly busy = new Set<string>();

  constructor(private readonly d: RuntimeDeps) {
    super();
  }

  private get dir(): string {
    return path.join(this.d.root.dir, 'cri');
  }

  /** Its folder: the id's first 16 digits, as a pod folder's name, for the shim's socket path (at most 107 bytes). */
  private sandboxDir(id: string): string {
    return path.join(this.dir, id.slice(0, 16));
  }

  /** Finds the sandboxes of an earlier process and connects to their shims. */
  async load(): Promise<void> {
    let ids: string[] = [];
    try {
      ids = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const folder of ids) {
      const paths = new PodPaths(path.join(this.dir, folder));
      const file = readJson<SandboxFile>(path.join(paths.dir, 'sandbox-config.json'));
      const record = readJson<SandboxRecord>(paths.sandbox);
      if (!file || !record || record.ready === false) {
        // Its making never finished: nothing of it is kept (as an engine's half-made pod).
        await this.d.sandboxes.killAt(paths);
        if (file) await this.d.removeCgroups(file.config.uid).catch(() => undefined);
        removeTree(paths.dir);
        continue;
      }
      const live = this.entry(file, paths, record, sandboxPod(file.config).spec!.hostname!);
      this.live.set(file.id, live);
      if (file.config.cgroupParent && !file.stopped) this.place(file.config);
      const addr = readAddress(paths.network);
      if (addr && !file.stopped) this.d.podIPs.set(file.config.uid, addr.ip);
      if (!file.stopped) await this.connect(live);
    }
  }

  /** The sandboxes holding an address or ports now (the network's reconcile keeps theirs). */
  holders(): { id: string; paths: PodPaths }[] {
    return [...this.live.values()].filter((l) => !l.file.stopped).map((l) => ({ id: l.file.id, paths: l.paths }));
  }

  get size(): number {
    return this.holders().length;
  }

  /** A sandbox's entry, its runtime's exits told as container events. */
  private entry(file: SandboxFile, paths: PodPaths, record: SandboxRecord, hostname: string): Live {
    const rt = new SandboxRuntime(paths, record);
    rt.on('exit', (name: string, attempt: number) => this.exitEvent(file.id, name, attempt));
    return { file, paths, record, rt, hostname };
  }

  private async connect(l: Live): Promise<void> {
    if (!(await l.rt.connect()) && l.rt.alive()) this.d.log(`sandbox ${l.file.id}: the shim did not answer`);
  }

  /** The sandbox's cgroups under the kubelet's cgroup_parent; said once where that cannot be (rootless, no cgroups). */
  private place(config: RuntimeSandboxConfig): void {
    if (this.d.placeCgroup(config.uid, config.cgroupParent!) || this.parentIgnored) return;
    this.parentIgnored = true;
    this.d.log(`cgroup_parent ${config.cgroupParent} is not used: this user has no cgroup tree of the host's to place sandboxes in; they go where podrun's own pods go`);
  }

  private parentIgnored = false;

  /** The kubelet's pod CIDR (UpdateRuntimeConfig): said once when it is not podrun's own pod network. */
  podCidrFromKubelet(cidr: string): void {
    if (cidr === this.d.podCidr || cidr === this.kubeletCidr) return;
    this.kubeletCidr = cidr;
    this.d.log(`the kubelet's pod CIDR ${cidr} is not podrun's pod network ${this.d.podCidr}: sandboxes take addresses from ${this.d.podCidr} (set PODRUN_POD_CIDR to use the kubelet's)`);
  }

  private kubeletCidr?: string;

  // ---- sandboxes

  async runPodSandbox(config: RuntimeSandboxConfig): Promise<string> {
    const pod = sandboxPod(config);
    if (config.cgroupParent) this.place(config);
    for (const l of this.live.values()) {
      const c = l.file.config;
      if (c.name === config.name && c.namespace === config.namespace && c.uid === config.uid && c.attempt === config.attempt) {
        throw new PodrunError('AlreadyExists', `pod sandbox ${config.namespace}/${config.name} (uid ${config.uid}, attempt ${config.attempt}) exists already: ${l.file.id}`);
      }
    }
    let id = randomBytes(32).toString('hex');
    while (fs.existsSync(this.sandboxDir(id))) id = randomBytes(32).toString('hex');
    const paths = new PodPaths(this.sandboxDir(id));
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(paths.dir, { mode: 0o700 });
    this.busy.add(id);
    let net: PreparedNetwork | undefined;
    try {
      fs.mkdirSync(paths.shm, { mode: 0o1777 });
      fs.chmodSync(paths.shm, 0o1777);
      const file: SandboxFile = { id, config, createdAt: nowNs(), stopped: false };
      writeStateFile(path.join(paths.dir, 'sandbox-config.json'), JSON.stringify(file) + '\n');
      net = await this.d.net.prepare(id, pod, this.d.idmap(pod));
      const record = await this.d.sandboxes.make(id, pod, paths, net, [], new Map());
      const live = this.entry(file, paths, record, pod.spec!.hostname!);
      this.live.set(id, live);
      await this.connect(live);
      if (!live.rt.ready) throw new PodrunError('Internal', 'the pod shim did not accept a connection');
      return id;
    } catch (e) {
      this.live.delete(id);
      await this.d.sandboxes.killAt(paths);
      this.d.net.undo(id, net, paths);
      this.d.podIPs.delete(config.uid);
      await this.d.removeCgroups(config.uid).catch(() => undefined);
      removeTree(paths.dir);
      throw e;
    } finally {
      this.busy.delete(id);
    }
  }

  /** The live sandbox `id` names (a unique prefix, as crictl allows); NotFound otherwise. */
  private sandbox(id: string): Live {
    const l = this.live.get(id) ?? this.byPrefix(id);
    if (!l) throw new PodrunError('NotFound', `pod sandbox "${id}" not found`);
    return l;
  }

  private byPrefix(prefix: string): Live | undefined {
    if (!prefix || ID.test(prefix)) return undefined;
    const hits = [...this.live.values()].filter((l) => l.file.id.startsWith(prefix));
    return hits.length === 1 ? hits[0] : undefined;
  }

  /** Stops every container (no grace: the kubelet stopped them first), the shim and the network. Idempotent. */
  async stopPodSandbox(id: string): Promise<void> {
    const l = this.sandbox(id);
    if (l.file.stopped) return;
    const running = this.containersOf(l).filter((c) => this.containerState(l, c) === 'CONTAINER_RUNNING');
    const records = this.d.net.records(l.paths);
    await l.rt.shutdown();
    const uid = l.file.config.uid;
    this.d.podIPs.delete(uid);
    this.d.net.release(l.file.id, records, this.d.podIPs.size > 0);
    fs.rmSync(l.paths.network, { force: true });
    await this.d.removeCgroups(uid).catch((e: Error) => this.d.log(`sandbox ${l.file.id}: ${e.message}`));
    l.file = { ...l.file, stopped: true };
    writeStateFile(path.join(l.paths.dir, 'sandbox-config.json'), JSON.stringify(l.file) + '\n');
    // Those the shim took down with it (their exits may not have been reported).
    for (const c of running) this.event(l, c, 'CONTAINER_STOPPED_EVENT');
  }

  /** Stops it if need be, then removes it and its containers; an unknown id is no error (idempotent). */
  async removePodSandbox(id: string): Promise<void> {
    let l: Live;
    try {
      l = this.sandbox(id);
    } catch {
      return;
    }
    await this.stopPodSandbox(l.file.id);
    const containers = this.containersOf(l);
    this.live.delete(l.file.id);
    removeTree(l.paths.dir);
    for (const c of containers) this.event(l, c, 'CONTAINER_DELETED_EVENT');
  }

  private sandboxState(l: Live): SandboxState {
    return !l.file.stopped && l.rt.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
  }

  private view(l: Live): SandboxView {
    return { id: l.file.id, config: l.file.config, state: this.sandboxState(l), createdAt: l.file.createdAt, ip: l.file.stopped ? '' : (readAddress(l.paths.network)?.ip ?? '') };
  }

  podSandboxStatus(id: string): SandboxView & { shim: SandboxRecord } {
    const l = this.sandbox(id);
    return { ...this.view(l), shim: l.record };
  }

  listPodSandbox(): SandboxView[] {
    return [...this.live.values()].map((l) => this.view(l)).sort((a, b) => a.createdAt - b.createdAt);
  }

  // ---- containers

  private containerFile(l: Live, name: string, attempt: number): string {
    return path.join(l.paths.containerDir(name), `${attempt}.cri.json`);
  }

  /** Every container of the sandbox, as created. */
  private containersOf(l: Live): ContainerFile[] {
    l.containers ??= readContainers(l.paths);
    return [...l.containers.values()];
  }

  /** The container `id` names (or a unique prefix of it), with its sandbox; NotFound otherwise. */
  private container(id: string): { l: Live; c: ContainerFile } {
    const hits: { l: Live; c: ContainerFile }[] = [];
    for (const l of this.live.values()) {
      for (const c of this.containersOf(l)) if (c.id.startsWith(id)) hits.push({ l, c });
    }
    const exact = hits.find((h) => h.c.id === id);
    if (exact) return exact;
    if (hits.length === 1 && id.length > 0) return hits[0]!;
    throw new PodrunError('NotFound', `container "${id}" not found${hits.length > 1 ? ` (${hits.length} containers have ids that begin so)` : ''}`);
  }

  async createContainer(sandboxId: string, input: CreateContainerInput): Promise<string> {
    const l = this.sandbox(sandboxId);
    if (this.sandboxState(l) !== 'SANDBOX_READY') throw new PodrunError('Conflict', `pod sandbox ${l.file.id} is not ready: no container can be created in it`);
    const { config } = input;
    const file = this.containerFile(l, config.name, config.attempt);
    if (fs.existsSync(file)) throw new PodrunError('AlreadyExists', `container "${config.name}" (attempt ${config.attempt}) exists already in pod sandbox ${l.file.id}`);
    const image = config.image;
    const plan = await l.rt.create(config, {
      hostname: l.hostname,
      hostPid: l.file.config.pid === 'NODE',
      seccompDir: this.d.seccompDir,
      // A log file the kubelet names is rotated by the kubelet (rename, then ReopenContainerLog), not by the shim.
      logs: config.logPath ? { maxSize: 0, maxFiles: 1 } : this.d.logs,
      probe: this.d.rootfsDriver,
      copyLayers: (img, dest) => this.d.copyLayers(img, dest),
      cgroup: () => this.d.containerCgroup(l.file.config.uid, config.name, config.resources ?? { cpuShares: 1024 }, cgroupDeviceRules({ all: config.security.privileged, nodes: config.devices })),
    });
    // Random, as containerd's: a short id (crictl shows 13 digits) tells containers and sandboxes apart.
    const id = randomBytes(32).toString('hex');
    const c: ContainerFile = {
      id,
      sandboxId: l.file.id,
      name: config.name,
      attempt: config.attempt,
      image: { ref: input.imageRef, id: image.id },
      labels: input.labels,
      annotations: input.annotations,
      createdAt: nowNs(),
      mounts: config.mounts.map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly, propagation: m.propagation })),
      stopSignal: stopSignal({ name: config.name }, image.config.stopSignal),
      plan,
    };
    writeStateFile(file, JSON.stringify(c) + '\n');
    this.containersOf(l);
    l.containers!.set(id, c);
    this.event(l, c, 'CONTAINER_CREATED_EVENT');
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const { l, c } = this.container(id);
    const state = this.containerState(l, c);
    if (state !== 'CONTAINER_CREATED') throw new PodrunError('Conflict', `container ${c.id} is ${state.replace('CONTAINER_', '').toLowerCase()}: only a created container can be started`);
    if (!l.rt.ready) throw new PodrunError('Conflict', `pod sandbox ${l.file.id} is not ready: its shim is gone`);
    try {
      await l.rt.start(c.plan);
    } catch (e) {
      // The shim recorded the failure as an exit (StartError): the container has stopped.
      this.event(l, c, 'CONTAINER_STOPPED_EVENT');
      if (e instanceof ShimRequestError) throw new PodrunError('System', `starting container ${c.name}: ${e.message}`);
      throw e;
    }
    this.event(l, c, 'CONTAINER_STARTED_EVENT');
  }

  /** The running container's log file opened again (the kubelet renamed it to rotate it). */
  async reopenContainerLog(id: string): Promise<void> {
    const { l, c } = this.container(id);
    if (this.containerState(l, c) !== 'CONTAINER_RUNNING') throw new PodrunError('Conflict', `container ${c.id} is not running`);
    await l.rt.reopenLog(c.name);
  }

  /** A container event (GetContainerEvents), after the change it tells of. */
  private event(l: Live, c: ContainerFile, type: ContainerEventType): void {
    if (this.listenerCount('container-event') > 0) this.emit('container-event', { type, containerId: c.id, sandboxId: l.file.id, createdAt: nowNs() } satisfies ContainerEvent);
  }

  /** The event of a container whose exit the shim reported. */
  private exitEvent(sandboxId: string, name: string, attempt: number): void {
    const l = this.live.get(sandboxId);
    if (!l) return;
    const c = this.containersOf(l).find((x) => x.name === name && x.attempt === attempt);
    if (c) this.event(l, c, 'CONTAINER_STOPPED_EVENT');
  }

  private attemptOf(l: Live, c: ContainerFile): AttemptRecord | undefined {
    return l.rt.attempt(c.name, c.attempt);
  }

  private containerState(l: Live, c: ContainerFile, a = this.attemptOf(l, c)): ContainerState {
    if (a?.exit) return 'CONTAINER_EXITED';
    if (!a?.start) return 'CONTAINER_CREATED';
    // Started, no exit recorded, and the shim gone with the sandbox: it cannot run any more.
    return this.sandboxState(l) === 'SANDBOX_READY' ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED';
  }

  /** The stop signal, then SIGKILL after `timeoutSeconds` (0: at once). Stopping a stopped container is no error. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const { l, c } = this.container(id);
    if (this.containerState(l, c) !== 'CONTAINER_RUNNING') return;
    if (!(await l.rt.stop(c.name, c.attempt, c.stopSignal, timeoutSeconds * 1000))) throw new PodrunError('Timeout', `container ${c.id} did not exit 10 s after SIGKILL`);
  }

  /** Forcibly: a running container is killed first. An unknown id is no error (idempotent). */
  async removeContainer(id: string): Promise<void> {
    let found: { l: Live; c: ContainerFile };
    try {
      found = this.container(id);
    } catch {
      return;
    }
    const { l, c } = found;
    await this.stopContainer(c.id, 0);
    const dir = l.paths.containerDir(c.name);
    fs.rmSync(this.containerFile(l, c.name, c.attempt), { force: true });
    l.containers?.delete(c.id);
    this.event(l, c, 'CONTAINER_DELETED_EVENT');
    for (const f of [l.paths.startRecord(c.name, c.attempt), l.paths.exitRecord(c.name, c.attempt), l.paths.terminationLog(c.name, c.attempt), l.paths.log(c.name, c.attempt), path.join(dir, 'exec.json')]) fs.rmSync(f, { force: true });
    l.rt.forget(c.name);
    forgetLayer(l.paths.upper(c.name, c.attempt));
    removeTree(l.paths.upper(c.name, c.attempt));
    // The kubelet's log file is the kubelet's: it removes it with the pod's log folder.
  }

  private containerView(l: Live, c: ContainerFile): ContainerView {
    const a = this.attemptOf(l, c);
    const state = this.containerState(l, c, a);
    const exit = a?.exit;
    let reason = '';
    let message = '';
    let exitCode = 0;
    if (exit) {
      exitCode = exit.exitCode;
      reason = exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error');
      message = exit.message ?? '';
    } else if (state === 'CONTAINER_EXITED') {
      // It ran when its sandbox went away, and nobody saw it end.
      exitCode = 255;
      reason = 'Unknown';
      message = 'the pod sandbox stopped before the container exit was recorded';
    }
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.name,
      attempt: c.attempt,
      image: c.image,
      labels: c.labels,
      annotations: c.annotations,
      state,
      createdAt: c.createdAt,
      startedAt: isoNs(a?.start?.startedAt),
      finishedAt: exit ? isoNs(exit.finishedAt) : 0,
      exitCode,
      reason,
      message,
      mounts: c.mounts,
      logPath: c.plan.logPath,
      pid: state === 'CONTAINER_RUNNING' ? (a?.start?.pid ?? 0) : 0,
      user: { uid: c.plan.uid, gid: c.plan.gid, groups: c.plan.groups },
    };
  }

  containerStatus(id: string): ContainerView {
    const { l, c } = this.container(id);
    return this.containerView(l, c);
  }

  listContainers(sandboxId?: string): ContainerView[] {
    const sandboxes = sandboxId ? [this.live.get(sandboxId) ?? this.byPrefix(sandboxId)].filter((l): l is Live => !!l) : [...this.live.values()];
    return sandboxes.flatMap((l) => this.containersOf(l).map((c) => this.containerView(l, c))).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** New cgroup values for a container (UpdateContainerResources); it need not be running. */
  updateContainerResources(id: string, values: CgroupValues): void {
    const { l, c } = this.container(id);
    if (this.containerState(l, c) === 'CONTAINER_EXITED') throw new PodrunError('Conflict', `container ${c.id} has exited: its resources cannot change`);
    this.d.updateCgroup(l.file.config.uid, c.name, values);
  }

  /** What a container uses now: CPU time, working set (from its cgroups) and its writable layer. */
  containerStats(id: string): ContainerStatsView {
    const { l, c } = this.container(id);
    return this.statsOf(l, c);
  }

  private statsOf(l: Live, c: ContainerFile): ContainerStatsView {
    const running = this.containerState(l, c) === 'CONTAINER_RUNNING';
    const usage = running ? this.d.usage(l.file.config.uid, c.name) : undefined;
    const layer = layerUsage(l.paths.upper(c.name, c.attempt));
    return { id: c.id, sandboxId: l.file.id, name: c.name, attempt: c.attempt, labels: c.labels, annotations: c.annotations, timestamp: nowNs(), usage, layer: { path: l.paths.upper(c.name, c.attempt), ...layer } };
  }

  listContainerStats(sandboxId?: string): ContainerStatsView[] {
    const sandboxes = sandboxId ? [this.live.get(sandboxId) ?? this.byPrefix(sandboxId)].filter((l): l is Live => !!l) : [...this.live.values()];
    return sandboxes.flatMap((l) => this.containersOf(l).sort((a, b) => a.createdAt - b.createdAt).map((c) => this.statsOf(l, c)));
  }

  /** A sandbox's own usage (its cgroup) and its containers'. */
  podSandboxStats(id: string): { sandbox: SandboxView; usage: CgroupUsage | undefined; timestamp: number; containers: ContainerStatsView[] } {
    const l = this.sandbox(id);
    return { sandbox: this.view(l), usage: l.file.stopped ? undefined : this.d.usage(l.file.config.uid), timestamp: nowNs(), containers: this.containersOf(l).map((c) => this.statsOf(l, c)) };
  }

  /** How exec reaches the running container: its process, its sandbox's shim, its identity. */
  private execTarget(id: string): ExecTarget {
    const { l, c } = this.container(id);
    const a = this.attemptOf(l, c);
    if (this.containerState(l, c, a) !== 'CONTAINER_RUNNING' || !a?.start) throw new PodrunError('Conflict', `container ${c.id} is not running`);
    return { process: { pid: a.start.pid, startTime: String(a.start.startTime) }, sandbox: l.record, identity: execIdentity(c.plan), rootless: l.record.rootless };
  }

  /** argv in the running container; its output (each stream up to maxBytes) and exit code. */
  async execSync(id: string, argv: string[], timeoutSeconds: number, maxBytes: number): Promise<ExecOutput> {
    const target = this.execTarget(id);
    if (!argv.length) throw new PodrunError('Invalid', 'cmd: Required value');
    return collectExec(target, argv, timeoutSeconds * 1000, maxBytes);
  }

  /** argv in the running container, its stdio (or terminal) to the caller (CRI's Exec). */
  exec(id: string, argv: string[], opts: { tty: boolean; stdin: boolean }): ExecSession {
    const target = this.execTarget(id);
    if (!argv.length) throw new PodrunError('Invalid', 'cmd: Required value');
    return execInContainer(target, argv, opts);
  }

  /** The running container's own stdio (or terminal), from now on (CRI's Attach). */
  attach(id: string): Promise<ExecSession> {
    const { l, c } = this.container(id);
    if (this.containerState(l, c) !== 'CONTAINER_RUNNING') throw new PodrunError('Conflict', `container ${c.id} is not running`);
    return attachContainer(l.paths, c.name);
  }

  /** A connection to `port` on the sandbox's loopback, made in its network namespace (CRI's PortForward). */
  portForward(sandboxId: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
    const l = this.sandbox(sandboxId);
    if (this.sandboxState(l) !== 'SANDBOX_READY') throw new PodrunError('Conflict', `pod sandbox ${l.file.id} is not ready`);
    return connectInPod({ process: { pid: l.record.pid, startTime: l.record.startTime }, rootless: l.record.rootless }, '127.0.0.1', port, timeoutMs);
  }

  /** Connections to the shims end; sandboxes and containers stay (a new process finds them). */
  close(): void {
    for (const l of this.live.values()) {
      l.rt.close();
    }
  }
}

