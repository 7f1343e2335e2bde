// The Node API. One engine runs per state root: in this process when no `podrun serve` owns
// the root, otherwise the calls go to the engine that does, over its socket. Logs and exec do
// not need the engine: they read the shim's files and enter containers directly.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import type { EphemeralContainer, Event, Node, Pod } from 'kubernetes-types/core/v1';
import { parseManifests, type KubeObject } from './api/manifest';
import { NotFoundError, PodrunError } from './errors';
import { pullImage, type PullOptions } from './image/pull';
import { ImageStore } from './image/store';
import type { ImageConfig, ImageRecord } from './image/types';
import { Engine, podDirId } from './kubelet/engine';
import { KUBELET_BACKOFF } from './kubelet/backoff';
import { native } from './native';
import { envNumber, withDefaults } from './options';
import type { ExecIdentity } from './plan/container';
import { execInContainer } from './runtime/exec';
import { portForward, type PortForwardEvents, type PortForwardSession, type PortMapping } from './runtime/port-forward';
import { readLog } from './runtime/logs';
import { readAttempts } from './runtime/records';
import { ShimClient } from './runtime/shim-client';
import type { SandboxRecord } from './runtime/sandbox';
import { EngineClient, serveEngine } from './server/rpc';
import { defaultDataRoot, defaultRoot, PodPaths, StateRoot } from './state/paths';
import type { ApplyResult, DeleteOptions, ExecOptions, ExecSession, ListEventsOptions, LogOptions, PodrunOptions, WaitOptions, WatchEvent, WatchOptions } from './types';
import { pause, WatchDiff } from './watch';

interface Backend {
  apply(objs: KubeObject[]): Promise<ApplyResult[]>;
  createPod(pod: Pod): Promise<Pod>;
  getPod(namespace: string, name: string): Promise<Pod>;
  listPods(namespace?: string): Promise<Pod[]>;
  /** The last objects of pods deleted in the past minute (for watch). */
  listDeletedPods(namespace?: string): Promise<Pod[]>;
  deletePod(namespace: string, name: string, grace?: number): Promise<void>;
  addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer): Promise<Pod>;
  deleteObject(kind: string, namespace: string, name: string): Promise<boolean>;
  listEvents(namespace?: string, pod?: string): Promise<Event[]>;
  listNodes(): Promise<Node[]>;
  reset(): Promise<string[]>;
}

/** The engine of this process, with its socket open for other podrun processes. */
class LocalEngine implements Backend {
  constructor(
    readonly engine: Engine,
    private readonly server: http.Server,
    private readonly lockFd: number,
  ) {}
  apply(objs: KubeObject[]) {
    return this.engine.apply(objs);
  }
  createPod(pod: Pod) {
    return this.engine.createPod(pod);
  }
  async getPod(namespace: string, name: string) {
    return this.engine.getPod(namespace, name);
  }
  async listPods(namespace?: string) {
    return this.engine.listPods(namespace);
  }
  async listDeletedPods(namespace?: string) {
    return this.engine.listDeletedPods(namespace);
  }
  deletePod(namespace: string, name: string, grace?: number) {
    return this.engine.deletePod(namespace, name, grace);
  }
  addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer) {
    return this.engine.addEphemeralContainer(namespace, name, container);
  }
  async deleteObject(kind: string, namespace: string, name: string) {
    return this.engine.deleteObject(kind, namespace, name);
  }
  async listEvents(namespace?: string, pod?: string) {
    return this.engine.listEvents(namespace, pod);
  }
  async listNodes() {
    return this.engine.listNodes();
  }
  reset() {
    return this.engine.reset();
  }
  ref(): void {
    this.server.ref();
  }
  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    this.engine.close();
    fs.closeSync(this.lockFd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Podrun {
  readonly root: StateRoot;
  readonly dataRoot: string;
  readonly images: ImageStore;
  private backend?: Promise<Backend>;
  private local?: LocalEngine;

  constructor(private readonly opts: PodrunOptions = {}) {
    this.root = new StateRoot(opts.root ? path.resolve(opts.root) : defaultRoot());
    this.dataRoot = opts.dataRoot ? path.resolve(opts.dataRoot) : defaultDataRoot();
    this.images = new ImageStore(this.dataRoot);
  }

  private async startLocal(): Promise<LocalEngine | undefined> {
    this.root.init();
    const lockFd = native.lockFile(this.root.serveLock);
    if (lockFd < 0) return undefined;
    try {
      const engine = new Engine({
        root: this.root,
        images: this.images,
        idMapping: this.opts.idMapping ?? ((process.env.PODRUN_ID_MAPPING as PodrunOptions['idMapping']) || 'auto'),
        // The environment is read under the options: an option given wins, and neither erases a default.
        logs: this.opts.logs,
        backoff: withDefaults(KUBELET_BACKOFF, { initialMs: envNumber('PODRUN_BACKOFF_INITIAL_MS'), maxMs: envNumber('PODRUN_BACKOFF_MAX_MS') }, this.opts.backoff),
      });
      await engine.load();
      const server = await serveEngine(engine, this.root.serveSocket);
      server.unref();
      this.local = new LocalEngine(engine, server, lockFd);
      return this.local;
    } catch (e) {
      fs.closeSync(lockFd);
      throw e;
    }
  }

  private async connect(deadlineMs: number): Promise<EngineClient> {
    const client = new EngineClient(this.root.serveSocket);
    const until = Date.now() + deadlineMs;
    for (;;) {
      try {
        await client.healthz();
        return client;
      } catch (e) {
        if (Date.now() > until) throw e;
        await sleep(20);
      }
    }
  }

  private spawnServe(): void {
    const cli = path.resolve(__dirname, '..', 'bin', 'podrun');
    const log = fs.openSync(this.root.serveLog, 'a', 0o600);
    const child = spawn(process.execPath, [cli, 'serve', '--root', this.root.dir, '--data-root', this.dataRoot], {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
    child.unref();
    fs.closeSync(log);
  }

  private backendFor(): Promise<Backend> {
    if (!this.backend) {
      this.backend = (async () => {
        this.root.init();
        if (this.opts.engine === 'spawn') {
          // The CLI's way: the engine must outlive this command, so it runs in `podrun serve`.
          try {
            return await this.connect(0);
          } catch {
            this.spawnServe();
            return await this.connect(15_000);
          }
        }
        const local = await this.startLocal();
        return local ?? (await this.connect(5_000));
      })();
      this.backend.catch(() => (this.backend = undefined));
    }
    return this.backend;
  }

  /** Runs the engine in this process until SIGTERM or SIGINT (`podrun serve`). */
  async serve(_opts: { foreground?: boolean } = {}): Promise<void> {
    const local = await this.startLocal();
    if (!local) throw new PodrunError('Conflict', `another podrun serve owns ${this.root.dir}`);
    // In the foreground the socket is what keeps the process alive.
    local.ref();
    this.backend = Promise.resolve(local);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await this.close();
  }

  async apply(input: string | KubeObject | KubeObject[], opts: { source?: string } = {}): Promise<ApplyResult[]> {
    const objs = typeof input === 'string' ? parseManifests(input, opts.source) : Array.isArray(input) ? input : [input];
    return (await this.backendFor()).apply(objs);
  }

  async createPod(pod: Pod): Promise<Pod> {
    return (await this.backendFor()).createPod(pod);
  }

  async getPod(name: string, namespace = 'default'): Promise<Pod> {
    return (await this.backendFor()).getPod(namespace, name);
  }

  async listPods(namespace?: string): Promise<Pod[]> {
    return (await this.backendFor()).listPods(namespace);
  }

  async deletePod(name: string, opts: DeleteOptions = {}): Promise<void> {
    return (await this.backendFor()).deletePod(opts.namespace ?? 'default', name, opts.gracePeriodSeconds);
  }

  /**
   * Adds an ephemeral container to a running pod (`kubectl debug`): it joins the pod's namespaces
   * and, with `targetContainerName`, that container's PID namespace; it is never restarted.
   */
  async addEphemeralContainer(name: string, container: EphemeralContainer, opts: { namespace?: string } = {}): Promise<Pod> {
    return (await this.backendFor()).addEphemeralContainer(opts.namespace ?? 'default', name, container);
  }

  /** The nodes pods run on: this host, with its labels, capacity and allocatable resources. */
  async listNodes(): Promise<Node[]> {
    return (await this.backendFor()).listNodes();
  }

  /** Events about pods (core/v1 Event), oldest first by lastTimestamp. */
  async listEvents(opts: ListEventsOptions = {}): Promise<Event[]> {
    return (await this.backendFor()).listEvents(opts.namespace, opts.pod);
  }

  /**
   * Pods as they change (ADDED, MODIFIED, DELETED) and events as they are recorded or repeat
   * (EVENT), beginning with what exists now, until `signal` aborts or the loop is left.
   *
   * It polls: every 200 ms it lists pods and events and compares them with the previous look
   * (WatchDiff). That works the same against the engine in this process and against
   * `podrun serve`, whose socket speaks plain request/response HTTP with no stream to keep open,
   * resume or reconnect. The cost: a change that comes and goes within one interval is not seen
   * (a pod that starts and finishes in 100 ms may go from ADDED straight to Succeeded). A pod's
   * end is never missed: the engine keeps a deleted pod's last object for a minute, and the
   * watch reports it (MODIFIED, its final phase) before DELETED.
   */
  async *watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const diff = new WatchDiff();
    const interval = opts.intervalMs ?? 200;
    while (!opts.signal?.aborted) {
      const b = await this.backendFor();
      const [pods, events, deleted] = await Promise.all([b.listPods(opts.namespace), b.listEvents(opts.namespace), b.listDeletedPods(opts.namespace)]);
      if (opts.signal?.aborted) return;
      yield* diff.next(pods, events, deleted);
      await pause(interval, opts.signal);
    }
  }

  async deleteObjects(objs: KubeObject[], opts: DeleteOptions = {}): Promise<{ kind: string; namespace: string; name: string; found: boolean }[]> {
    const b = await this.backendFor();
    // Every deletion at once (a pod's grace period runs beside the others'), answered in order.
    const deletions = objs.map(async (o) => {
      const namespace = o.metadata?.namespace ?? opts.namespace ?? 'default';
      const name = o.metadata?.name ?? '';
      let found = true;
      try {
        if (o.kind === 'Pod') await b.deletePod(namespace, name, opts.gracePeriodSeconds);
        else found = await b.deleteObject(o.kind, namespace, name);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        found = false;
      }
      return { kind: o.kind, namespace, name, found };
    });
    const settled = await Promise.allSettled(deletions);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<{ kind: string; namespace: string; name: string; found: boolean }>).value);
  }

  async waitFor(name: string, predicate: (pod: Pod) => boolean, opts: WaitOptions = {}): Promise<Pod> {
    const until = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const pod = await this.getPod(name, opts.namespace);
      if (predicate(pod)) return pod;
      if (Date.now() > until) throw new PodrunError('Timeout', `timed out waiting for the condition on pods/${name}`);
      await sleep(50);
    }
  }

  private podPaths(pod: Pod): PodPaths {
    return new PodPaths(this.root.podDir(podDirId(pod.metadata!.uid!)));
  }

  private container(pod: Pod, wanted: string | undefined, verb: string): string {
    const spec = pod.spec!;
    const names = [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
    if (wanted) {
      if (!names.includes(wanted)) throw new PodrunError('Invalid', `container ${wanted} is not valid for pod ${pod.metadata!.name}`);
      return wanted;
    }
    if (spec.containers.length === 1) return spec.containers[0].name;
    const def = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
    if (def && names.includes(def)) return def;
    throw new PodrunError('Invalid', `a container name must be specified for pod ${pod.metadata!.name}, choose one of: [${spec.containers.map((c) => c.name).join(' ')}]`, `add -c to ${verb}`);
  }

  /** Log lines of a container (the current attempt, or the one before with `previous`). */
  async *logs(name: string, opts: LogOptions = {}): AsyncGenerator<string> {
    const pod = await this.getPod(name, opts.namespace);
    const paths = this.podPaths(pod);
    const cname = this.container(pod, opts.container, 'logs');
    const attempts = readAttempts(paths, cname);
    const target = opts.previous ? attempts[attempts.length - 2] : attempts[attempts.length - 1];
    if (!target) {
      if (opts.previous) throw new PodrunError('Invalid', `previous terminated container "${cname}" in pod "${name}" not found`);
      throw new PodrunError('Invalid', `container "${cname}" in pod "${name}" is waiting to start`);
    }
    const lines: string[] = [];
    const gen = readLog(paths.log(cname, target.attempt), {
      follow: !!opts.follow && !opts.previous,
      finished: () => fs.existsSync(paths.exitRecord(cname, target.attempt)) || !fs.existsSync(paths.dir),
    });
    const fmt = (l: { time: string; text: string }) => (opts.timestamps ? `${l.time} ${l.text}` : l.text);
    if (opts.tailLines !== undefined && !opts.follow) {
      for await (const l of gen) {
        lines.push(fmt(l));
        if (lines.length > opts.tailLines) lines.shift();
      }
      yield* lines;
      return;
    }
    let skip = 0;
    if (opts.tailLines !== undefined) {
      // Count what is there now; the follow below skips all but the last tailLines of it.
      let total = 0;
      for await (const _ of readLog(paths.log(cname, target.attempt), { follow: false, finished: () => true })) total++;
      skip = Math.max(0, total - opts.tailLines);
    }
    for await (const l of gen) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield fmt(l);
    }
  }

  async exec(name: string, argv: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    const pod = await this.getPod(name, opts.namespace);
    const paths = this.podPaths(pod);
    const cname = this.container(pod, opts.container, 'exec');
    const attempts = readAttempts(paths, cname);
    const a = attempts[attempts.length - 1];
    if (!a?.start || a.exit) throw new PodrunError('Conflict', `cannot exec in a stopped container: container ${cname} is not running`);
    const identity = JSON.parse(fs.readFileSync(path.join(paths.containerDir(cname), 'exec.json'), 'utf8')) as ExecIdentity;
    const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as SandboxRecord;
    return execInContainer({ process: { pid: a.start.pid, startTime: String(a.start.startTime) }, identity, rootless: sandbox.rootless }, argv, opts);
  }

  /** The ids of the images the pods of this root use (image prune and rmi keep these). */
  async imagesInUse(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const p of await this.listPods()) {
      for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? []), ...(p.spec?.ephemeralContainers ?? [])]) {
        const img = (() => {
          try {
            return this.images.get(c.image ?? '');
          } catch {
            return undefined;
          }
        })();
        if (img) used.add(img.id);
      }
    }
    return used;
  }

  /** Removes every image no pod uses (`podrun image prune`); returns the names removed. */
  async pruneImages(): Promise<string[]> {
    const used = await this.imagesInUse();
    const removed: string[] = [];
    for (const img of this.images.list()) {
      if (img.builtin || used.has(img.id)) continue;
      this.images.remove(`${img.name}:${img.tag}`);
      removed.push(`${img.name}:${img.tag}`);
    }
    return removed;
  }

  /** Pulls an image from its registry into this data root's store (`podrun pull`). */
  pull(ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
    return pullImage(this.images, ref, opts);
  }

  /**
   * Forwards local ports to the pod's own localhost (kubectl port-forward), for as long as this
   * process runs or until close(). `address` defaults to 127.0.0.1.
   */
  async portForward(name: string, ports: PortMapping[], opts: { namespace?: string; addresses?: string[] } & PortForwardEvents = {}): Promise<PortForwardSession> {
    const pod = await this.getPod(name, opts.namespace);
    if (pod.status?.phase !== 'Running') throw new PodrunError('Conflict', `unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Unknown'}`);
    const sandbox = JSON.parse(fs.readFileSync(this.podPaths(pod).sandbox, 'utf8')) as SandboxRecord;
    return portForward({ process: { pid: sandbox.pid, startTime: sandbox.startTime }, rootless: sandbox.rootless }, ports, opts.addresses ?? ['127.0.0.1'], opts);
  }

  /**
   * Attaches to a running container's main process (kubectl attach): its output from now on,
   * and with `stdin: true` in its spec, its input; with `tty: true`, its terminal.
   */
  async attach(name: string, opts: { namespace?: string; container?: string } = {}): Promise<ExecSession> {
    const pod = await this.getPod(name, opts.namespace);
    const paths = this.podPaths(pod);
    const cname = this.container(pod, opts.container, 'attach');
    const sock = net.createConnection(paths.shimSocket);
    const output = new PassThrough();
    await new Promise<void>((resolve, reject) => {
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        sock.removeListener('data', onData);
        const reply = JSON.parse(head.slice(0, nl)) as { ok: boolean; error?: string };
        if (!reply.ok) {
          sock.destroy();
          reject(new PodrunError('Conflict', `cannot attach to container ${cname}: ${reply.error ?? 'refused'}`));
          return;
        }
        const rest = Buffer.from(head.slice(nl + 1), 'latin1');
        if (rest.length) output.write(rest);
        sock.pipe(output);
        resolve();
      };
      sock.on('data', onData);
      sock.once('error', reject);
      sock.write(JSON.stringify({ id: 1, op: 'attach', name: cname }) + '\n');
    });
    const exit = new Promise<{ exitCode: number; signal: number }>((resolve) => {
      output.once('end', () => {
        const attempts = readAttempts(paths, cname);
        const last = attempts[attempts.length - 1]?.exit;
        resolve({ exitCode: last?.exitCode ?? 0, signal: last?.signal ?? 0 });
      });
    });
    return {
      stdin: sock,
      stdout: output,
      stderr: null,
      exit,
      resize: (rows, cols) => {
        void ShimClient.connect(paths.shimSocket)
          .then(async (c) => {
            await c.request({ op: 'resize', name: cname, rows, cols });
            c.close();
          })
          .catch(() => undefined);
      },
      kill: () => sock.destroy(),
    };
  }

  /**
   * `podrun system reset`: deletes every pod (no grace) and ConfigMap/Secret, podrun's network
   * (the rootless network host, the nftables table, the rootful bridge), stops the engine,
   * and removes the state root and the data root (images). Returns what was removed.
   */
  async reset(): Promise<string[]> {
    const backend = await this.backendFor();
    const removed = await backend.reset();
    if (this.local) {
      await this.close();
    } else {
      // The serve ends itself after answering; wait for it to let go of the root.
      const client = new EngineClient(this.root.serveSocket);
      for (let i = 0; i < 250; i++) {
        try {
          await client.healthz();
          await sleep(20);
        } catch {
          break;
        }
      }
      this.backend = undefined;
    }
    fs.rmSync(this.root.dir, { recursive: true, force: true });
    fs.rmSync(this.dataRoot, { recursive: true, force: true });
    return [...removed, `state ${this.root.dir}`, `images ${this.dataRoot}`];
  }

  /** Stops this process's engine, if it runs one; pods keep running. */
  async close(): Promise<void> {
    const local = this.local;
    this.local = undefined;
    this.backend = undefined;
    if (local) await local.close();
  }
}

export type { ImageConfig, ImageRecord };
