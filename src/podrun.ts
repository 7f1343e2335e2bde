// The Node API. One engine runs per state root: in this process when no `podrun serve` owns
// the root, otherwise the calls go to the engine that does, over its socket. Logs and exec do
// not need the engine: they read the shim's files and enter containers directly.
import { Cgroups } from './cgroups/manager';
import { parseSelector, requirementsMatch } from './api/labels';
import { podMetrics, type PodMetrics } from './cgroups/metrics';
import type { ResizePatch } from './cgroups/resize';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EphemeralContainer, Event, Node, Pod } from 'kubernetes-types/core/v1';
import { parseManifests, type KubeObject } from './api/manifest';
import { checkObjectBounds } from './api/input-limits';
import { ApplyError, NotFoundError, PodrunError } from './errors';
import { pullImage, type PullOptions } from './image/pull';
import { ImageStore } from './image/store';
import type { ImageConfig, ImageRecord } from './image/types';
import { Engine, podDirId } from './kubelet/engine';
import { KUBELET_BACKOFF } from './kubelet/backoff';
import { SysctlAllowlist } from './kubelet/sysctls';
import { native } from './native';
import { envNumber, withDefaults } from './options';
import { waitSignal } from './abort';
import type { ExecIdentity } from './runtime/container-plan';
import { execInContainer, type ExecTarget } from './runtime/exec';
import { copyFromContainer, copyToContainer, type CopyOptions } from './runtime/copy';
import { portForward, type PortForwardEvents, type PortForwardSession, type PortMapping } from './runtime/port-forward';
import { readLog } from './runtime/logs';
import { logsSince } from './runtime/log-since';
import { dialInPod } from './runtime/pod-connect';
import { runContainer } from './run/run-container';
import type { RunOptions } from './run/run-pod';
import type { StartedContainer } from './run/started-container';
import { readAttempts } from './runtime/records';
import { attachContainer } from './runtime/attach';
import { reapChild } from './runtime/sandbox';
import type { SandboxRecord } from './runtime/sandbox';
import { EngineClient, serveEngine } from './server/rpc';
import { LocalEngine, type Backend } from './local-engine';
import { defaultDataRoot, defaultRoot, PodPaths, StateRoot } from './state/paths';
import { removeTree } from './state/remove-tree';
import { emitNoticeWarning, takeNotices } from './state/notices';
import type { ApplyResult, DeleteOptions, ExecOptions, ExecSession, ListEventsOptions, LogOptions, PodrunOptions, WaitOptions, WatchEvent, WatchOptions } from './types';
import type { PropagationPolicy } from './controllers/garbage-collector';
import './api/kinds';
import { kindForWord, kindInfo } from './store/kinds';
import { rolloutHistory, rolloutPause, rolloutRestart, rolloutState, rolloutUndo, type RolloutKind } from './rollout';
import { INITIAL_EVENTS_END, type WatchLine, type WatchRequest } from './store/watch-stream';

/** Resolves when the process is gone (through its pidfd; it need not be our child). */
function processGone(pid: number): Promise<void> {
  let pidfd: number;
  try {
    pidfd = native.pidfdOpen(pid);
  } catch {
    return Promise.resolve(); // ESRCH: gone already
  }
  return reapChild(pidfd);
}

export class Podrun {
  readonly root: StateRoot;
  readonly dataRoot: string;
  readonly images: ImageStore;
  private backend?: Promise<Backend>;
  private local?: LocalEngine;

  /**
   * A client of the state root `opts.root` (default $PODRUN_ROOT, else $XDG_RUNTIME_DIR/podrun,
   * /run/podrun for root). Nothing starts until the first call; `close()` (or `await using`) ends it.
   */
  constructor(private readonly opts: PodrunOptions = {}) {
    this.root = new StateRoot(opts.root ? path.resolve(opts.root) : defaultRoot());
    this.dataRoot = opts.dataRoot ? path.resolve(opts.dataRoot) : defaultDataRoot();
    this.images = new ImageStore(this.dataRoot);
    // Refused now, as the kubelet refuses to start with it, not at the first pod.
    new SysctlAllowlist(opts.allowedUnsafeSysctls);
  }

  /** `podrun serve`: notices wait in the root for the CLI command that triggered them. */
  private serving = false;

  /** The notices nobody has said yet, said here: onNotice, or a process warning (PodrunNotice). */
  private sayNotices(): void {
    if (this.serving) return;
    for (const n of takeNotices(this.root.dir)) (this.opts.onNotice ?? emitNoticeWarning)(n.text);
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
        noticed: this.serving ? undefined : () => this.sayNotices(),
        // The environment is read under the options: an option given wins, and neither erases a default.
        logs: this.opts.logs,
        allowedUnsafeSysctls: this.opts.allowedUnsafeSysctls,
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

  /**
   * The engine's socket, once it answers: at once, or (deadlineMs > 0) when a `podrun serve`
   * starting now has it listening. Its creation and its chmod after listen are changes in the
   * state root, which wake the next try; no timer polls.
   */
  private async connect(deadlineMs: number): Promise<EngineClient> {
    const client = new EngineClient(this.root.serveSocket);
    try {
      await client.healthz();
      return client;
    } catch (e) {
      if (deadlineMs <= 0) throw e;
    }
    return new Promise((resolve, reject) => {
      let last: unknown;
      let busy = false;
      let again = false;
      let over = false;
      const finish = (err: unknown, ok?: EngineClient) => {
        if (over) return;
        over = true;
        watcher.close();
        clearTimeout(timer);
        if (ok) resolve(ok);
        else reject(err);
      };
      const attempt = async (): Promise<void> => {
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          await client.healthz();
          finish(undefined, client);
        } catch (e) {
          last = e;
        } finally {
          busy = false;
          if (again && !over) {
            again = false;
            void attempt();
          }
        }
      };
      const watcher = fs.watch(this.root.dir, () => void attempt());
      const timer = setTimeout(() => finish(last ?? new PodrunError('Timeout', `podrun serve did not answer within ${deadlineMs} ms`), undefined), deadlineMs);
      // It may have come up between the first try and the watch.
      void attempt();
    });
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
  async serve(opts: { foreground?: boolean; /** @internal `podrun cri`: given the engine once it runs, before the first signal can end it. */ started?: (engine: Engine) => Promise<void> } = {}): Promise<void> {
    this.serving = true;
    const local = await this.startLocal();
    if (!local) throw new PodrunError('Conflict', `another podrun serve owns ${this.root.dir}`);
    if (opts.started) {
      try {
        await opts.started(local.engine);
      } catch (e) {
        await this.close();
        throw e;
      }
    }
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

  /**
   * Creates or updates objects as `kubectl apply` does: each on its own. When any fails, the
   * others are still applied and an ApplyError is thrown, with every object's outcome in `results`.
   */
  async apply(input: string | KubeObject | KubeObject[], opts: { source?: string; signal?: AbortSignal } = {}): Promise<ApplyResult[]> {
    const objs = typeof input === 'string' ? parseManifests(input, opts.source) : Array.isArray(input) ? input : [input];
    // Objects given already parsed meet the bounds a manifest's text meets (3 MiB, the depth).
    if (typeof input !== 'string') for (const o of objs) checkObjectBounds(o, opts.source);
    // Checked before the request, not during it: an apply the engine has received completes.
    opts.signal?.throwIfAborted();
    const results = await (await this.backendFor()).apply(objs);
    // What the engine noticed while admitting them (limits not enforced, one id only).
    this.sayNotices();
    if (results.some((r) => r.error)) throw new ApplyError(results);
    return results;
  }

  /** Creates a pod (AlreadyExists when one has its name); it starts as the kubelet would start it. */
  async createPod(pod: Pod): Promise<Pod> {
    const created = await (await this.backendFor()).createPod(pod);
    this.sayNotices();
    return created;
  }

  /** The pod as the engine has it now, status included; NotFound when there is none. */
  async getPod(name: string, namespace = 'default'): Promise<Pod> {
    return (await this.backendFor()).getPod(namespace, name);
  }

  /** The pods of one namespace, or of all when `namespace` is undefined. */
  async listPods(namespace?: string): Promise<Pod[]> {
    return (await this.backendFor()).listPods(namespace);
  }

  /**
   * In-place resize (the pod's `resize` subresource, `kubectl patch pod NAME --subresource resize`):
   * a strategic merge patch of `spec.containers[*].resources` cpu and memory. Changes whose
   * resizePolicy is NotRequired (the default) reach the running container's cgroup without a
   * restart; RestartContainer ones restart it. The QoS class may not change.
   */
  async resizePod(name: string, patch: ResizePatch, opts: { namespace?: string } = {}): Promise<Pod> {
    return (await this.backendFor()).resizePod(opts.namespace ?? 'default', name, patch);
  }

  /**
   * Pod metrics as the metrics API gives them to `kubectl top pod` (CPU over a short window,
   * memory as the working set), from the pods' cgroups: all pods of a namespace (all namespaces
   * when `namespace` is undefined), or the one `name`d, or those a label `selector` matches.
   * Unsupported, saying why, where this user has no cgroups (rootless on a cgroup v1 host).
   */
  async top(opts: { name?: string; namespace?: string; selector?: string } = {}): Promise<PodMetrics[]> {
    const cgroups = Cgroups.detect();
    if (!cgroups.available) return podMetrics(cgroups, []);
    let pods = opts.name ? [await this.getPod(opts.name, opts.namespace ?? 'default')] : await this.listPods(opts.namespace);
    if (opts.selector !== undefined) {
      const reqs = parseSelector(opts.selector);
      pods = pods.filter((p) => requirementsMatch(reqs, p.metadata?.labels ?? {}));
    }
    return podMetrics(cgroups, pods);
  }

  /** Stops a pod as the kubelet does (preStop, SIGTERM, SIGKILL after the grace period) and removes it; resolves when it is gone. */
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

  /**
   * One object of any kind podrun keeps (`Deployment`, `deploy`, `deployments`, ...).
   * NotFound when there is none of that name.
   */
  async get<T = KubeObject>(kind: string, name: string, opts: { namespace?: string } = {}): Promise<T> {
    return (await (await this.backendFor()).getObject(kindName(kind), opts.namespace ?? 'default', name)) as T;
  }

  /** The objects of a kind, of one namespace or (namespace undefined) all, in name order. */
  async list<T = KubeObject>(kind: string, opts: { namespace?: string } = {}): Promise<T[]> {
    return (await (await this.backendFor()).listObjects(kindName(kind), opts.namespace)) as T[];
  }

  /**
   * Deletes an object; what it owns goes as `propagationPolicy` says: Background (default,
   * kubectl's --cascade=background), Foreground (the object waits for its dependents) or Orphan.
   * Pods go through deletePod. Resolves false when there was none.
   */
  async delete(kind: string, name: string, opts: { namespace?: string; propagationPolicy?: PropagationPolicy; gracePeriodSeconds?: number } = {}): Promise<boolean> {
    const k = kindName(kind);
    const b = await this.backendFor();
    if (k === 'Pod') {
      try {
        await b.deletePod(opts.namespace ?? 'default', name, opts.gracePeriodSeconds);
        return true;
      } catch (e) {
        if (e instanceof NotFoundError) return false;
        throw e;
      }
    }
    return b.deleteObject(k, opts.namespace ?? 'default', name, opts.propagationPolicy);
  }

  /** Sets the replicas of a Deployment, ReplicaSet, ReplicationController or StatefulSet (`kubectl scale`). */
  async scale<T = KubeObject>(kind: string, name: string, replicas: number, opts: { namespace?: string } = {}): Promise<T> {
    return (await (await this.backendFor()).scale(kindName(kind), opts.namespace ?? 'default', name, replicas)) as T;
  }

  /**
   * Replaces an object read before (its resourceVersion guards against a change in between:
   * Conflict). Pods change through apply; other kinds here or through apply.
   */
  async update<T extends KubeObject>(obj: T): Promise<T> {
    return (await (await this.backendFor()).updateObject(obj)) as T;
  }

  /** `kubectl rollout` for Deployments: history, undo, restart, pause, resume, status. */
  get rollout() {
    return {
      /** The revisions, oldest first; `kind` Deployment (default), DaemonSet or StatefulSet. */
      history: (name: string, opts: { namespace?: string; kind?: RolloutKind } = {}) => rolloutHistory(this, name, opts.namespace, opts.kind),
      undo: (name: string, opts: { namespace?: string; toRevision?: number; kind?: RolloutKind } = {}) => rolloutUndo(this, name, opts),
      /** A new template annotation, so every pod is replaced. */
      restart: (name: string, opts: { namespace?: string; kind?: RolloutKind } = {}) => rolloutRestart(this, name, opts.namespace, opts.kind),
      pause: (name: string, opts: { namespace?: string } = {}) => rolloutPause(this, name, true, opts.namespace),
      resume: (name: string, opts: { namespace?: string } = {}) => rolloutPause(this, name, false, opts.namespace),
      /** Resolves when the roll-out is done; `progress` hears each waiting line once. Timeout after `timeoutMs` (default none). */
      status: (name: string, opts: { namespace?: string; kind?: RolloutKind; timeoutMs?: number; progress?: (line: string) => void; signal?: AbortSignal } = {}) => this.rolloutStatus(name, opts),
    };
  }

  private async rolloutStatus(name: string, opts: { namespace?: string; kind?: RolloutKind; timeoutMs?: number; progress?: (line: string) => void; signal?: AbortSignal }): Promise<string> {
    const kind = opts.kind ?? 'Deployment';
    const resource = `${kindInfo(kind)?.plural ?? kind.toLowerCase()}.apps`;
    // No timeout unless asked: a rollout may take as long as its pods take.
    const { signal, done } = waitSignal({ timeoutMs: opts.timeoutMs ?? Infinity, signal: opts.signal });
    let last = '';
    let seen = false;
    try {
      for await (const line of this.watchLines({ namespace: opts.namespace ?? 'default', kinds: [kind] }, signal)) {
        if (line.type === 'BOOKMARK') {
          if (!seen) throw new NotFoundError(resource, name);
          continue;
        }
        if (line.object.metadata?.name !== name) continue;
        if (line.type === 'DELETED') throw new NotFoundError(resource, name);
        seen = true;
        const state = rolloutState(line.object);
        if (state.done) return state.message;
        if (state.message !== last) opts.progress?.(state.message);
        last = state.message;
      }
    } finally {
      done();
    }
    opts.signal?.throwIfAborted();
    throw new PodrunError('Timeout', `timed out waiting for the rollout of ${kind.toLowerCase().replace('daemonset', 'daemon set')} "${name}"`);
  }

  /** Events about pods (core/v1 Event), oldest first by lastTimestamp. */
  async listEvents(opts: ListEventsOptions = {}): Promise<Event[]> {
    return (await this.backendFor()).listEvents(opts.namespace, opts.pod);
  }

  /**
   * Pods as they change (ADDED, MODIFIED, DELETED) and events as they are recorded or repeat
   * (EVENT): first what exists now (or, given `resourceVersion`, the changes after it), then each
   * change as the engine makes it, pushed through the store's watch, until `signal` aborts or the
   * loop is left. A deleted pod shows its end (MODIFIED, its final phase) before DELETED.
   */
  async *watch<T = Pod>(opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const since = opts.resourceVersion === undefined ? undefined : Number(opts.resourceVersion);
    const kinds = opts.kinds?.map(kindName);
    for await (const line of this.watchLines({ namespace: opts.namespace, since, ...(kinds ? { kinds } : {}) }, opts.signal)) {
      if (line.type !== 'BOOKMARK' || opts.allowBookmarks) yield line as unknown as WatchEvent<T>;
    }
  }

  /**
   * The engine's watch, kept going as a reflector keeps it: when `podrun serve` goes away it is
   * reached (or started) again and the watch resumes from the last resourceVersion seen; when
   * that is too old (Expired) it lists again, and what the listing shows is turned into the
   * changes the watcher missed (MODIFIED for what changed, DELETED for what is gone).
   */
  private async *watchLines(req: WatchRequest, signal?: AbortSignal): AsyncGenerator<WatchLine> {
    let since = req.since;
    // Objects the watcher has been told of, by uid: what a relisting is compared with.
    const known = new Map<string, WatchLine>();
    let relist: Set<string> | undefined;
    while (!signal?.aborted) {
      const b = await this.backendFor();
      try {
        for await (let line of b.watch({ ...req, since }, signal)) {
          const rv = line.object.metadata?.resourceVersion;
          if (line.type === 'BOOKMARK') {
            since = Number(rv);
            if (relist && line.object.metadata?.annotations?.[INITIAL_EVENTS_END]) {
              for (const [uid, last] of known) {
                if (relist.has(uid) || last.type === 'EVENT') continue;
                known.delete(uid);
                yield { type: 'DELETED', object: last.object };
              }
              relist = undefined;
            }
            yield line;
            continue;
          }
          if (rv) since = Number(rv);
          const uid = line.object.metadata?.uid ?? `${line.object.kind}/${line.object.metadata?.namespace}/${line.object.metadata?.name}`;
          if (relist) {
            relist.add(uid);
            const before = known.get(uid);
            if (before && before.object.metadata?.resourceVersion === rv) continue;
            if (before && line.type === 'ADDED') line = { type: 'MODIFIED', object: line.object };
          }
          if (line.type === 'DELETED') known.delete(uid);
          else known.set(uid, line);
          yield line;
        }
      } catch (e) {
        if (signal?.aborted) return;
        if (!(e instanceof PodrunError && e.code === 'Expired')) throw e;
        since = undefined;
        relist = new Set();
        continue;
      }
      // The stream ended. This process's engine closed: so does the watch. podrun serve went
      // away: reach it again (the CLI's way starts it again), resuming where the watch was.
      if (signal?.aborted || !(b instanceof EngineClient)) return;
      this.backend = undefined;
    }
  }

  /** Deletes the objects named by `objs` (`delete -f`), all at once; each result says whether it was there. */
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

  /** Resolves with the pod once `predicate` holds for it; NotFound when it is not there or goes, Timeout after `timeoutMs` (60 s). */
  waitFor(name: string, predicate: (pod: Pod) => boolean, opts: WaitOptions = {}): Promise<Pod> {
    return this.waitForObject<Pod>('Pod', name, predicate, opts);
  }

  /** waitFor for an object of any kind (`deploy`, `Job`, ...), through the watch. */
  async waitForObject<T = KubeObject>(kind: string, name: string, predicate: (obj: T) => boolean, opts: WaitOptions = {}): Promise<T> {
    const k = kindName(kind);
    const plural = kindForWord(k)!.plural;
    const { signal, done } = waitSignal(opts);
    let seen = false;
    try {
      for await (const line of this.watchLines({ namespace: opts.namespace ?? 'default', kinds: [k] }, signal)) {
        if (line.type === 'BOOKMARK') {
          if (!seen) throw new NotFoundError(plural, name);
          continue;
        }
        const obj = line.object as unknown as T;
        if (line.object.metadata?.name !== name) continue;
        seen = line.type !== 'DELETED';
        if (line.type === 'DELETED') throw new NotFoundError(plural, name);
        if (predicate(obj)) return obj;
      }
    } finally {
      done();
    }
    opts.signal?.throwIfAborted();
    throw new PodrunError('Timeout', `timed out waiting for the condition on ${plural}/${name}`);
  }

  /** Resolves once the pod is gone: true, or false when it was not there; Timeout after `timeoutMs`. */
  waitDeleted(name: string, opts: WaitOptions = {}): Promise<boolean> {
    return this.waitGone('Pod', name, opts);
  }

  /** Resolves once the object is gone (through the watch): true, or false when it was not there; Timeout after `timeoutMs` (60 s). */
  async waitGone(kind: string, name: string, opts: WaitOptions = {}): Promise<boolean> {
    const { signal, done } = waitSignal(opts);
    let present = false;
    try {
      for await (const line of this.watchLines({ namespace: opts.namespace ?? 'default', kinds: [kindName(kind)] }, signal)) {
        if (line.type === 'BOOKMARK') {
          if (!present) return false;
          continue;
        }
        if (line.object.metadata?.name !== name) continue;
        if (line.type === 'DELETED') return true;
        present = true;
      }
    } finally {
      done();
    }
    opts.signal?.throwIfAborted();
    throw new PodrunError('Timeout', `timed out waiting for the condition on ${kindForWord(kind)?.plural ?? kind}/${name}`);
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
      signal: opts.signal,
    });
    const fmt = (l: { time: string; text: string }) => (opts.timestamps ? `${l.time} ${l.text}` : l.text);
    const since = logsSince(opts);
    const fresh = (l: { time: string }) => since === undefined || Date.parse(l.time) >= since;
    if (opts.tailLines !== undefined && !opts.follow) {
      const last: { time: string; text: string }[] = [];
      for await (const l of gen) {
        last.push(l);
        if (last.length > opts.tailLines) last.shift();
      }
      for (const l of last) if (fresh(l)) lines.push(fmt(l));
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
      if (fresh(l)) yield fmt(l);
    }
  }

  /** Starts `argv` in a running container, in all its namespaces and as its user (`kubectl exec`). */
  async exec(name: string, argv: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    return execInContainer(await this.runningTarget(name, opts, 'exec', 'cannot exec in a stopped container'), argv, opts);
  }

  // ---- cp (kubectl cp): files between the host and a running container; see runtime/copy.ts ----

  /**
   * Copies `containerPath` (a file, a folder with all it holds, or a symlink, as the container
   * sees it: its root and its volumes) out of a running container to `hostPath`. A folder's
   * content merges into `hostPath`; a file into an existing folder lands inside it. Links in
   * the container are copied as links and never followed on the host.
   */
  async copyFrom(name: string, containerPath: string, hostPath: string, opts: CopyOptions = {}): Promise<void> {
    await copyFromContainer(await this.copyTarget(name, opts), containerPath, hostPath, opts.signal);
  }

  /**
   * Copies `hostPath` (a file, a folder, or a symlink as a symlink) into a running container at
   * `containerPath`, or inside it when that is a folder there, as kubectl cp does. What is
   * written belongs to the container's user.
   */
  async copyTo(name: string, hostPath: string, containerPath: string, opts: CopyOptions = {}): Promise<void> {
    await copyToContainer(await this.copyTarget(name, opts), hostPath, containerPath, opts.signal);
  }

  private async copyTarget(name: string, opts: CopyOptions): Promise<ExecTarget> {
    opts.signal?.throwIfAborted();
    return this.runningTarget(name, opts, 'cp', 'cannot copy from or to a stopped container');
  }

  /** A running container's process (its start record), identity and pod's shim, for exec and cp. */
  private async runningTarget(name: string, opts: { namespace?: string; container?: string }, verb: 'exec' | 'cp', stopped: string): Promise<ExecTarget> {
    const pod = await this.getPod(name, opts.namespace);
    const paths = this.podPaths(pod);
    const cname = this.container(pod, opts.container, verb);
    const a = readAttempts(paths, cname).at(-1);
    if (!a?.start || a.exit) throw new PodrunError('Conflict', `${stopped}: container ${cname} is not running`);
    const identity = JSON.parse(fs.readFileSync(path.join(paths.containerDir(cname), 'exec.json'), 'utf8')) as ExecIdentity;
    const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as SandboxRecord;
    return { process: { pid: a.start.pid, startTime: String(a.start.startTime) }, sandbox: { pid: sandbox.pid, startTime: sandbox.startTime }, identity, rootless: sandbox.rootless };
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
    opts.signal?.throwIfAborted();
    const pod = await this.getPod(name, opts.namespace);
    if (pod.status?.phase !== 'Running') throw new PodrunError('Conflict', `unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Unknown'}`);
    const sandbox = JSON.parse(fs.readFileSync(this.podPaths(pod).sandbox, 'utf8')) as SandboxRecord;
    return portForward({ process: { pid: sandbox.pid, startTime: sandbox.startTime }, rootless: sandbox.rootless }, ports, opts.addresses ?? ['127.0.0.1'], opts);
  }

  /**
   * Runs `image` in a pod of its own, as testcontainers starts a container: resolves once it has
   * started as `opts.waitFor` says (by default its `ports` listen), with a handle whose
   * `mappedPort(port)` is the free host port that reaches `port`, and whose `stop()` (or
   * `await using`) removes it all. A start that fails or times out removes the pod and rejects
   * with the reason and the container's last log lines.
   */
  run(image: string, opts: RunOptions = {}): Promise<StartedContainer> {
    return runContainer(this, { dial: (name, namespace, port, ms) => this.dialInPod(name, namespace, port, ms) }, image, opts);
  }

  /** Connects to localhost:`port` in the pod's network namespace, and hangs up. */
  private async dialInPod(name: string, namespace: string, port: number, timeoutMs: number): Promise<void> {
    const pod = await this.getPod(name, namespace);
    const sandbox = JSON.parse(fs.readFileSync(this.podPaths(pod).sandbox, 'utf8')) as SandboxRecord;
    fs.closeSync(await dialInPod({ process: { pid: sandbox.pid, startTime: sandbox.startTime }, rootless: sandbox.rootless }, '127.0.0.1', port, timeoutMs));
  }

  /**
   * Attaches to a running container's main process (kubectl attach): its output from now on,
   * and with `stdin: true` in its spec, its input; with `tty: true`, its terminal.
   */
  async attach(name: string, opts: { namespace?: string; container?: string; signal?: AbortSignal } = {}): Promise<ExecSession> {
    opts.signal?.throwIfAborted();
    const pod = await this.getPod(name, opts.namespace);
    const paths = this.podPaths(pod);
    const cname = this.container(pod, opts.container, 'attach');
    return attachContainer(paths, cname, opts.signal);
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
      // The serve ends itself after answering: wait for its process to be gone (its pidfd).
      const client = new EngineClient(this.root.serveSocket);
      const pid = await client.healthz().then(
        (h) => h.pid,
        () => undefined,
      );
      if (pid !== undefined) await processGone(pid);
      this.backend = undefined;
    }
    removeTree(this.root.dir);
    removeTree(this.dataRoot);
    return [...removed, `state ${this.root.dir}`, `images ${this.dataRoot}`];
  }

  /**
   * Stops this process's engine, if it runs one, and resolves once it has let go of everything
   * (sockets, watches, files), so the process can exit; pods keep running.
   */
  async close(): Promise<void> {
    // Raised since the last call (a pod started in the background), or before this process began.
    this.sayNotices();
    const local = this.local;
    this.local = undefined;
    this.backend = undefined;
    if (local) await local.close();
  }

  /** `await using podrun = new Podrun()`: close(). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The kind a word names (`deploy`, `Deployment`, `replicasets`); Invalid when none. */
function kindName(word: string): string {
  const info = kindForWord(word);
  if (!info) throw new PodrunError('Invalid', `the server doesn't have a resource type "${word}"`);
  return info.kind;
}

export type { ImageConfig, ImageRecord };
