// The Deployment controller: one ReplicaSet per template revision (labelled with the
// pod-template-hash), rolled out by the strategy — RollingUpdate within maxSurge and
// maxUnavailable, or Recreate — with revision annotations, revisionHistoryLimit, paused, and
// the Available and Progressing conditions with progressDeadlineSeconds. It writes ReplicaSets
// only; the ReplicaSet controller makes their pods.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import type { Controller, ControllerContext } from './context';
import { controllerOf, controllerRef, isControlledBy, selectingKeys } from './owners';
import { isActive } from './pod-state';
import { CHANGE_CAUSE, DESIRED_REPLICAS, fenceposts, MAX_REPLICAS, REVISION, REVISION_HISTORY, revisionOf, sameTemplate, TEMPLATE_HASH, templateHash } from './rollout-math';

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
type RS = ReplicaSet & KubeObject;
type D = Deployment & KubeObject;

const replicasOf = (rs: RS): number => rs.spec?.replicas ?? 0;
const sum = (list: RS[], f: (rs: RS) => number): number => list.reduce((a, rs) => a + f(rs), 0);
const created = (rs: RS): number => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;

export class DeploymentController implements Controller {
  readonly kind = 'Deployment';
  constructor(private readonly ctx: ControllerContext) {}

  claimants(obj: KubeObject): string[] {
    return obj.kind === 'ReplicaSet' ? selectingKeys(this.ctx.store, this.kind, obj) : [];
  }

  /** The ReplicaSets this Deployment controls, after adopting matching orphans and releasing the rest. */
  private claimReplicaSets(d: D): RS[] {
    const { store } = this.ctx;
    const out: RS[] = [];
    for (const rs of store.list<RS>('ReplicaSet', d.metadata!.namespace)) {
      const ref = controllerOf(rs);
      const matches = selectorMatches(d.spec?.selector, rs.metadata?.labels);
      if (ref?.uid === d.metadata?.uid) {
        if (matches) out.push(rs);
        else store.update({ ...rs, metadata: { ...rs.metadata, ownerReferences: (rs.metadata?.ownerReferences ?? []).filter((r) => r.uid !== d.metadata?.uid) } });
      } else if (!ref && matches && !d.metadata?.deletionTimestamp && !rs.metadata?.deletionTimestamp) {
        out.push(store.update({ ...rs, metadata: { ...rs.metadata, ownerReferences: [...(rs.metadata?.ownerReferences ?? []), controllerRef(d)] } }));
      }
    }
    return out;
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const d = this.ctx.store.get<D>('Deployment', namespace, name);
    if (!d || d.metadata?.deletionTimestamp) return;
    const all = this.claimReplicaSets(d);
    const found = all.filter((rs) => sameTemplate(rs.spec?.template, d.spec?.template)).sort((a, b) => created(a) - created(b))[0];
    const old = all.filter((rs) => rs !== found);
    const replicas = d.spec?.replicas ?? 1;
    if (d.spec?.paused) {
      // Paused: scaling still happens, a roll-out does not.
      const target = found ?? old.sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (target && old.filter((rs) => replicasOf(rs) > 0).length <= 1 && (!found || sum(old, replicasOf) === 0)) this.scaleRS(d, target, replicas);
      return this.syncStatus(d, found, old, false);
    }
    const newRS = this.ensureNewRS(d, found, old);
    let progressed = newRS !== found;
    if (d.spec?.strategy?.type === 'Recreate') {
      progressed = this.recreate(d, newRS, old) || progressed;
    } else {
      progressed = this.rollingUpdate(d, newRS, old) || progressed;
    }
    const done = (newRS.status?.availableReplicas ?? 0) >= replicas && replicasOf(newRS) === replicas && sum(old, replicasOf) === 0;
    if (done) this.cleanup(d, old);
    return this.syncStatus(d, newRS, old, progressed);
  }

  /** The ReplicaSet of the current template: found (its revision brought up to date), or made. */
  private ensureNewRS(d: D, found: RS | undefined, old: RS[]): RS {
    const { store } = this.ctx;
    const maxOld = Math.max(0, ...old.map(revisionOf));
    const revision = String(found && revisionOf(found) > maxOld ? revisionOf(found) : maxOld + 1);
    const replicas = d.spec?.replicas ?? 1;
    if (found) {
      const ann = { ...found.metadata?.annotations };
      if (ann[REVISION] !== revision) {
        // A template rolled back to: its old revision number goes to the history.
        if (ann[REVISION]) ann[REVISION_HISTORY] = [ann[REVISION_HISTORY], ann[REVISION]].filter(Boolean).join(',');
        ann[REVISION] = revision;
      }
      ann[DESIRED_REPLICAS] = String(replicas);
      ann[MAX_REPLICAS] = String(replicas + this.surge(d));
      if (d.metadata?.annotations?.[CHANGE_CAUSE]) ann[CHANGE_CAUSE] = d.metadata.annotations[CHANGE_CAUSE];
      const rs = JSON.stringify(ann) === JSON.stringify(found.metadata?.annotations) ? found : store.update({ ...found, metadata: { ...found.metadata, annotations: ann } });
      this.setRevision(d, revision);
      return rs;
    }
    const hash = templateHash(d.spec?.template);
    const template = structuredClone(d.spec!.template!);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [TEMPLATE_HASH]: hash } };
    const selector = { ...d.spec!.selector, matchLabels: { ...d.spec!.selector?.matchLabels, [TEMPLATE_HASH]: hash } };
    // A first roll-out (nothing old) starts at full size; a roll-out starts the new one at what the surge allows.
    const start = old.length === 0 || sum(old, replicasOf) === 0 ? replicas : this.newReplicas(d, 0, old);
    const rs: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        labels: template.metadata.labels,
        annotations: {
          [REVISION]: revision,
          [DESIRED_REPLICAS]: String(replicas),
          [MAX_REPLICAS]: String(replicas + this.surge(d)),
          ...(d.metadata?.annotations?.[CHANGE_CAUSE] ? { [CHANGE_CAUSE]: d.metadata.annotations[CHANGE_CAUSE] } : {}),
        },
        ownerReferences: [controllerRef(d)],
      },
      spec: { replicas: d.spec?.strategy?.type === 'Recreate' && sum(old, replicasOf) > 0 ? 0 : start, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const made = store.create(rs);
    this.ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${made.metadata!.name} from 0 to ${replicasOf(made)}`);
    this.setRevision(d, revision);
    return made;
  }

  private setRevision(d: D, revision: string): void {
    const cur = this.ctx.store.get<D>('Deployment', d.metadata!.namespace, d.metadata!.name!);
    if (!cur || cur.metadata?.annotations?.[REVISION] === revision) return;
    this.ctx.store.update({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata?.annotations, [REVISION]: revision } } });
  }

  private surge(d: D): number {
    if (d.spec?.strategy?.type === 'Recreate') return 0;
    const ru = d.spec?.strategy?.rollingUpdate;
    return fenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec?.replicas ?? 1).surge;
  }

  /** How big the new ReplicaSet may be now (NewRSNewReplicas). */
  private newReplicas(d: D, current: number, old: RS[]): number {
    const replicas = d.spec?.replicas ?? 1;
    const total = current + sum(old, replicasOf);
    const maxTotal = replicas + this.surge(d);
    if (total >= maxTotal) return current;
    return current + Math.min(maxTotal - total, Math.max(0, replicas - current));
  }

  private scaleRS(d: D, rs: RS, to: number): RS {
    const from = replicasOf(rs);
    if (from === to) return rs;
    const updated = this.ctx.store.update({ ...rs, spec: { ...rs.spec!, replicas: to } });
    this.ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata!.name} from ${from} to ${to}`);
    return updated;
  }

  /** Recreate: every old pod gone first, then the new ReplicaSet at full size. */
  private recreate(d: D, newRS: RS, old: RS[]): boolean {
    let changed = false;
    for (const rs of old) if (replicasOf(rs) > 0) changed = !!this.scaleRS(d, rs, 0) || changed;
    const pods = this.ctx.store.list<Pod>('Pod', d.metadata!.namespace);
    const oldRunning = pods.some((p) => old.some((rs) => isControlledBy(p as unknown as KubeObject, rs)) && (isActive(p) || p.metadata?.deletionTimestamp));
    if (oldRunning) return changed;
    const replicas = d.spec?.replicas ?? 1;
    if (replicasOf(newRS) !== replicas) {
      this.scaleRS(d, newRS, replicas);
      return true;
    }
    return changed;
  }

  /** RollingUpdate: the new ReplicaSet up within maxSurge, the old ones down within maxUnavailable. */
  private rollingUpdate(d: D, newRS: RS, old: RS[]): boolean {
    const replicas = d.spec?.replicas ?? 1;
    let changed = false;
    // Scaling the Deployment (not its template) with one active ReplicaSet: that one follows.
    const activeOld = old.filter((rs) => replicasOf(rs) > 0);
    if (activeOld.length === 0) {
      if (replicasOf(newRS) !== replicas) {
        this.scaleRS(d, newRS, replicas);
        return true;
      }
      return false;
    }
    const want = this.newReplicas(d, replicasOf(newRS), old);
    if (want > replicasOf(newRS)) {
      newRS = this.scaleRS(d, newRS, want);
      changed = true;
    }
    const ru = d.spec?.strategy?.rollingUpdate;
    const { unavailable } = fenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
    const minAvailable = replicas - unavailable;
    const allPods = replicasOf(newRS) + sum(old, replicasOf);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    let maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return changed;
    // First the old ReplicaSets' unavailable pods: they serve nobody.
    for (const rs of [...activeOld].sort((a, b) => created(a) - created(b))) {
      if (maxScaledDown <= 0) break;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(unhealthy, maxScaledDown);
      this.scaleRS(d, rs, replicasOf(rs) - down);
      maxScaledDown -= down;
      changed = true;
    }
    // Then available old pods, as far as minAvailable allows.
    const fresh = old.map((rs) => this.ctx.store.get<RS>('ReplicaSet', rs.metadata!.namespace, rs.metadata!.name!) ?? rs);
    const available = (newRS.status?.availableReplicas ?? 0) + sum(fresh, (rs) => Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs)));
    let total = Math.min(available - minAvailable, maxScaledDown);
    for (const rs of fresh.filter((r) => replicasOf(r) > 0).sort((a, b) => created(a) - created(b))) {
      if (total <= 0) break;
      const down = Math.min(replicasOf(rs), total);
      this.scaleRS(d, rs, replicasOf(rs) - down);
      total -= down;
      changed = true;
    }
    return changed;
  }

  /** Old ReplicaSets of no size beyond revisionHistoryLimit go, oldest first. */
  private cleanup(d: D, old: RS[]): void {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.ctx.store.delete('ReplicaSet', rs.metadata!.namespace, rs.metadata!.name!);
  }

  /** The status from the ReplicaSets, and the conditions; returns when the progress deadline falls. */
  private syncStatus(d0: D, newRS: RS | undefined, old: RS[], progressed: boolean): number | void {
    const { store } = this.ctx;
    const d = store.get<D>('Deployment', d0.metadata!.namespace, d0.metadata!.name!);
    if (!d) return;
    const fresh = (rs: RS): RS => store.get<RS>('ReplicaSet', rs.metadata!.namespace, rs.metadata!.name!) ?? rs;
    const all = [...(newRS ? [fresh(newRS)] : []), ...old.map(fresh)];
    const replicas = d.spec?.replicas ?? 1;
    const st = (f: (s: NonNullable<RS['status']>) => number | undefined) => sum(all, (rs) => f(rs.status ?? { replicas: 0 }) ?? 0);
    const available = st((s) => s.availableReplicas);
    const updated = newRS ? (fresh(newRS).status?.replicas ?? 0) : 0;
    const prev = (d.status ?? {}) as DeploymentStatus;
    const conditions = new Map((prev.conditions ?? []).map((c) => [c.type, c]));
    const t = now();
    const set = (c: Omit<DeploymentCondition, 'lastTransitionTime' | 'lastUpdateTime'>, touch: boolean): void => {
      const was = conditions.get(c.type);
      const same = was && was.status === c.status && was.reason === c.reason;
      conditions.set(c.type, { ...c, lastUpdateTime: same && !touch ? (was.lastUpdateTime ?? t) : t, lastTransitionTime: was && was.status === c.status ? (was.lastTransitionTime ?? t) : t });
    };
    const ru = d.spec?.strategy?.rollingUpdate;
    const minAvailable = d.spec?.strategy?.type === 'Recreate' ? 0 : replicas - fenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas).unavailable;
    if (available >= minAvailable) set({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, false);
    else set({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, false);
    const rsName = newRS?.metadata?.name ?? '';
    const total = st((s) => s.replicas);
    const complete = !!newRS && updated === replicas && available >= replicas && total === replicas && replicasOf(fresh(newRS)) === replicas;
    let wake: number | undefined;
    const deadline = d.spec?.progressDeadlineSeconds;
    if (d.spec?.paused) {
      set({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, false);
    } else if (complete) {
      set({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, conditions.get('Progressing')?.reason !== 'NewReplicaSetAvailable');
    } else {
      const was = conditions.get('Progressing');
      const stuck = was?.reason === 'ProgressDeadlineExceeded';
      const moved = progressed || updated !== (prev.updatedReplicas ?? 0) || available !== (prev.availableReplicas ?? 0) || was?.reason === 'DeploymentResumed' || !was || was.reason === 'DeploymentPaused';
      if (moved || !stuck) {
        const since = moved ? Date.now() : Date.parse(was?.lastUpdateTime ?? '') || Date.now();
        if (deadline !== undefined && !moved && Date.now() - since >= deadline * 1000) {
          set({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, false);
          this.ctx.event(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata!.name}" has timed out progressing`);
        } else {
          set({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, moved);
          if (deadline !== undefined) wake = Math.max(0, since + deadline * 1000 - Date.now()) + 1;
        }
      }
    }
    const status: DeploymentStatus = {
      observedGeneration: d.metadata?.generation ?? 1,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: st((s) => s.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      conditions: [...conditions.values()].sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0)),
      ...(prev.collisionCount ? { collisionCount: prev.collisionCount } : {}),
    };
    // Counts omitted when zero, as the API server's JSON leaves them out.
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) if (!status[k]) delete status[k];
    store.updateStatus('Deployment', d.metadata!.namespace, d.metadata!.name!, status);
    return wake;
  }
}
