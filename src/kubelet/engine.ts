// The engine: the pods of one state root, each kept by a PodWorker. It runs in exactly one
// process per root (`podrun serve`, or a Node program), guarded by the root's lock.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, EphemeralContainer, Event, Node, Pod, Secret } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../api/defaults';
import { updatePod } from '../api/pod-update';
import type { KubeObject } from '../api/manifest';
import { validateManifestSet } from '../api/validate';
import { applyEach, type PodApply } from '../store/apply';
import { AlreadyExistsError, NotFoundError, PodrunError, ValidationError } from '../errors';
import type { ImageStore } from '../image/store';
import type { ImageRecord } from '../image/types';
import { admitDevices } from '../plan/devices';
import { sandboxBlocker } from '../plan/container';
import { KUBELET_LOG_LIMITS, type LogLimits, type RootfsDriver } from '../runtime/container-plan';
import { Networking, type PreparedNetwork } from '../network/networking';
import { networkOptions, readAddress, type NetworkOptions } from '../network/pod-network';
import { secretData, type EnvSources } from '../plan/env';
import { resourceFieldValue } from '../plan/resources';
import { detectIdMap, type IdMapPlan } from '../runtime/idmap';
import { UsernsRanges } from '../runtime/userns-ranges';
import { admitUserns } from './userns-admission';
import type { SandboxRecord } from '../runtime/sandbox';
import { writeStateFile } from '../state/atomic-file';
import { removeTree } from '../state/remove-tree';
import { importLegacyObjects } from '../store/legacy-objects';
import { Store } from '../store/store';
import { replaceObject, scaleObject } from '../store/object-verbs';
import '../api/kinds';
import { allKinds, kindInfo } from '../store/kinds';
import type { PropagationPolicy } from '../controllers/garbage-collector';
import { ControlPlane } from '../controllers/control-plane';
import { generateName } from '../controllers/owners';
import { applyPodPresets } from '../api/pod-presets';
import type { PodPreset } from '../api/kinds/pod-preset';
import { claimsOf } from '../controllers/persistent-volume';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { bookmark, watchFilter, type WatchLine, type WatchRequest } from '../store/watch-stream';
import type { ObjectLookup } from '../volume/volumes';
import { PodPaths, runtimeDirNotice, type StateRoot } from '../state/paths';
import { recordNotice } from '../state/notices';
import type { ApplyResult, IdMapping } from '../types';
import { prepareVolumes, type PreparedVolume } from '../volume/volumes';
import { KUBELET_BACKOFF, type BackoffPolicy } from './backoff';
import { resolveImage } from './image-pull';
import { copyLayers } from '../image/copy-layers';
import type { ShimClient } from '../runtime/shim-client';
import { RuntimeService } from '../runtime/runtime-service';
import { criPod } from './cri-pods';
import { parseRemoteRef } from '../image/remote-ref';
import { which } from '../which';
import { localNode } from '../scheduler/node';
import { scheduleOnto } from '../scheduler/fit';
import { awaitsScheduling, PendingPods, type Refusal } from '../scheduler/pending';
import { NOT_ENFORCED, notEnforced } from '../api/not-enforced';
import { forbiddenSysctl, SysctlAllowlist } from './sysctls';
import { checkObjectBounds } from '../api/input-limits';
import { PodSandboxes } from './pod-sandbox';
import { packageVersion } from '../version';
import { withDefaults } from '../options';
import { wantsLimits } from './cgroups';
import { Cgroups } from '../cgroups/manager';
import { containerValues, podValues } from '../cgroups/values';
import { infeasible, resizedContainers, resizedPod, type ResizePatch } from '../cgroups/resize';
import { cgroupDeviceRules, containerDevices } from '../plan/devices';
import { EventRecorder, OBJECT_EVENTS_FILE } from './events';
import { newPodState, readPodState, writePodState, type PodState } from './pod-state';
import { PodWorker, type WorkerContext } from './pod-worker';

export interface EngineOptions {
  root: StateRoot;
  images: ImageStore;
  idMapping: IdMapping;
  backoff?: Partial<BackoffPolicy>;
  /** containerLogMaxSize (bytes) and containerLogMaxFiles; the kubelet's 10 MiB and 5 by default. */
  logs?: Partial<LogLimits>;
  network?: NetworkOptions;
  /** Namespaced sysctls beyond the safe set that pods may set, names or `prefix*` (the kubelet's --allowed-unsafe-sysctls). */
  allowedUnsafeSysctls?: readonly string[];
  log?: (message: string) => void;
  /**
   * Called after a notice is recorded in the state root, for a front door of this process that
   * says notices at once (the Node API). Without it (serve) they are logged, and wait in the
   * root for the next CLI command.
   */
  noticed?: () => void;
}

function readJsonOr(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The folder name of a pod: derived from its uid, short enough for a unix socket path. */
export function podDirId(uid: string): string {
  return uid.replace(/-/g, '').slice(0, 16);
}

function limitsNotice(reason = 'no usable cgroups'): string {
  return `resource limits are not enforced: ${reason}; requests and limits still set qosClass and resourceFieldRef values`;
}

/** The pod spec an object carries: a Pod's own, or the template of a workload (CronJob: its job's). */
function podSpecOf(o: KubeObject): Pod['spec'] {
  type WithTemplate = { template?: { spec?: Pod['spec'] }; jobTemplate?: { spec?: { template?: { spec?: Pod['spec'] } } } };
  const spec = (o as { spec?: Pod['spec'] & WithTemplate }).spec;
  if (o.kind === 'Pod') return spec;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

function rfc3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function checkImageRef(ref: string, field: string): void {
  try {
    parseRemoteRef(ref);
  } catch (e) {
    throw new ValidationError(field, `Invalid value: "${ref}": ${(e as Error).message.replace(/^invalid image reference "[^"]*": /, '')}`);
  }
}

/** How many pods of one apply are being made at once. */
const APPLY_CONCURRENCY = 4;

/** fn over items, at most `limit` at a time; every outcome, in the items' order. */
async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      try {
        out[k] = { status: 'fulfilled', value: await fn(items[k]!) };
      } catch (reason) {
        out[k] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class Engine {
  private readonly workers = new Map<string, PodWorker>();
  /** Every object of this state root: pods (as the kubelet layer publishes them), ConfigMaps, Secrets, ... */
  readonly store: Store;
  /** The sysctls pods may set: the safe set and the engine's allowed unsafe ones. */
  private readonly sysctls: SysctlAllowlist;
  /** ConfigMaps and Secrets by namespace and name, for volumes and env. */
  private readonly objects: ObjectLookup;
  /** The events of this engine's pods (kubectl get events, describe's Events). */
  readonly events: EventRecorder;
  private readonly ctx: WorkerContext;
  private readonly rootless = (process.getuid?.() ?? 0) !== 0;
  /** Pod addresses by pod uid, for status and the status.podIP field reference. */
  private readonly podIPs = new Map<string, string>();
  private readonly sandboxes: PodSandboxes;
  private readonly net: Networking;
  /** Root's pods with hostUsers: false: their blocks of podrun's ids (state root's userns/). */
  private readonly userns: UsernsRanges;
  /** Missing optional features are reported once per engine. */
  private readonly noticed = new Set<string>();
  /** This host, the one node pods are scheduled onto. */
  readonly node: Node;
  /** Pods the scheduler has not placed (yet). */
  private readonly pending = new PendingPods();
  /** Scheduling decisions, one at a time. */
  private scheduling: Promise<unknown> = Promise.resolve();
  /** Pods bound to this node whose worker does not exist yet: they hold resources too. */
  private readonly binding = new Map<string, Pod>();
  /** Deletions under way, by namespace/name: a second delete waits for the first. */
  private readonly deletions = new Map<string, Promise<void>>();
  /** What the controllers may do (write objects, create and delete pods through this engine). */
  private readonly control: ControlPlane;
  /** Sandboxes and containers as CRI asks for them (podrun cri), on the same network and images. */
  readonly runtime: RuntimeService;

  constructor(private readonly opts: EngineOptions) {
    // First: an allowlist the kubelet would not start with leaves nothing opened.
    this.sysctls = new SysctlAllowlist(opts.allowedUnsafeSysctls);
    this.store = Store.open(opts.root.storeFile);
    this.userns = new UsernsRanges(path.join(opts.root.dir, 'userns'));
    importLegacyObjects(opts.root.objectsDir, this.store);
    this.objects = {
      configMap: (ns, name) => this.store.get<ConfigMap>('ConfigMap', ns, name),
      secret: (ns, name) => this.store.get<Secret>('Secret', ns, name),
      claimPath: (ns, name) => this.claimPath(ns, name),
    };
    const network = opts.network ?? networkOptions(process.env, opts.root.dir);
    const cidr = network.cidr;
    // Every address of the pod network but its network, gateway and broadcast ones.
    const maxPods = 2 ** (32 - Number(cidr.split('/')[1] ?? 16)) - 3;
    this.node = localNode({ dataRoot: path.dirname(opts.images.dir), since: rfc3339(), version: packageVersion(), maxPods });
    const log = opts.log ?? ((m: string) => process.stderr.write(`podrun: ${m}\n`));
    this.net = new Networking(opts.root.dir, network, (text) => this.notice(text));
    this.sandboxes = new PodSandboxes({
      net: this.net,
      podIPs: this.podIPs,
      volumes: (pod, paths) => prepareVolumes(pod, paths, this.objects, this.envSources(pod), (ref, dest, field) => this.imageVolume(ref, dest, field)),
      idmap: (pod) => this.idmapOf(pod),
      podCgroup: (pod) => this.cgroups().ensurePod(pod.metadata!.uid!, podValues(pod)),
    });
    this.runtime = new RuntimeService({
      root: opts.root,
      net: this.net,
      sandboxes: this.sandboxes,
      podIPs: this.podIPs,
      idmap: (pod) => this.idmapOf(pod),
      removeCgroups: (uid) => this.cgroups().remove(uid),
      placeCgroup: (uid, parent) => this.cgroups().placeUnder(uid, parent),
      containerCgroup: (uid, name, values, devices) => this.cgroups().ensureContainer(uid, name, values, devices),
      updateCgroup: (uid, name, values) => {
        const cg = this.cgroups();
        if (!cg.available) throw new PodrunError('Unsupported', `resources cannot change: ${cg.reason ?? 'no usable cgroups'}`);
        cg.apply(cg.containerPath(uid, name), values);
      },
      usage: (uid, name) => this.cgroups().usage(uid, name),
      rootfsDriver: (shim, image, scratch, rootless) => this.rootfsDriver(shim, image, scratch, rootless),
      copyLayers: (image, dest) => copyLayers(this.opts.images.layers, image.layers ?? [], dest),
      logs: withDefaults(KUBELET_LOG_LIMITS, opts.logs),
      seccompDir: path.join(path.dirname(opts.images.dir), 'seccomp'),
      podCidr: cidr,
      log,
    });
    this.events = new EventRecorder({ dirOf: (pod) => opts.root.podDir(podDirId(pod.metadata!.uid!)), objectEventsFile: path.join(opts.root.dir, OBJECT_EVENTS_FILE), log });
    // Events reach watchers in the store's sequence, beside the changes of the objects they are about.
    this.events.on('event', (e) => this.store.publishVolatile(e as unknown as KubeObject));
    this.ctx = {
      backoff: withDefaults(KUBELET_BACKOFF, opts.backoff),
      logs: withDefaults(KUBELET_LOG_LIMITS, opts.logs),
      // Localhost seccomp profiles: <data root>/seccomp/<localhostProfile>, as the kubelet's <root>/seccomp.
      seccompDir: path.join(path.dirname(opts.images.dir), 'seccomp'),
      // The node's InternalIP: status.hostIP and the hostNetwork pods' address.
      hostIP: this.node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address,
      log,
      image: (ref, field) => this.image(ref, field),
      rootfsDriver: (shim, image, scratch, rootless) => this.rootfsDriver(shim, image, scratch, rootless),
      copyLayers: (image, dest) => copyLayers(this.opts.images.layers, image.layers ?? [], dest),
      resolveImage: (pod, c, event) => resolveImage(pod, c, { images: this.opts.images, secret: (ns, name) => this.objects.secret(ns, name), event }),
      envSources: (pod, container) => this.envSources(pod, container),
      event: (pod, type, reason, message, fieldPath) => this.recordEvent(pod, type, reason, message, fieldPath),
      recreateSandbox: (w) => this.sandboxes.recreate(w),
      // hostNetwork pods have the node's address, as on the kubelet.
      podIP: (pod) => (pod.spec?.hostNetwork ? this.ctx.hostIP : this.podIPs.get(pod.metadata?.uid ?? '')),
      changed: (w) => void this.publish(w.toObject()),
      containerCgroup: (pod, c, field) => this.cgroups().ensureContainer(pod.metadata!.uid!, c.name, containerValues(c.resources), cgroupDeviceRules(containerDevices(pod, c, field))),
      removeCgroups: (pod) => this.cgroups().remove(pod.metadata!.uid!),
    };
    this.control = new ControlPlane(
      this.store,
      { createPod: (pod) => this.createPod(pod), deletePod: (ns, name, grace) => this.deletePod(ns, name, grace), patchPodMeta: (ns, name, meta) => this.patchPodMeta(ns, name, meta) },
      this.events,
      { node: this.node, volumesDir: path.join(path.dirname(opts.images.dir), 'volumes'), log },
    );
    // A claim bound (or a volume made) may let a pending pod be scheduled.
    this.store.watch(
      (c) => c.object.kind === 'PersistentVolumeClaim',
      () => {
        if (this.pending.list().length) void this.retryScheduling();
      },
    );
    // Events about an object go with it.
    this.store.watch(
      (c) => c.type === 'DELETED' && c.object.kind !== 'Pod',
      (c) => this.events.forget(`${c.object.kind}:${c.object.metadata?.namespace ?? 'default'}/${c.object.metadata?.name}`),
    );
    const runtimeDir = runtimeDirNotice(opts.root.dir);
    if (runtimeDir) this.notice(runtimeDir);
  }

  private cgroupManager?: Cgroups;

  /** The host's cgroups for this user (detected once); without them, said once why limits are not enforced. */
  private cgroups(): Cgroups {
    return (this.cgroupManager ??= Cgroups.detect(this.rootless));
  }
  private driver?: Promise<RootfsDriver>;

  /**
   * overlayfs, unless it cannot be mounted in a pod here (tried once, in the first pod that runs
   * a layered image, by its shim); then fuse-overlayfs, when installed and it mounts; then copies
   * of the layers. Said once. PODRUN_ROOTFS=overlay, =fuse-overlayfs or =copy decides without trying.
   */
  private rootfsDriver(shim: ShimClient, image: ImageRecord, scratch: string, rootless: boolean): Promise<RootfsDriver> {
    const forced = process.env.PODRUN_ROOTFS;
    if (forced === 'copy' || forced === 'overlay') return Promise.resolve(forced);
    // Without the program, the container fails to start saying so: the choice was explicit.
    if (forced === 'fuse-overlayfs') return Promise.resolve({ fuseOverlayfs: which('fuse-overlayfs') ?? 'fuse-overlayfs' });
    this.driver ??= (async () => {
      for (const d of ['upper', 'work', 'fuse-upper', 'fuse-work', 'mnt']) fs.mkdirSync(`${scratch}/${d}`, { recursive: true, mode: 0o700 });
      const lower = [...(image.layers ?? [])].reverse();
      const target = `${scratch}/mnt`;
      try {
        const why = await shim.probeOverlay({ lower, upper: `${scratch}/upper`, work: `${scratch}/work`, target, userxattr: rootless });
        if (!why) return 'overlay' as const;
        const program = which('fuse-overlayfs');
        const fuseWhy = program ? await shim.probeFuseOverlay({ program, lower, upper: `${scratch}/fuse-upper`, work: `${scratch}/fuse-work`, target }) : "not installed; as root: 'apt-get install fuse-overlayfs'";
        if (program && !fuseWhy) {
          this.notice(`overlayfs cannot be mounted here (${why}): container roots of layered images are fuse-overlayfs mounts (slower than the kernel's overlayfs)`);
          return { fuseOverlayfs: program };
        }
        this.notice(`overlayfs cannot be mounted here (${why}), nor fuse-overlayfs (${fuseWhy}): container roots of layered images are copies of their layers (slower, more disk)`);
        return 'copy' as const;
      } catch {
        this.driver = undefined; // the shim went away: no verdict, ask again next time
        return 'overlay' as const;
      } finally {
        try {
          removeTree(scratch);
        } catch {
          /* files of another owner: the pod's removal (by its shim) takes them */
        }
      }
    })();
    return this.driver;
  }

  private recordEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    this.events.record(pod, type, reason, message, fieldPath);
  }

  /**
   * A missing optional feature: logged, and recorded in the state root for the front door that
   * triggered it to say (src/state/notices.ts). Once per root: a later engine does not say
   * again what an earlier one recorded.
   */
  private notice(text: string): void {
    if (this.noticed.has(text)) return;
    this.noticed.add(text);
    let fresh = true;
    try {
      fresh = recordNotice(this.opts.root.dir, text);
    } catch (e) {
      this.ctx.log(`notice not recorded: ${(e as Error).message}`);
    }
    if (!fresh) return;
    // Said by the front door of this process (the Node API), or logged for serve.log.
    if (this.opts.noticed) this.opts.noticed();
    else this.ctx.log(`notice: ${text}`);
  }

  /**
   * What can be known of a pod's spec at admission (a Pod's, or a workload's template): its
   * limits not enforced here, its ids limited to one. Raised while the apply or create is
   * handled, so that the command that sent it says so, not a later one.
   */
  private admissionNotices(spec: Pod['spec']): void {
    if (!spec) return;
    const pod: Pod = { spec };
    if (wantsLimits(pod)) {
      if (!this.cgroups().available) this.notice(limitsNotice(this.cgroups().reason));
    }
    if (this.rootless) {
      const idmap = detectIdMap(this.opts.idMapping);
      if (idmap.notice) this.notice(idmap.notice);
    }
  }

  /**
   * The id map of a pod's user namespace: rootless, the engine's own mapping (every pod has one);
   * as root, the pod's own block of podrun's ids when it asks for hostUsers: false (held until
   * the pod is deleted: the same block for a sandbox made again), else none.
   */
  private idmapOf(pod: Pod): IdMapPlan | null {
    if (this.rootless) return detectIdMap(this.opts.idMapping);
    return pod.spec?.hostUsers === false ? this.userns.allocate(pod.metadata!.uid!) : null;
  }

  private image(ref: string, field: string): ImageRecord {
    const img = this.opts.images.get(ref);
    if (!img) {
      throw new ValidationError(field, `Not found: image "${ref}" is not in the local store`);
    }
    return img;
  }

  private envSources(pod: Pod, container?: string): EnvSources {
    const ns = pod.metadata?.namespace ?? 'default';
    const meta = pod.metadata ?? {};
    return {
      namespace: ns,
      configMap: (name) => this.objects.configMap(ns, name)?.data,
      secret: (name) => {
        const s = this.objects.secret(ns, name);
        return s ? secretData(s) : undefined;
      },
      resourceFieldRef: (ref) => resourceFieldValue(pod, container, ref),
      // fileKeyRef: the file as the container starts (an init container may have written it).
      volumeFile: (volumeName, file) => {
        if (!(pod.spec?.volumes ?? []).some((v) => v.name === volumeName && v.emptyDir)) throw new PodrunError('Invalid', `fileKeyRef: volume "${volumeName}" is not an emptyDir volume of the pod`);
        const dir = new PodPaths(this.opts.root.podDir(podDirId(meta.uid ?? ''))).volume(volumeName);
        const target = path.resolve(dir, file);
        if (!target.startsWith(dir + '/')) return undefined;
        try {
          // The kubelet reads at most 64 KiB of an env file.
          return fs.readFileSync(target).subarray(0, 64 * 1024).toString('utf8');
        } catch {
          return undefined;
        }
      },
      fieldRef: (p) => {
        const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(p);
        if (label) return (label[1] === 'labels' ? meta.labels : meta.annotations)?.[label[2]] ?? '';
        switch (p) {
          case 'metadata.name':
            return meta.name;
          case 'metadata.namespace':
            return ns;
          case 'metadata.uid':
            return meta.uid;
          case 'spec.nodeName':
            return pod.spec?.nodeName ?? os.hostname();
          case 'spec.serviceAccountName':
            return pod.spec?.serviceAccountName ?? 'default';
          case 'status.hostIP':
            return this.ctx.hostIP;
          case 'status.podIP':
            return this.ctx.podIP(pod) ?? '';
          default:
            return undefined;
        }
      },
    };
  }

  /** Finds the pods already on disk and re-attaches to their shims. */
  async load(): Promise<void> {
    // The events of the objects still stored: a Deployment's scaling history outlives its engine.
    this.events.loadObjectEvents((o) => !!o.kind && o.kind !== 'Pod' && this.store.get<KubeObject>(o.kind, o.namespace, o.name ?? '')?.metadata?.uid === o.uid);
    let ids: string[] = [];
    try {
      ids = fs.readdirSync(this.opts.root.podsDir);
    } catch {
      /* a new root */
    }
    for (const id of ids) {
      if (this.pending.load(this.opts.root.podDir(id))) continue;
      const paths = new PodPaths(this.opts.root.podDir(id));
      let pod: Pod, state: PodState, sandbox: SandboxRecord, volumes: PreparedVolume[];
      try {
        pod = JSON.parse(fs.readFileSync(paths.pod, 'utf8')) as Pod;
        const read = readPodState(paths.state);
        if (!read) throw new Error('no state');
        state = read;
        sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as SandboxRecord;
        // Written before the state, and only when the pod has volumes.
        volumes = fs.existsSync(`${paths.dir}/volumes.json`) ? (JSON.parse(fs.readFileSync(`${paths.dir}/volumes.json`, 'utf8')) as PreparedVolume[]) : [];
      } catch {
        // A pod whose creation never finished: its sandbox is gone with its creator. Its cgroups
        // (made after pod.json was written) go too, once whatever ran in them is gone.
        const uid = (readJsonOr(paths.pod) as Pod | undefined)?.metadata?.uid;
        if (uid && this.cgroups().available) {
          await this.sandboxes.killAt(paths);
          await this.cgroups().remove(uid).catch((e: Error) => this.ctx.log(e.message));
        }
        removeTree(paths.dir);
        continue;
      }
      this.events.load(paths.dir);
      // A sandbox half made when its engine died (no network yet, no /etc files): gone, and
      // made again by the worker, as the kubelet makes a lost sandbox again.
      if (sandbox.ready === false) await this.sandboxes.killAt(paths);
      const w = new PodWorker(this.ctx, id, paths, pod, state, sandbox, new Map(volumes.map((v) => [v.name, v])));
      this.workers.set(w.key, w);
      await w.attach();
      w.schedule();
    }
    for (const w of this.workers.values()) {
      const addr = readAddress(w.paths.network);
      if (addr) this.podIPs.set(w.pod.metadata!.uid!, addr.ip);
    }
    // CRI's sandboxes hold addresses and ports too.
    await this.runtime.load();
    // Addresses and publications whose pod is gone (a crash half-way) come back.
    this.net.reconcile([...this.workers.values(), ...this.runtime.holders()]);
    // So do id ranges whose pod never got a folder, or lost it.
    this.userns.reconcile((uid) => fs.existsSync(this.opts.root.podDir(podDirId(uid))));
    await Promise.all([...this.workers.values()].map((w) => w.settled()));
    for (const p of this.pending.list()) this.publishPending(PendingPods.keyOf(p.pod));
    // Deletions a previous engine began and did not finish: carried on, in what is left of their grace.
    for (const w of [...this.workers.values()]) {
      const since = w.state.deletionTimestamp;
      if (!since) continue;
      const grace = w.pod.spec?.terminationGracePeriodSeconds ?? 30;
      const left = Math.max(0, Math.ceil(grace - (Date.now() - Date.parse(since)) / 1000));
      this.deletePod(w.pod.metadata!.namespace!, w.pod.metadata!.name!, left).catch((e: Error) => this.ctx.log(`pod ${w.key}: ${e.message}`));
    }
    // The controllers start from what is there: pods published, objects read from the log.
    this.control.start();
  }

  /** kubectl's apply: each object on its own (src/store/apply.ts); pods are decided here. */
  apply(objs: KubeObject[]): Promise<ApplyResult[]> {
    // The whole request is refused when any object is over the bounds (its socket's callers too).
    try {
      for (const o of objs) checkObjectBounds(o);
    } catch (e) {
      return Promise.reject(e);
    }
    for (const o of objs) this.admissionNotices(podSpecOf(o));
    return applyEach(objs, {
      store: this.store,
      pod: (o) => this.applyPod(o as unknown as Pod),
      // New pods start side by side, a few at a time, as a kubelet starts the pods bound to it
      // (each failed pod undoes itself).
      createAll: (creations) => eachLimited(creations, APPLY_CONCURRENCY, (c) => c()),
    });
  }

  /** One pod of an apply: an update of the one there (or of one waiting to be scheduled), or a creation. */
  private async applyPod(o: Pod): Promise<PodApply> {
    const ns = o.metadata?.namespace ?? 'default';
    const key = `${ns}/${o.metadata?.name ?? ''}`;
    // The objects of the same apply that it may refer to are stored by now (they go first).
    this.precheckPod(o, []);
    const warnings = notEnforced(o, this.rootless);
    const existing = this.workers.get(key);
    const waiting = this.pending.get(key);
    if (waiting) {
      const update = updatePod(waiting.pod, o);
      if (update.action === 'configured') {
        this.pending.replace({ ...waiting, pod: update.pod });
        this.publishPending(key);
        await this.retryScheduling();
      }
      return { action: update.action, warnings };
    }
    if (existing) {
      const update = updatePod(existing.pod, o);
      if (update.action === 'configured') existing.update(update.pod);
      return { action: update.action, warnings };
    }
    return { create: () => this.createPod(o), warnings };
  }

  /** What can be known before anything is made: the images exist, and referenced objects do. */
  private precheckPod(pod: Pod, batch: KubeObject[]): void {
    const all = [...(pod.spec?.initContainers ?? []).map((c, k) => [c, `spec.initContainers[${k}]`] as const), ...(pod.spec?.containers ?? []).map((c, k) => [c, `spec.containers[${k}]`] as const)];
    // A reference must be well formed; whether the image is there is the kubelet's business at
    // container start (pulled then, or ErrImagePull / ErrImageNeverPull in the status).
    for (const [c, field] of all) checkImageRef(c.image ?? '', `${field}.image`);
    admitDevices(pod, this.rootless);
    admitUserns(pod, this.rootless, this.userns);
    const ns = pod.metadata?.namespace ?? 'default';
    const inBatch = (kind: string, name: string) => batch.some((o) => o.kind === kind && (o.metadata?.namespace ?? 'default') === ns && o.metadata?.name === name);
    (pod.spec?.volumes ?? []).forEach((v, i) => {
      if (v.configMap && !v.configMap.optional && !inBatch('ConfigMap', v.configMap.name ?? '') && !this.objects.configMap(ns, v.configMap.name ?? '')) {
        throw new ValidationError(`spec.volumes[${i}].configMap.name`, `Not found: "${v.configMap.name}"`);
      }
      if (v.secret && !v.secret.optional && !inBatch('Secret', v.secret.secretName ?? '') && !this.objects.secret(ns, v.secret.secretName ?? '')) {
        throw new ValidationError(`spec.volumes[${i}].secret.secretName`, `Not found: "${v.secret.secretName}"`);
      }
    });
  }

  async createPod(input: Pod): Promise<Pod> {
    checkObjectBounds(input);
    // generateName: the API server's name, the prefix and five characters.
    if (!input.metadata?.name && input.metadata?.generateName) input = { ...input, metadata: { ...input.metadata, name: generateName(input.metadata.generateName) } };
    try {
      validateManifestSet([{ ...(input as unknown as KubeObject), apiVersion: input.apiVersion ?? 'v1', kind: input.kind ?? 'Pod' }]);
    } catch (e) {
      throw e instanceof ValidationError ? e.about('Pod', input.metadata?.name ?? '') : e;
    }
    // Admission: the presets that select the pod merge into it (and are validated with it).
    const presets = applyPodPresets(applyPodDefaults(input), this.store.list<PodPreset>('PodPreset'));
    if (presets.applied.length) {
      try {
        validateManifestSet([presets.pod as unknown as KubeObject]);
      } catch (e) {
        throw e instanceof ValidationError ? e.about('Pod', input.metadata?.name ?? '') : e;
      }
    }
    const defaulted = presets.pod;
    const ns = defaulted.metadata!.namespace!;
    const name = defaulted.metadata!.name!;
    if (this.workers.has(`${ns}/${name}`) || this.pending.has(`${ns}/${name}`)) throw new AlreadyExistsError('pods', name);
    try {
      this.precheckPod(defaulted, []);
    } catch (e) {
      throw e instanceof ValidationError ? e.about('Pod', name) : e;
    }
    this.admissionNotices(defaulted.spec);
    const uid = crypto.randomUUID();
    const pod: Pod = {
      ...defaulted,
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...defaulted.metadata, uid, creationTimestamp: rfc3339(), resourceVersion: '1', generation: 1 },
      spec: { ...defaulted.spec! },
    };
    delete (pod as { status?: unknown }).status;
    const paths = new PodPaths(this.opts.root.podDir(podDirId(uid)));
    const placed = await this.schedule(pod, paths);
    // Said once the pod has a folder for its events (made by runPod, or kept pending).
    const conflicts = () => {
      for (const c of presets.conflicts) this.events.record(pod, 'Warning', 'PodPresetConflict', `conflict with PodPreset "${c.preset}", nothing of it was applied: ${c.message}`, undefined, { component: 'podpreset-admission' });
    };
    if (!placed) {
      conflicts();
      return this.getPod(ns, name);
    }
    // The kubelet's admission: a pod it cannot run safely fails at once (SysctlForbidden).
    const rejected = forbiddenSysctl(placed, this.sysctls);
    if (rejected) return this.notRunnable(placed, paths, { ok: false, reason: 'SysctlForbidden', message: rejected });
    const blocked = sandboxBlocker(placed);
    if (blocked) return this.notRunnable(placed, paths, { ok: false, reason: 'FailedCreatePodSandBox', message: blocked });
    const running = await this.runPod(placed);
    conflicts();
    return running;
  }

  /**
   * A bound pod that will never run here, whatever the retries: rejected at admission (Failed,
   * SysctlForbidden), or its sandbox impossible to make (the kubelet's FailedCreatePodSandBox,
   * which no change to the immutable spec can cure: Pending in ContainerCreating). Kept with its
   * event until deleted.
   */
  private notRunnable(pod: Pod, paths: PodPaths, why: Extract<Refusal, { reason: 'FailedCreatePodSandBox' | 'SysctlForbidden' }>): Pod {
    const key = PendingPods.keyOf(pod);
    this.binding.delete(key);
    const ns = pod.metadata!.namespace!;
    this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${pod.metadata!.name} to ${pod.spec!.nodeName}`, undefined, { component: 'default-scheduler' });
    this.pending.add(pod, paths, why, rfc3339());
    this.publishPending(key);
    this.events.record(pod, 'Warning', why.reason, why.reason === 'FailedCreatePodSandBox' ? `Failed to create pod sandbox: ${why.message}` : why.message);
    return this.getPod(ns, pod.metadata!.name!);
  }

  /**
   * The scheduler's turn: the pod is bound to this node (returned, nodeName set), or kept
   * Pending with its reason (FailedScheduling) until a change lets it fit.
   */
  private schedule(pod: Pod, paths: PodPaths): Promise<Pod | undefined> {
    const turn = this.scheduling.then(() => {
      const verdict = this.claimsVerdict(pod) ?? scheduleOnto(pod, this.node, this.podsOnNode());
      if (verdict.ok) return this.bind(pod);
      this.pending.add(pod, paths, verdict, rfc3339());
      this.publishPending(PendingPods.keyOf(pod));
      if (verdict.reason === 'Unschedulable') this.events.record(pod, 'Warning', 'FailedScheduling', verdict.message, undefined, { component: 'default-scheduler' });
      return undefined;
    });
    this.scheduling = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The volume binding check of the scheduler: every claim the pod uses exists and is bound,
   * or the pod waits (Unschedulable, with kube-scheduler's words).
   */
  private claimsVerdict(pod: Pod): { ok: false; reason: 'Unschedulable'; message: string } | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    for (const name of claimsOf(pod)) {
      const pvc = this.store.get<PersistentVolumeClaim>('PersistentVolumeClaim', ns, name);
      if (!pvc) return { ok: false, reason: 'Unschedulable', message: `0/1 nodes are available: persistentvolumeclaim "${name}" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.` };
      if (pvc.metadata?.deletionTimestamp) return { ok: false, reason: 'Unschedulable', message: `0/1 nodes are available: persistentvolumeclaim "${name}" is being deleted. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.` };
      if (pvc.status?.phase !== 'Bound') return { ok: false, reason: 'Unschedulable', message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' };
    }
    return undefined;
  }

  /** The host folder of a bound claim's volume. */
  private claimPath(namespace: string, name: string): string | undefined {
    const pvc = this.store.get<PersistentVolumeClaim>('PersistentVolumeClaim', namespace, name);
    const pv = pvc?.spec?.volumeName ? this.store.get<PersistentVolume>('PersistentVolume', undefined, pvc.spec.volumeName) : undefined;
    return pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
  }

  /** The pod, bound to this node: it counts against the node until runPod is done with it. */
  private bind(pod: Pod): Pod {
    const bound = { ...pod, spec: { ...pod.spec!, nodeName: this.node.metadata!.name } };
    this.binding.set(PendingPods.keyOf(pod), bound);
    return bound;
  }

  /** The pods that hold this node's resources: every one bound and not yet finished. */
  private podsOnNode(): Pod[] {
    return [...[...this.workers.values()].filter((w) => !w.state.phase).map((w) => w.pod), ...this.binding.values()];
  }

  /** Pending pods that fit now (after a delete, an update) are bound and run, oldest first. */
  private async retryScheduling(): Promise<void> {
    for (const p of this.pending.list()) {
      if (!awaitsScheduling(p)) continue;
      const key = PendingPods.keyOf(p.pod);
      const placed = await this.scheduling.then(() => {
        const verdict = this.claimsVerdict(p.pod) ?? scheduleOnto(p.pod, this.node, this.podsOnNode());
        if (!verdict.ok) {
          if (verdict.message !== p.verdict.message) {
            this.pending.replace({ ...p, verdict });
            this.publishPending(key);
            if (verdict.reason === 'Unschedulable') this.events.record(p.pod, 'Warning', 'FailedScheduling', verdict.message, undefined, { component: 'default-scheduler' });
          }
          return undefined;
        }
        this.pending.take(key);
        return this.bind(p.pod);
      });
      if (!placed) continue;
      await this.runPod(placed).catch((e: Error) => this.ctx.log(`pod ${key}: ${e.message}`));
    }
  }

  /** A scheduled pod: its sandbox made and its worker started. Anything made is undone on failure. */
  private async runPod(pod: Pod): Promise<Pod> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const uid = pod.metadata!.uid!;
    const id = podDirId(uid);
    const paths = new PodPaths(this.opts.root.podDir(id));
    // Through the threadpool: a pod folder is a top-level folder for ext4's Orlov allocator
    // (see StateRoot.init), whose choice of block group costs the kernel most of a millisecond.
    await fs.promises.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    let net: PreparedNetwork | undefined;
    try {
      await this.pullImageVolumes(pod);
      const { volumes, tmpfs, warnings } = prepareVolumes(pod, paths, this.objects, this.envSources(pod), (ref, dest, field) => this.imageVolume(ref, dest, field));
      await fs.promises.mkdir(paths.shm, { mode: 0o1777 });
      await fs.promises.chmod(paths.shm, 0o1777);
      if (wantsLimits(pod)) {
        if (!this.cgroups().available) this.notice(limitsNotice(this.cgroups().reason));
      }
      const idmap = this.idmapOf(pod);
      if (idmap?.notice) this.notice(idmap.notice);
      writeStateFile(paths.pod, JSON.stringify(pod) + '\n');
      // In a cluster the scheduler says this when it binds the pod; here creating is binding.
      this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${pod.spec!.nodeName}`, undefined, { component: 'default-scheduler' });
      for (const w of warnings) this.events.record(pod, 'Warning', 'UnsignedServiceAccountToken', w);
      for (const w of notEnforced(pod, this.rootless)) this.events.record(pod, 'Warning', NOT_ENFORCED, w);
      if (volumes.size) writeStateFile(`${paths.dir}/volumes.json`, JSON.stringify([...volumes.values()]) + '\n');
      const state = newPodState(rfc3339());
      writePodState(paths.state, state);
      net = await this.net.prepare(id, pod, idmap);
      const sandbox = await this.sandboxes.make(id, pod, paths, net, tmpfs, volumes);
      const w = new PodWorker(this.ctx, id, paths, pod, state, sandbox, volumes);
      if (!(await w.attach())) throw new PodrunError('Internal', 'the pod shim did not accept a connection');
      this.workers.set(w.key, w);
      this.binding.delete(w.key);
      w.schedule();
      await w.settled();
      return w.toObject();
    } catch (e) {
      // Undo: nothing of a pod that failed half-way stays behind.
      const w = this.workers.get(`${ns}/${name}`);
      this.workers.delete(`${ns}/${name}`);
      if (w) await w.terminate(0).catch(() => undefined);
      else {
        await this.sandboxes.killAt(paths);
        await this.cgroups().remove(uid).catch((err: Error) => this.ctx.log(`pod ${ns}/${name}: ${err.message}`));
      }
      this.net.undo(id, net, paths);
      this.userns.release(uid);
      this.podIPs.delete(uid);
      removeTree(paths.dir);
      this.events.forget(`${ns}/${name}`);
      if (this.store.get<Pod>('Pod', ns, name)?.metadata?.uid === uid) this.store.delete('Pod', ns, name);
      throw e;
    } finally {
      this.binding.delete(`${ns}/${name}`);
    }
  }

  /** The images of a pod's image volumes, present or pulled per their pullPolicy (with the kubelet's events). */
  private async pullImageVolumes(pod: Pod): Promise<void> {
    for (const [i, v] of (pod.spec?.volumes ?? []).entries()) {
      const img = (v as { image?: { reference?: string; pullPolicy?: string } }).image;
      if (!img) continue;
      const as = { name: v.name, image: img.reference, imagePullPolicy: img.pullPolicy };
      const r = await resolveImage(pod, as, { images: this.opts.images, secret: (ns, name) => this.objects.secret(ns, name), event: (type, reason, message) => this.recordEvent(pod, type, reason, message) });
      if (!r.ok) throw new ValidationError(`spec.volumes[${i}].image.reference`, `${r.reason}: ${r.message}`);
    }
  }

  /** An image volume: an imported root filesystem as it is, or the layers put together once per pod. */
  private imageVolume(ref: string, dest: string, field: string): string {
    const img = this.image(ref, field);
    if (img.builtin) throw new ValidationError(field, `Invalid value: "${ref}": the built-in host image cannot be a volume`);
    if (!img.layers) return img.rootfs;
    if (!fs.existsSync(`${dest}/.complete`)) {
      fs.rmSync(dest, { recursive: true, force: true });
      fs.mkdirSync(`${dest}/root`, { recursive: true, mode: 0o755 });
      copyLayers(this.opts.images.layers, img.layers, `${dest}/root`);
      fs.writeFileSync(`${dest}/.complete`, '');
    }
    return `${dest}/root`;
  }

  private worker(namespace: string, name: string): PodWorker {
    const w = this.workers.get(`${namespace}/${name}`);
    if (!w) throw new NotFoundError('pods', name);
    return w;
  }

  /**
   * Publishes a pod's object in the store (a new resourceVersion when it changed) and returns
   * the stored one. The kubelet layer computes a pod's object; the store is where it is seen.
   */
  private publish(pod: Pod): Pod {
    return this.store.mirror(pod as unknown as KubeObject) as unknown as Pod;
  }

  private publishPending(key: string): void {
    const p = this.pending.get(key);
    if (p) this.publish(PendingPods.toObject(p, this.ctx.hostIP));
  }

  getPod(namespace: string, name: string): Pod {
    const waiting = this.pending.get(`${namespace}/${name}`);
    return this.publish(waiting ? PendingPods.toObject(waiting, this.ctx.hostIP) : this.worker(namespace, name).toObject());
  }

  /** podrun's pods, and after them the sandboxes a kubelet made over CRI (a view: never stored). */
  listPods(namespace?: string): Pod[] {
    const all = [...[...this.workers.values()].map((w) => ({ key: w.key, get: () => w.toObject() })), ...this.pending.list().map((p) => ({ key: PendingPods.keyOf(p.pod), get: () => PendingPods.toObject(p, this.ctx.hostIP) }))];
    const own = all
      .filter((x) => namespace === undefined || x.key.startsWith(`${namespace}/`))
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((x) => this.publish(x.get()));
    const cri = this.runtime
      .listPodSandbox()
      .filter((s) => namespace === undefined || s.config.namespace === namespace)
      .map((s) => criPod(s, this.runtime.listContainers(s.id), this.ctx.hostIP));
    return [...own, ...cri];
  }

  /** Changes a pod's labels, annotations or ownerReferences (the parts of a pod's metadata that may change). */
  patchPodMeta(namespace: string, name: string, meta: Pick<ObjectMeta, 'labels' | 'annotations' | 'ownerReferences'>): Pod {
    const key = `${namespace}/${name}`;
    const merge = (pod: Pod): Pod => {
      const metadata = { ...pod.metadata, ...meta };
      // The API server's omitempty: a released pod has no ownerReferences field, not [].
      if (metadata.ownerReferences?.length === 0) delete metadata.ownerReferences;
      return { ...pod, metadata };
    };
    const waiting = this.pending.get(key);
    if (waiting) {
      this.pending.replace({ ...waiting, pod: merge(waiting.pod) });
      this.publishPending(key);
      return this.getPod(namespace, name);
    }
    const w = this.worker(namespace, name);
    w.pod = merge(w.pod);
    writeStateFile(w.paths.pod, JSON.stringify(w.pod) + '\n');
    return this.publish(w.toObject());
  }

  /** The nodes of this cluster: this host. */
  listNodes(): Node[] {
    return [this.node];
  }

  /** `kubectl debug`: an ephemeral container joins a running pod (and a container's PID namespace). */
  async addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer): Promise<Pod> {
    checkObjectBounds(container);
    const w = this.worker(namespace, name);
    const spec = w.pod.spec!;
    const updated: Pod = { ...w.pod, spec: { ...spec, ephemeralContainers: [...(spec.ephemeralContainers ?? []), container] } };
    const defaulted = applyPodDefaults(updated);
    validateManifestSet([defaulted as unknown as KubeObject]);
    const k = defaulted.spec!.ephemeralContainers!.length - 1;
    checkImageRef(container.image ?? '', `spec.ephemeralContainers[${k}].image`);
    admitDevices(defaulted, this.rootless);
    await w.addEphemeral({ ...w.pod, spec: { ...spec, ephemeralContainers: defaulted.spec!.ephemeralContainers } });
    return w.toObject();
  }

  /**
   * The pod's resize subresource (in-place resize): the patched resources judged as the API
   * server judges them; changes a container's resizePolicy allows in place are written to its
   * running cgroup (and the pod's) before the spec is stored, the others restart it (its hash changed).
   */
  async resizePod(namespace: string, name: string, patch: ResizePatch): Promise<Pod> {
    const w = this.worker(namespace, name);
    const next = resizedPod(w.pod, patch);
    const why = infeasible(next, this.node.status?.allocatable ?? {});
    if (why) throw new PodrunError('Invalid', `pod ${namespace}/${name}: resize is Infeasible: ${why}`);
    const uid = w.pod.metadata!.uid!;
    for (const { container, restart } of resizedContainers(w.pod, next)) {
      if (restart) continue;
      this.cgroups().resize(uid, container.name, podValues(next), containerValues(container.resources));
    }
    if (resizedContainers(w.pod, next).length === 0) return w.toObject();
    this.recordEvent(w.pod, 'Normal', 'ResizeCompleted', `Pod resize completed: ${JSON.stringify({ containers: next.spec!.containers.map((c) => ({ name: c.name, resources: c.resources ?? {} })) })}`);
    w.update(next);
    await w.settled();
    return w.toObject();
  }

  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    const key = `${namespace}/${name}`;
    const under = this.deletions.get(key);
    if (under) return under;
    const run = this.deletePodNow(namespace, name, gracePeriodSeconds).finally(() => this.deletions.delete(key));
    this.deletions.set(key, run);
    return run;
  }

  private async deletePodNow(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    if (this.pending.remove(`${namespace}/${name}`)) {
      this.events.forget(`${namespace}/${name}`);
      this.store.delete('Pod', namespace, name);
      return;
    }
    const w = this.worker(namespace, name);
    const grace = gracePeriodSeconds ?? w.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const records = this.net.records(w.paths);
    try {
      // How it ended (final phase, terminated states), then its deletion: a watcher sees both.
      this.publish(await w.terminate(grace * 1000));
      const uid = w.pod.metadata!.uid!;
      this.net.release(w.id, records, [...this.podIPs.keys()].some((other) => other !== uid));
      this.userns.release(uid);
    } finally {
      this.podIPs.delete(w.pod.metadata!.uid!);
      this.workers.delete(w.key);
      this.events.forget(w.key);
      if (this.store.get<Pod>('Pod', namespace, name)?.metadata?.uid === w.pod.metadata!.uid) this.store.delete('Pod', namespace, name);
    }
    // What it held is free: a pending pod may fit now.
    if (this.pending.list().length) void this.retryScheduling();
  }

  /**
   * The watch of `req` (see WatchRequest): `fn` gets each line, the first ones before this
   * returns; the function returned stops it. Throws Expired when `since` is no longer kept.
   */
  watch(req: WatchRequest, fn: (line: WatchLine) => void): () => void {
    const filter = watchFilter(req);
    const forward = (c: { type: WatchLine['type']; object: KubeObject }) => fn({ type: c.type, object: c.object } as WatchLine);
    if (req.since !== undefined) {
      const stop = this.store.watch(filter, forward, req.since);
      fn(bookmark(this.store.resourceVersion, false));
      return stop;
    }
    // What exists now, then the changes from here: all in this turn, so none falls between.
    for (const kind of req.kinds ?? ['Pod', 'Event']) {
      if (kind === 'Pod') for (const p of this.listPods(req.namespace)) fn({ type: 'ADDED', object: p as unknown as KubeObject });
      else if (kind === 'Event') for (const e of this.events.list(req.namespace)) fn({ type: 'EVENT', object: e as unknown as KubeObject });
      else for (const o of this.store.list(kind, req.namespace)) fn({ type: 'ADDED', object: o });
    }
    fn(bookmark(this.store.resourceVersion, true));
    return this.store.watch(filter, forward);
  }

  /** Events, oldest first (by lastTimestamp), optionally of one namespace and one pod. */
  listEvents(namespace?: string, pod?: string): Event[] {
    return this.events.list(namespace, pod);
  }

  /** Deletes an object of a stored kind, its dependents as `policy` says (the garbage collector's). */
  deleteObject(kind: string, namespace: string, name: string, policy: PropagationPolicy = 'Background'): boolean {
    return this.control.delete(kind, namespace, name, policy);
  }

  getObject(kind: string, namespace: string, name: string): KubeObject {
    if (kind === 'Pod') return this.getPod(namespace, name) as unknown as KubeObject;
    const o = this.store.get<KubeObject>(kind, namespace, name);
    if (!o) throw new NotFoundError(kindInfo(kind)?.plural ?? kind.toLowerCase(), name);
    return o;
  }

  listObjects(kind: string, namespace?: string): KubeObject[] {
    if (kind === 'Pod') return this.listPods(namespace) as unknown as KubeObject[];
    return this.store.list<KubeObject>(kind, namespace);
  }

  /** Sets spec.replicas (the scale subresource); returns the object. */
  scale(kind: string, namespace: string, name: string, replicas: number): KubeObject {
    return scaleObject(this.store, this.getObject(kind, namespace, name), replicas);
  }

  /** Replaces a stored object (not a pod) after its kind's update rules; the caller read it first. */
  updateObject(obj: KubeObject): KubeObject {
    checkObjectBounds(obj);
    return replaceObject(this.store, obj, () => this.getObject(obj.kind, obj.metadata?.namespace ?? 'default', obj.metadata?.name ?? ''));
  }

  /** Resolves when no controller has work queued or running. */
  controllersIdle(): Promise<void> {
    return this.control.idle();
  }

  /** Lets go of every pod; they keep running and a later engine re-attaches. */
  close(): void {
    this.control.close();
    this.net.close(this.workers.size + this.runtime.size);
    this.runtime.close();
    for (const w of this.workers.values()) w.dispose();
    this.workers.clear();
    this.store.close();
  }

  /** `podrun system reset`: every pod at once (no grace), then everything of podrun's network. */
  async reset(): Promise<string[]> {
    // Controllers first: they would make again the pods deleted below.
    this.control.close();
    for (const p of this.pending.list()) this.pending.remove(PendingPods.keyOf(p.pod));
    this.store.clear(['Pod']);
    const pods = [...this.workers.values()];
    await Promise.all(pods.map((w) => this.deletePod(w.pod.metadata!.namespace!, w.pod.metadata!.name!, 0)));
    const sandboxes = this.runtime.listPodSandbox();
    for (const s of sandboxes) await this.runtime.removePodSandbox(s.id);
    const objects = this.store.clear(allKinds().filter((k) => k.kind !== 'Pod').map((k) => k.kind));
    const removed = await this.net.reset();
    return [`${pods.length} pod(s)`, ...(sandboxes.length ? [`${sandboxes.length} CRI pod sandbox(es)`] : []), `${objects} other object(s)`, ...removed];
  }
}
