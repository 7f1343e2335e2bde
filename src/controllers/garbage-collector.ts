// The garbage collector: what an object owns goes when it goes, as the propagation policy of
// its deletion says (`--cascade`). Background (the default): the owner goes at once, then its
// dependents with no other owner left. Foreground: the owner stays, marked and holding the
// `foregroundDeletion` finalizer, until its dependents are gone. Orphan: the dependents lose
// the owner's reference and stay (the `orphan` finalizer holds the owner until then).
import type { KubeObject } from '../api/manifest';
import type { Change } from '../store/watch-hub';
import type { ControllerContext } from './context';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export class GarbageCollector {
  private stop?: () => void;

  constructor(private readonly ctx: ControllerContext) {}

  start(): void {
    this.stop = this.ctx.store.watch((c) => c.type !== 'EVENT', (c) => this.changed(c));
    // Dependents whose owners went while no engine ran.
    const seen = new Set<string>();
    for (const kind of ['Pod', 'ReplicaSet', 'Job', 'ControllerRevision', 'PersistentVolumeClaim']) {
      for (const o of this.ctx.store.list<KubeObject>(kind)) for (const r of o.metadata?.ownerReferences ?? []) seen.add(`${o.metadata?.namespace ?? ''}/${r.kind}/${r.name}/${r.uid}`);
    }
    for (const k of seen) {
      const [ns, kind, name, uid] = k.split('/') as [string, string, string, string];
      const owner = this.ctx.store.get<KubeObject>(kind, ns || undefined, name);
      if (!owner || owner.metadata?.uid !== uid) this.ownerGone(uid);
    }
  }

  close(): void {
    this.stop?.();
  }

  /** Marks an object for deletion with a policy (Kubernetes' DeleteOptions.propagationPolicy). */
  delete(kind: string, namespace: string | undefined, name: string, policy: PropagationPolicy = 'Background'): KubeObject | undefined {
    const { store } = this.ctx;
    const o = store.get<KubeObject>(kind, namespace, name);
    if (!o) return undefined;
    if (policy !== 'Background' && store.dependents(o.metadata!.uid!).length > 0) {
      const finalizer = policy === 'Foreground' ? FOREGROUND : ORPHAN;
      const finalizers = [...new Set([...(o.metadata?.finalizers ?? []), finalizer])];
      store.update({ ...o, metadata: { ...o.metadata, finalizers } });
    }
    return store.delete(kind, namespace, name);
  }

  private changed(c: Change): void {
    const o = c.object;
    const uid = o.metadata?.uid;
    if (!uid) return;
    if (c.type === 'DELETED') {
      this.ownerGone(uid);
      // A dependent gone may be the last one a foreground deletion waited for.
      for (const r of o.metadata?.ownerReferences ?? []) this.finishForeground(o.metadata?.namespace, r.kind, r.name, r.uid);
      return;
    }
    const fin = o.metadata?.finalizers ?? [];
    if (!o.metadata?.deletionTimestamp) return;
    if (fin.includes(ORPHAN)) this.orphanDependents(o);
    if (fin.includes(FOREGROUND)) this.deleteDependents(o);
  }

  /** Every dependent of a gone owner: its reference dropped; deleted when no owner is left. */
  private ownerGone(uid: string): void {
    for (const d of this.ctx.store.dependents(uid)) {
      const rest = (d.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const alive = rest.filter((r) => this.ctx.store.get<KubeObject>(r.kind, d.metadata?.namespace, r.name)?.metadata?.uid === r.uid);
      if (alive.length > 0) this.setOwners(d, rest);
      else this.remove(d);
    }
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata!.uid!;
    for (const d of this.ctx.store.dependents(uid)) this.setOwners(d, (d.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid));
    this.dropFinalizer(owner, ORPHAN);
  }

  private deleteDependents(owner: KubeObject): void {
    const deps = this.ctx.store.dependents(owner.metadata!.uid!);
    for (const d of deps) if (!d.metadata?.deletionTimestamp) this.remove(d, 'Foreground');
    if (deps.length === 0) this.dropFinalizer(owner, FOREGROUND);
  }

  private finishForeground(namespace: string | undefined, kind: string, name: string, uid: string): void {
    const owner = this.ctx.store.get<KubeObject>(kind, namespace, name);
    if (!owner || owner.metadata?.uid !== uid || !owner.metadata?.deletionTimestamp) return;
    if (!(owner.metadata.finalizers ?? []).includes(FOREGROUND)) return;
    if (this.ctx.store.dependents(uid).length === 0) this.dropFinalizer(owner, FOREGROUND);
  }

  private dropFinalizer(o: KubeObject, finalizer: string): void {
    const cur = this.ctx.store.get<KubeObject>(o.kind, o.metadata?.namespace, o.metadata!.name!);
    if (!cur || cur.metadata?.uid !== o.metadata?.uid) return;
    this.ctx.store.update({ ...cur, metadata: { ...cur.metadata, finalizers: (cur.metadata?.finalizers ?? []).filter((f) => f !== finalizer) } });
  }

  private setOwners(d: KubeObject, ownerReferences: NonNullable<KubeObject['metadata']>['ownerReferences']): void {
    const ns = d.metadata!.namespace!;
    const name = d.metadata!.name!;
    if (d.kind === 'Pod') this.ctx.patchPodMeta(ns, name, { ownerReferences: ownerReferences ?? [] });
    else this.ctx.store.update({ ...d, metadata: { ...d.metadata, ownerReferences } });
  }

  private remove(d: KubeObject, policy: PropagationPolicy = 'Background'): void {
    if (d.kind === 'Pod') this.ctx.deletePod(d.metadata!.namespace!, d.metadata!.name!);
    else this.delete(d.kind, d.metadata?.namespace, d.metadata!.name!, policy);
  }
}
