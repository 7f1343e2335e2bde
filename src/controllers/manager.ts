// Runs the controllers over the store, as the kube-controller-manager runs them over its
// informers: every change is looked at once, in the turn it is published, and turned into the
// keys to reconcile — the object's own controller; the controller of its owner (a pod's
// ReplicaSet, a ReplicaSet's Deployment); for an orphan, the controllers whose selector claims
// it. Each controller has a work queue; a failed reconcile is tried again after a back-off
// (5 ms doubling to 1000 s, client-go's default), a successful one may ask for a later look.
import type { KubeObject } from '../api/manifest';
import type { Change } from '../store/watch-hub';
import type { Controller, ControllerContext } from './context';
import { controllerOf } from './owners';
import { WorkQueue } from './work-queue';

const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1000 * 1000;

/** What about an object its own controller must see: anything but the status it writes itself. */
function shapeOf(o: KubeObject): string {
  const { resourceVersion: _r, managedFields: _m, ...meta } = o.metadata ?? {};
  const { status: _s, ...rest } = o;
  return JSON.stringify({ ...rest, metadata: meta });
}

export class ControllerManager {
  private readonly controllers = new Map<string, { c: Controller; q: WorkQueue; failures: Map<string, number> }>();
  private stop?: () => void;

  constructor(
    private readonly ctx: ControllerContext,
    controllers: Controller[],
  ) {
    for (const c of controllers) {
      const failures = new Map<string, number>();
      const q: WorkQueue = new WorkQueue(
        async (key) => {
          const slash = key.indexOf('/');
          const after = await c.reconcile(key.slice(0, slash), key.slice(slash + 1));
          failures.delete(key);
          if (typeof after === 'number' && Number.isFinite(after)) q.after(key, after);
        },
        (key, e) => {
          const n = (failures.get(key) ?? 0) + 1;
          failures.set(key, n);
          ctx.log(`${c.kind} ${key}: ${(e as Error).message}`);
          q.after(key, Math.min(BACKOFF_BASE_MS * 2 ** (n - 1), BACKOFF_MAX_MS));
        },
      );
      this.controllers.set(c.kind, { c, q, failures });
    }
  }

  /** Starts watching, and looks at every object of the controllers' kinds once (a full resync). */
  start(): void {
    this.stop = this.ctx.store.watch(() => true, (c) => this.changed(c));
    for (const { c, q } of this.controllers.values()) {
      for (const o of this.ctx.store.list<KubeObject>(c.kind)) q.add(`${o.metadata!.namespace ?? ''}/${o.metadata!.name}`);
    }
  }

  private enqueue(kind: string, namespace: string | undefined, name: string): void {
    this.controllers.get(kind)?.q.add(`${namespace ?? ''}/${name}`);
  }

  private changed(ch: Change): void {
    if (ch.type === 'EVENT') return;
    const o = ch.object;
    const ns = o.metadata?.namespace;
    const own = this.controllers.get(o.kind);
    if (own) {
      // Its own status written: nothing new for it (its owner may care, below).
      const prev = ch.type === 'MODIFIED' ? this.previous.get(o.metadata!.uid!) : undefined;
      if (!prev || prev !== shapeOf(o) || ch.type !== 'MODIFIED') own.q.add(`${ns ?? ''}/${o.metadata!.name}`);
      if (ch.type === 'DELETED') this.previous.delete(o.metadata!.uid!);
      else this.previous.set(o.metadata!.uid!, shapeOf(o));
    }
    for (const { c, q } of this.controllers.values()) for (const key of c.related?.(o) ?? []) q.add(key);
    const ref = controllerOf(o);
    if (ref) this.enqueue(ref.kind, ns, ref.name);
    else if (ch.type !== 'DELETED') {
      for (const { c, q } of this.controllers.values()) for (const key of c.claimants?.(o) ?? []) q.add(key);
    }
  }

  /** The shape each controlled object had when last seen (see shapeOf), by uid. */
  private readonly previous = new Map<string, string>();

  /** Resolves when no controller has work queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...this.controllers.values()].map(({ q }) => q.idle()));
      if ([...this.controllers.values()].every(({ q }) => q.isIdle)) return;
    }
  }

  close(): void {
    this.stop?.();
    for (const { q } of this.controllers.values()) q.stop();
  }
}
