// The object store of one state root: every object of every kind, with Kubernetes' metadata
// (uid, resourceVersion, generation, creationTimestamp, deletionTimestamp and finalizers), kept
// in memory and, for durable kinds, in the object log. Every change is published on the watch
// hub in the same turn, numbered by one resourceVersion counter per state root.
//
// Objects handed out are the store's own: callers read them and never change them (a change is
// a new object given to update()).
import * as crypto from 'node:crypto';
import type { KubeObject } from '../api/manifest';
import { AlreadyExistsError, NotFoundError, PodrunError } from '../errors';
import { kindInfo } from './kinds';
import { ObjectLog } from './object-log';
import { WatchHub, type Change, type ChangeFilter } from './watch-hub';

/** resourceVersions are reserved on disk this many at a time, so a restart never reuses one. */
const RESERVE = 1000;

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export function storeKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function keyOf(o: KubeObject): string {
  return storeKey(o.kind, kindInfo(o.kind)?.namespaced === false ? '' : (o.metadata?.namespace ?? 'default'), o.metadata?.name ?? '');
}

function rfc3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** What makes a new generation: anything but metadata and status. */
/** The API server's omitempty: an object released by its last owner has no ownerReferences, not []. */
function omitEmptyLists(metadata: NonNullable<KubeObject['metadata']>): void {
  if (metadata.ownerReferences?.length === 0) delete metadata.ownerReferences;
  if (metadata.finalizers?.length === 0) delete metadata.finalizers;
}

function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

/** The metadata the store owns, left out when comparing what a writer asked for. */
function userMeta(o: KubeObject): string {
  const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, deletionTimestamp: _d, managedFields: _f, ...meta } = o.metadata ?? {};
  return JSON.stringify(meta);
}

export function resourceVersionOf(o: KubeObject): number {
  return Number(o.metadata?.resourceVersion ?? 0);
}

export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private rv: number;
  private reserved: number;
  readonly hub: WatchHub;

  private constructor(
    private readonly log: ObjectLog | undefined,
    loaded: Map<string, KubeObject>,
    rv: number,
  ) {
    for (const [k, o] of loaded) this.objects.set(k, o);
    // Past every resourceVersion the previous process may have handed out.
    this.rv = rv;
    this.reserved = rv;
    this.hub = new WatchHub(rv);
  }

  /** The store of a state root, read from its log (`file`); in memory only without one. */
  static open(file?: string): Store {
    if (!file) return new Store(undefined, new Map(), 0);
    const { log, contents } = ObjectLog.open(file, keyOf);
    return new Store(log, contents.objects, contents.rv);
  }

  /** The current resourceVersion: that of the latest change. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** The next resourceVersion (also for what is published without being stored: events). */
  nextResourceVersion(): number {
    this.rv++;
    if (this.log && this.rv > this.reserved) {
      this.reserved = this.rv + RESERVE;
      this.log.append({ reserve: this.reserved });
    }
    return this.rv;
  }

  get<T = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(storeKey(kind, kindInfo(kind)?.namespaced === false ? '' : (namespace ?? 'default'), name)) as T | undefined;
  }

  /** Objects of a kind, optionally of one namespace, in name order. */
  list<T = KubeObject>(kind: string, namespace?: string): T[] {
    // Objects of cluster-scoped kinds are in every namespace's listing.
    const prefix = namespace === undefined || kindInfo(kind)?.namespaced === false ? `${kind}/` : `${kind}/${namespace}/`;
    const out: KubeObject[] = [];
    for (const [k, o] of this.objects) if (k.startsWith(prefix)) out.push(o);
    return out.sort((a, b) => keyOf(a).localeCompare(keyOf(b))) as T[];
  }

  /** Objects of every kind whose ownerReferences name `uid` (the garbage collector's question). */
  dependents(uid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.objects.values()) if ((o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)) out.push(o);
    return out;
  }

  private durable(kind: string): boolean {
    return !!this.log && kindInfo(kind)?.durable !== false;
  }

  private write(type: 'ADDED' | 'MODIFIED', obj: KubeObject): KubeObject {
    const rv = this.nextResourceVersion();
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.objects.set(keyOf(stored), stored);
    if (this.durable(stored.kind)) {
      this.log!.append({ rv, put: stored });
      this.maybeCompact();
    }
    this.hub.publish({ type, object: stored, rv });
    return stored;
  }

  private maybeCompact(): void {
    if (!this.log?.wantsCompaction) return;
    const durable = [...this.objects.values()].filter((o) => this.durable(o.kind));
    this.log.compact(durable, this.reserved, resourceVersionOf);
  }

  /** A new object: uid (unless it has one), creationTimestamp, generation 1. */
  create<T extends KubeObject>(obj: T): T {
    const ns = kindInfo(obj.kind)?.namespaced === false ? undefined : (obj.metadata?.namespace ?? 'default');
    const name = obj.metadata?.name ?? '';
    if (this.objects.has(keyOf(obj))) throw new AlreadyExistsError(kindInfo(obj.kind)?.plural ?? obj.kind.toLowerCase(), name);
    const metadata = {
      ...obj.metadata,
      ...(ns === undefined ? {} : { namespace: ns }),
      uid: obj.metadata?.uid ?? crypto.randomUUID(),
      // The server's, whatever the writer said (as the API server does).
      creationTimestamp: rfc3339(),
      generation: 1,
    };
    delete metadata.resourceVersion;
    delete metadata.deletionTimestamp;
    omitEmptyLists(metadata);
    // Status is the controllers' to write, never the creator's.
    const { status: _status, ...rest } = obj;
    return this.write('ADDED', { ...rest, metadata } as unknown as KubeObject) as T;
  }

  /**
   * Replaces an object. `metadata.uid` and, when given, `metadata.resourceVersion` must be those
   * of the stored one (a writer that read an older copy gets Conflict, as from the API server).
   * A new spec is a new generation; an object equal to the stored one changes nothing.
   */
  update<T extends KubeObject>(obj: T): T {
    const key = keyOf(obj);
    const old = this.objects.get(key);
    const name = obj.metadata?.name ?? '';
    const plural = kindInfo(obj.kind)?.plural ?? obj.kind.toLowerCase();
    if (!old) throw new NotFoundError(plural, name);
    if (obj.metadata?.uid && obj.metadata.uid !== old.metadata?.uid) throw new PodrunError('Conflict', `Operation cannot be fulfilled on ${plural} "${name}": the object has been replaced (uid ${old.metadata?.uid})`);
    if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== old.metadata?.resourceVersion) {
      throw new PodrunError('Conflict', `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const specChanged = specOf(obj) !== specOf(old);
    const metadata = {
      ...obj.metadata,
      namespace: old.metadata?.namespace,
      uid: old.metadata?.uid,
      creationTimestamp: old.metadata?.creationTimestamp,
      generation: (old.metadata?.generation ?? 1) + (specChanged ? 1 : 0),
      ...(old.metadata?.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp } : {}),
    };
    if (!metadata.namespace) delete metadata.namespace;
    omitEmptyLists(metadata);
    if (!specChanged && userMeta({ ...obj, metadata }) === userMeta(old) && JSON.stringify(obj.status) === JSON.stringify(old.status)) return old as T;
    // The last finalizer removed from an object being deleted: it goes.
    if (metadata.deletionTimestamp && !(metadata.finalizers ?? []).length) {
      this.remove(old);
      return { ...obj, metadata } as T;
    }
    return this.write('MODIFIED', { ...obj, metadata }) as T;
  }

  /** Writes only the status of an object (its spec and metadata stay). */
  updateStatus<T extends KubeObject>(kind: string, namespace: string | undefined, name: string, status: unknown): T {
    const old = this.get<KubeObject>(kind, namespace, name);
    if (!old) throw new NotFoundError(kindInfo(kind)?.plural ?? kind.toLowerCase(), name);
    if (JSON.stringify(old.status) === JSON.stringify(status)) return old as T;
    return this.write('MODIFIED', { ...old, status }) as T;
  }

  /** `kubectl apply`'s answer for an object: created, configured (changed) or unchanged. */
  apply<T extends KubeObject>(obj: T): { object: T; action: ApplyAction } {
    const old = this.objects.get(keyOf(obj));
    if (!old) return { object: this.create(obj), action: 'created' };
    // What the user wrote replaces what they wrote before; what the store and controllers own stays.
    const { resourceVersion: _rv, ...meta } = obj.metadata ?? {};
    const was = old.metadata ?? {};
    // Annotations the system writes (deployment.kubernetes.io/revision, ...) stay unless the user says.
    const system = Object.fromEntries(Object.entries(was.annotations ?? {}).filter(([k]) => k.includes('kubernetes.io/')));
    const annotations = { ...system, ...meta.annotations };
    const metadata = {
      ...meta,
      uid: was.uid,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(!meta.ownerReferences && was.ownerReferences ? { ownerReferences: was.ownerReferences } : {}),
      ...(!meta.finalizers && was.finalizers ? { finalizers: was.finalizers } : {}),
    };
    const merged = { ...obj, metadata, ...(old.status !== undefined ? { status: old.status } : {}) } as T;
    const object = this.update(merged);
    return { object, action: object === old ? 'unchanged' : 'configured' };
  }

  /**
   * Deletes an object. One with finalizers is only marked (deletionTimestamp, MODIFIED) and goes
   * when the last finalizer is removed. Returns the object as it was, or undefined when absent.
   */
  delete(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const old = this.get<KubeObject>(kind, namespace, name);
    if (!old) return undefined;
    if ((old.metadata?.finalizers ?? []).length) {
      if (!old.metadata?.deletionTimestamp) this.write('MODIFIED', { ...old, metadata: { ...old.metadata, deletionTimestamp: rfc3339() } });
      return old;
    }
    this.remove(old);
    return old;
  }

  private remove(old: KubeObject): void {
    const key = keyOf(old);
    this.objects.delete(key);
    const rv = this.nextResourceVersion();
    if (this.durable(old.kind)) {
      this.log!.append({ rv, del: key });
      this.maybeCompact();
    }
    this.hub.publish({ type: 'DELETED', object: { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } }, rv });
  }

  /**
   * Publishes an object another layer keeps (a pod, whose record is the kubelet's): stored as
   * given, ADDED the first time, MODIFIED when anything but its resourceVersion changed.
   */
  mirror<T extends KubeObject>(obj: T): T {
    const old = this.objects.get(keyOf(obj));
    if (old && old.metadata?.uid === obj.metadata?.uid) {
      const { resourceVersion: _a, ...was } = old.metadata ?? {};
      const { resourceVersion: _b, ...now } = obj.metadata ?? {};
      if (JSON.stringify(was) === JSON.stringify(now) && specOf(old) === specOf(obj) && JSON.stringify(old.status) === JSON.stringify(obj.status)) return old as T;
      return this.write('MODIFIED', obj) as T;
    }
    if (old) this.remove(old);
    return this.write('ADDED', obj) as T;
  }

  /** Publishes a change of something the store does not keep (an event), numbered in the same sequence. */
  publishVolatile(object: KubeObject): void {
    const rv = this.nextResourceVersion();
    this.hub.publish({ type: 'EVENT', object: { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } }, rv });
  }

  /** See WatchHub.subscribe. */
  watch(filter: ChangeFilter, fn: (c: Change) => void, since?: number): () => void {
    return this.hub.subscribe(filter, fn, since);
  }

  /** Removes every object of the given kinds (system reset); returns how many there were. */
  clear(kinds: string[]): number {
    let n = 0;
    for (const o of [...this.objects.values()]) {
      if (!kinds.includes(o.kind)) continue;
      this.remove(o);
      n++;
    }
    return n;
  }

  close(): void {
    this.log?.close();
  }
}
