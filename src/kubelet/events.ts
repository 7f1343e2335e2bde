// Events about pods, recorded the way the kubelet records them (client-go's record.EventRecorder):
// core/v1 Event objects whose involvedObject is the pod, optionally one of its containers
// (fieldPath `spec.containers{web}`). An event identical to one already recorded (same object,
// source, type, reason and message) is folded into it: its count grows and its lastTimestamp
// moves, as client-go's EventCorrelator does, so a crash loop reads `BackOff (x12 over 3m)` and
// not as twelve lines. Events are kept in memory for listing and watching, and in the pod's
// folder (events.jsonl: each recorded or folded event appended as a line, the last line of an
// event winning) so that a new engine process shows the same history.
// They go with the pod: deleting it removes its folder and, through forget(), its events.
// Events about other objects (a ReplicaSet's SuccessfulCreate, a Deployment's scaling) are kept
// the same way in one log of the state root (object-events.jsonl), read again by a new engine
// for the objects still there (same uid); an object's events go with it (forget(), and the
// log's next compaction).
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Event } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { appendRecord, readRecords } from '../state/record-log';

export type EventType = 'Normal' | 'Warning';

/** The file in a pod's folder that holds its events: one line per change, oldest first. */
export const EVENTS_FILE = 'events.jsonl';
/** The log of the state root that holds the events of objects other than pods. */
export const OBJECT_EVENTS_FILE = 'object-events.jsonl';
/** That log is compacted past this size (it holds the events of every object of the root). */
export const OBJECT_EVENTS_LOG_LIMIT = 2 * 1024 * 1024;
/** Events kept per pod; the oldest go first (the API server's TTL does this job in a cluster). */
export const MAX_EVENTS_PER_POD = 200;
/** The events log is compacted past this size: a few times what MAX_EVENTS_PER_POD events take. */
export const EVENTS_LOG_LIMIT = 512 * 1024;

/** What an event is about: a pod (kind absent or Pod), or any other object. */
export interface EventSubject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface EventRecorderOptions {
  /** The folder of a pod, where its events file lives. */
  dirOf(pod: EventSubject): string;
  /** The log of other objects' events (OBJECT_EVENTS_FILE in the state root); none: kept in memory only. */
  objectEventsFile?: string;
  /** source.host and reportingInstance; default os.hostname(). */
  host?: string;
  /** The clock (tests pass their own). */
  now?(): Date;
  /** Where a failed write is reported; the event stays in memory. */
  log?(message: string): void;
}

export interface RecordOptions {
  /**
   * The reporter: `kubelet` (default), or `default-scheduler` for Scheduled, which in a cluster
   * comes from the scheduler and which kubectl shows in its From column.
   */
  component?: string;
}

interface PodEvents {
  /** The pod's folder; none for other objects. */
  dir?: string;
  /** Ordered by last change, oldest first: the order in which the cap drops them. */
  events: Event[];
}

/** metav1.Time: RFC 3339 in whole seconds, as the API serialises event timestamps. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The key under which a pod's events are kept: `namespace/name`, as PodWorker.key. */
export function podKeyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

const isPod = (o: EventSubject): boolean => !o.kind || o.kind === 'Pod';

/** The key of an object's events: podKeyOf for pods, `Kind:namespace/name` for the rest. */
export function subjectKeyOf(o: EventSubject): string {
  const key = podKeyOf(o.metadata?.namespace, o.metadata?.name);
  return isPod(o) ? key : `${o.kind}:${key}`;
}

/**
 * The fieldPath the kubelet gives a container's events (GenerateContainerRef), from podrun's
 * field of the container: `spec.containers[0]` of `web` -> `spec.containers{web}`.
 */
export function containerFieldPath(field: string, name: string): string {
  return `${field.replace(/\[\d+\]$/, '')}{${name}}`;
}

/** What makes two events the same event (client-go's getEventKey). */
function identity(e: Event): string {
  const o = e.involvedObject;
  return JSON.stringify([e.source?.component, e.source?.host, o.apiVersion, o.kind, o.namespace, o.name, o.uid, o.fieldPath ?? '', e.type, e.reason, e.message]);
}

const lastSeen = (e: Event): number => Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? '') || 0;

export class EventRecorder {
  private readonly pods = new Map<string, PodEvents>();
  /** Order of last change across all pods, to break ties between equal (whole-second) timestamps. */
  private readonly order = new Map<string, number>();
  private seq = 0;
  private readonly emitter = new EventEmitter();
  private readonly host: string;
  private readonly now: () => Date;
  private readonly log: (message: string) => void;

  constructor(private readonly opts: EventRecorderOptions) {
    this.host = opts.host ?? os.hostname();
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? (() => undefined);
    // Watchers are few (one per `get -w`), but a program may hold many; no leak warning for them.
    this.emitter.setMaxListeners(0);
  }

  /** Calls `listener` with every event recorded or updated from now on (a copy of it). */
  on(name: 'event', listener: (e: Event) => void): this {
    this.emitter.on(name, listener);
    return this;
  }

  off(name: 'event', listener: (e: Event) => void): this {
    this.emitter.off(name, listener);
    return this;
  }

  /**
   * Records that something happened to a pod, or to one of its containers when `fieldPath` is
   * given (`spec.containers{web}`, `spec.initContainers{setup}`). Never throws: events are
   * informative, and a failed write must not fail the pod's work.
   */
  record(pod: EventSubject, type: EventType, reason: string, message: string, fieldPath?: string, opts: RecordOptions = {}): void {
    const key = subjectKeyOf(pod);
    let entry = this.pods.get(key);
    if (!entry) {
      entry = { ...(isPod(pod) ? { dir: this.opts.dirOf(pod) } : {}), events: [] };
      this.pods.set(key, entry);
    }
    const when = this.now();
    const ts = rfc3339(when);
    const component = opts.component ?? 'kubelet';
    const candidate = this.make(pod, type, reason, message, fieldPath, component, when);
    const same = identity(candidate);
    const i = entry.events.findIndex((e) => identity(e) === same);
    let event: Event;
    if (i >= 0) {
      event = entry.events[i]!;
      entry.events.splice(i, 1);
      event.count = (event.count ?? 1) + 1;
      event.lastTimestamp = ts;
    } else {
      event = candidate;
    }
    entry.events.push(event);
    this.order.set(event.metadata.uid!, ++this.seq);
    while (entry.events.length > MAX_EVENTS_PER_POD) this.order.delete(entry.events.shift()!.metadata.uid!);
    this.persist(key, entry, event);
    this.emitter.emit('event', structuredClone(event));
  }

  private make(pod: EventSubject, type: EventType, reason: string, message: string, fieldPath: string | undefined, component: string, when: Date): Event {
    const meta = pod.metadata ?? {};
    const ts = rfc3339(when);
    // client-go names an event after its object and the time in nanoseconds, in hex; the
    // sequence number keeps two events of the same millisecond apart.
    const nanos = BigInt(when.getTime()) * 1_000_000n + BigInt(this.seq % 1_000_000);
    const scheduler = component !== 'kubelet';
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${nanos.toString(16).padStart(16, '0')}`, namespace: meta.namespace ?? 'default', uid: crypto.randomUUID(), creationTimestamp: ts },
      involvedObject: { apiVersion: pod.apiVersion ?? 'v1', kind: pod.kind ?? 'Pod', name: meta.name, namespace: meta.namespace ?? 'default', uid: meta.uid, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      // The scheduler reports through events.k8s.io, which leaves the host out of source.
      source: scheduler ? { component } : { component, host: this.host },
      reportingComponent: component,
      reportingInstance: scheduler ? `${component}-${this.host}` : this.host,
    };
  }

  private persist(key: string, entry: PodEvents, event: Event): void {
    if (!entry.dir) {
      this.persistObjectEvent(key, event);
      return;
    }
    const dir = entry.dir;
    try {
      appendRecord(path.join(dir, EVENTS_FILE), event, () => entry.events, EVENTS_LOG_LIMIT);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        // The pod's folder is gone: the pod was deleted, and its events go with it.
        this.forget(key);
        return;
      }
      this.log(`events of pod ${key}: ${(e as Error).message}`);
    }
  }

  private persistObjectEvent(key: string, event: Event): void {
    const file = this.opts.objectEventsFile;
    if (!file) return;
    // Compacted to the events in memory: those of deleted objects are not written again.
    const all = () => [...this.pods.values()].filter((x) => !x.dir).flatMap((x) => x.events);
    try {
      appendRecord(file, event, all, OBJECT_EVENTS_LOG_LIMIT);
    } catch (e) {
      this.log(`events of ${key}: ${(e as Error).message}`);
    }
  }

  /** Reads the events a previous engine kept in a pod's folder; a missing or unreadable file is no history. */
  load(podDir: string): void {
    // A later line of an event (folded: count, lastTimestamp) replaces the earlier and moves it
    // to the end, as record() did; Map keeps that order.
    const byUid = new Map<string, Event>();
    for (const r of readRecords(path.join(podDir, EVENTS_FILE))) {
      const e = r as Event;
      if (!e || typeof e !== 'object' || !e.involvedObject || !e.metadata?.uid) continue;
      byUid.delete(e.metadata.uid);
      byUid.set(e.metadata.uid, e);
    }
    const events = [...byUid.values()].slice(-MAX_EVENTS_PER_POD);
    if (events.length === 0) return;
    const o = events[events.length - 1]!.involvedObject;
    const key = podKeyOf(o.namespace, o.name);
    for (const e of events) this.order.set(e.metadata.uid!, ++this.seq);
    this.pods.set(key, { dir: podDir, events });
  }

  /**
   * Reads the events a previous engine kept of objects other than pods, keeping those whose
   * object `exists` (by kind, namespace, name and uid: a namesake made later has none of them).
   */
  loadObjectEvents(exists: (o: Event['involvedObject']) => boolean): void {
    const file = this.opts.objectEventsFile;
    if (!file) return;
    const byUid = new Map<string, Event>();
    for (const r of readRecords(file)) {
      const e = r as Event;
      if (!e || typeof e !== 'object' || !e.involvedObject || !e.metadata?.uid) continue;
      byUid.delete(e.metadata.uid);
      byUid.set(e.metadata.uid, e);
    }
    for (const e of byUid.values()) {
      if (!exists(e.involvedObject)) continue;
      const key = subjectKeyOf({ kind: e.involvedObject.kind, metadata: { namespace: e.involvedObject.namespace, name: e.involvedObject.name } });
      let entry = this.pods.get(key);
      if (!entry) this.pods.set(key, (entry = { events: [] }));
      entry.events.push(e);
      this.order.set(e.metadata.uid!, ++this.seq);
      if (entry.events.length > MAX_EVENTS_PER_POD) this.order.delete(entry.events.shift()!.metadata.uid!);
    }
  }

  /** Events, oldest change first, optionally of one namespace and one pod name. Copies. */
  list(namespace?: string, podName?: string, kind = 'Pod'): Event[] {
    const out: Event[] = [];
    for (const entry of this.pods.values()) {
      for (const e of entry.events) {
        if (namespace !== undefined && e.involvedObject.namespace !== namespace) continue;
        if (podName !== undefined && (e.involvedObject.name !== podName || e.involvedObject.kind !== kind)) continue;
        out.push(e);
      }
    }
    const rank = (e: Event): number => this.order.get(e.metadata.uid!) ?? 0;
    return out.sort((a, b) => lastSeen(a) - lastSeen(b) || rank(a) - rank(b)).map((e) => structuredClone(e));
  }

  /** Drops a pod's events from memory (`namespace/name`); its folder, and file, go with the pod. */
  forget(podKey: string): void {
    const entry = this.pods.get(podKey);
    if (!entry) return;
    for (const e of entry.events) this.order.delete(e.metadata.uid!);
    this.pods.delete(podKey);
  }
}
