// `kubectl rollout` on Deployments, DaemonSets and StatefulSets: history (a Deployment's from
// its ReplicaSets' revision annotations, a set's from its ControllerRevisions), undo to a
// revision's template, restart (a new template annotation), status (waiting until the roll-out
// is done, through the watch, in the words of kubectl's status viewers); pause and resume of
// Deployments.
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { ControllerRevision } from './controllers/controller-revisions';
import type { KubeObject } from './api/manifest';
import { PodrunError } from './errors';
import { CHANGE_CAUSE, REVISION, REVISION_HISTORY, revisionOf, sameTemplate, withoutHash } from './controllers/rollout-math';

type D = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;
type DS = DaemonSet & KubeObject;
type STS = StatefulSet & KubeObject;

/** The kinds `rollout status` and `rollout restart` take. */
export const ROLLOUT_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

/** What rollout needs of the API (Podrun gives it). */
export interface RolloutClient {
  get<T>(kind: string, name: string, opts: { namespace?: string }): Promise<T>;
  list<T>(kind: string, opts: { namespace?: string }): Promise<T[]>;
  update<T extends KubeObject>(obj: T): Promise<T>;
}

export interface Revision {
  revision: number;
  changeCause?: string;
  /** The pod template of this revision (without the pod-template-hash label). */
  template?: PodTemplateSpec;
  /** A Deployment's revision: its ReplicaSet. */
  replicaSet?: RS;
}

/** The revisions of a Deployment (one per ReplicaSet it controls) or of a set (its ControllerRevisions), oldest first. */
export async function rolloutHistory(api: RolloutClient, name: string, namespace = 'default', kind: RolloutKind = 'Deployment'): Promise<Revision[]> {
  const o = await api.get<KubeObject>(kind, name, { namespace });
  const ownedBy = (x: KubeObject) => (x.metadata?.ownerReferences ?? []).some((r) => r.uid === o.metadata?.uid && r.controller);
  if (kind !== 'Deployment') {
    return (await api.list<ControllerRevision>('ControllerRevision', { namespace }))
      .filter(ownedBy)
      .map((c) => ({ revision: c.revision ?? 0, changeCause: c.metadata?.annotations?.[CHANGE_CAUSE], template: c.data?.spec?.template }))
      .sort((a, b) => a.revision - b.revision);
  }
  return (await api.list<RS>('ReplicaSet', { namespace }))
    .filter(ownedBy)
    .map((rs) => ({ revision: revisionOf(rs), changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE], template: withoutHash(rs.spec?.template), replicaSet: rs }))
    .filter((r) => r.revision > 0)
    .sort((a, b) => a.revision - b.revision);
}

/**
 * Rolls back to `toRevision` (0 or absent: the one before the current). Returns what kubectl
 * prints: `rolled back`, or `skipped rollback (current template already matches revision N)`.
 */
export async function rolloutUndo(api: RolloutClient, name: string, opts: { namespace?: string; toRevision?: number; kind?: RolloutKind } = {}): Promise<string> {
  const namespace = opts.namespace ?? 'default';
  const kind = opts.kind ?? 'Deployment';
  const o = await api.get<D | DS | STS>(kind, name, { namespace });
  if (kind === 'Deployment' && (o as D).spec?.paused) throw new PodrunError('Conflict', `you cannot rollback a paused deployment; resume it first with 'podrun rollout resume deployment/${name}' and try again`);
  const history = await rolloutHistory(api, name, namespace, kind);
  const spec = o.spec as NonNullable<D['spec']>;
  // The current revision: a Deployment's annotation; a set's, the revision of its template.
  const current = kind === 'Deployment' ? revisionOf(o as D) : history.find((r) => sameTemplate(r.template, spec.template))?.revision;
  let target: Revision | undefined;
  if (opts.toRevision) {
    target = history.find((r) => r.revision === opts.toRevision || (r.replicaSet?.metadata?.annotations?.[REVISION_HISTORY] ?? '').split(',').includes(String(opts.toRevision)));
    if (!target) throw new PodrunError('NotFound', `unable to find specified revision ${opts.toRevision} in history`);
  } else {
    target = history.filter((r) => r.revision !== current).pop();
    if (!target) throw new PodrunError('NotFound', `no rollout history found for ${kind.toLowerCase()} ${JSON.stringify(name)}`);
  }
  if (sameTemplate(target.template, spec.template)) return `skipped rollback (current template already matches revision ${target.revision})`;
  await api.update({ ...o, spec: { ...spec, template: structuredClone(target.template!) } } as KubeObject);
  return 'rolled back';
}

/** A new template annotation, so every pod is replaced by the roll-out (`kubectl rollout restart`). */
export async function rolloutRestart(api: RolloutClient, name: string, namespace = 'default', kind: RolloutKind = 'Deployment'): Promise<void> {
  const o = await api.get<D | DS | STS>(kind, name, { namespace });
  if (o.kind === 'Deployment' && (o as D).spec?.paused) throw new PodrunError('Conflict', `deployments.apps "${name}" can't restart paused deployment (run rollout resume first)`);
  const spec = o.spec as NonNullable<D['spec']>;
  const t = spec.template;
  const annotations = { ...t.metadata?.annotations, 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() };
  await api.update({ ...o, spec: { ...spec, template: { ...t, metadata: { ...t.metadata, annotations } } } } as KubeObject);
}

/** Pauses or resumes; false when it already was. */
export async function rolloutPause(api: RolloutClient, name: string, paused: boolean, namespace = 'default'): Promise<boolean> {
  const d = await api.get<D>('Deployment', name, { namespace });
  if (!!d.spec?.paused === paused) return false;
  await api.update({ ...d, spec: { ...d.spec!, paused } });
  return true;
}

/**
 * Where a roll-out stands, in kubectl's words (`rollout status`): done, or the line to print
 * while waiting. Throws when it cannot be watched (a progress deadline passed, an OnDelete strategy).
 */
export function rolloutState(o: KubeObject): { done: boolean; message: string } {
  if (o.kind === 'DaemonSet') return daemonSetState(o as DS);
  if (o.kind === 'StatefulSet') return statefulSetState(o as STS);
  return deploymentState(o as D);
}

function deploymentState(d: D): { done: boolean; message: string } {
  const name = d.metadata?.name ?? '';
  const spec = d.spec;
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new PodrunError('Timeout', `deployment "${name}" exceeded its progress deadline`);
  const replicas = spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  if (updated < replicas) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
  if ((st.replicas ?? 0) > updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...` };
  if ((st.availableReplicas ?? 0) < updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

function daemonSetState(ds: DS): { done: boolean; message: string } {
  const name = ds.metadata?.name ?? '';
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') throw new PodrunError('Invalid', 'rollout status is only available for RollingUpdate strategy type');
  const st = ds.status;
  if (!st || (ds.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
  const desired = st.desiredNumberScheduled ?? 0;
  if ((st.updatedNumberScheduled ?? 0) < desired) return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...` };
  if ((st.numberAvailable ?? 0) < desired) return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${desired} updated pods are available...` };
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}

function statefulSetState(sts: STS): { done: boolean; message: string } {
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') throw new PodrunError('Invalid', 'rollout status is only available for RollingUpdate strategy type');
  const st = sts.status;
  if (!st?.observedGeneration || (sts.metadata?.generation ?? 0) > st.observedGeneration) return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = sts.spec?.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < replicas) return { done: false, message: `Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...` };
  // With rollingUpdate given (the API server defaults its partition to 0), kubectl counts
  // updated pods against the partition and calls it a partitioned roll-out either way.
  const rolling = strategy?.rollingUpdate;
  if (rolling) {
    const want = replicas - (rolling.partition ?? 0);
    if (rolling.partition !== undefined && (st.updatedReplicas ?? 0) < want) return { done: false, message: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${want} new pods have been updated...` };
    return { done: true, message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (st.updateRevision !== st.currentRevision) return { done: false, message: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...` };
  return { done: true, message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...` };
}

export { REVISION };
