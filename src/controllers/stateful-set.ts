// The StatefulSet controller: pods <name>-<ordinal> with stable hostnames (in the governing
// service's subdomain) and one claim per volumeClaimTemplate and ordinal (<template>-<name>-<i>),
// made in order, each Running and Ready before the next (OrderedReady), or all at once
// (Parallel); removed highest ordinal first; updated by RollingUpdate from the highest ordinal
// down to `partition` (maxUnavailable at a time), or only when deleted (OnDelete). Claims stay
// unless persistentVolumeClaimRetentionPolicy says Delete (on the set's deletion, or on scale-down).
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import { AlreadyExistsError } from '../errors';
import type { Controller, ControllerContext } from './context';
import { controllerRef, selectingKeys } from './owners';
import { pruneRevisions, recordRevision, REVISION_HASH } from './controller-revisions';
import { countAvailable, isReady } from './pod-state';
import { claimPods, podFromTemplate } from './replica-set';
import { scaledValue, templateHash } from './rollout-math';

type STS = StatefulSet & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;

export const POD_NAME = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX = 'apps.kubernetes.io/pod-index';

const runningReady = (p: Pod) => p.status?.phase === 'Running' && isReady(p) && !p.metadata?.deletionTimestamp;
const finished = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

export class StatefulSetController implements Controller {
  readonly kind = 'StatefulSet';
  constructor(private readonly ctx: ControllerContext) {}

  claimants(obj: KubeObject): string[] {
    return obj.kind === 'Pod' ? selectingKeys(this.ctx.store, this.kind, obj) : [];
  }

  private ordinal(sts: STS, p: Pod): number | undefined {
    const m = new RegExp(`^${sts.metadata!.name!.replace(/[.]/g, '\\.')}-(\\d+)$`).exec(p.metadata?.name ?? '');
    return m ? Number(m[1]) : undefined;
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const sts = store.get<STS>('StatefulSet', namespace, name);
    if (!sts || sts.metadata?.deletionTimestamp) return;
    const spec = sts.spec!;
    const hash = templateHash(spec.template);
    const updateRevision = `${name}-${hash}`;
    const currentRevision = sts.status?.currentRevision ?? updateRevision;
    // The current template's revision: what a later partitioned pod is made from, and `rollout undo` goes back to.
    recordRevision(store, sts, updateRevision, hash, spec.template);
    const owned = claimPods(this.ctx, sts, store.list<Pod>('Pod', namespace), (l) => selectorMatches(spec.selector, l)).filter((p) => this.ordinal(sts, p) !== undefined);
    const byOrdinal = new Map(owned.map((p) => [this.ordinal(sts, p)!, p]));
    const start = spec.ordinals?.start ?? 0;
    const replicas = spec.replicas ?? 1;
    const end = start + replicas;
    const ordered = spec.podManagementPolicy !== 'Parallel';
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    let wait: number | undefined;

    // Make or mend each ordinal of the set, in order.
    for (let i = start; i < end; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        // Below the partition, pods keep the current revision; at or above it, the update's.
        const revision = i - start < partition ? currentRevision : updateRevision;
        await this.createPod(sts, i, revision === updateRevision ? spec.template : (this.templateOf(sts, revision) ?? spec.template), revision);
        if (ordered) return this.writeStatus(sts, updateRevision, currentRevision);
        continue;
      }
      if (finished(p) && !p.metadata?.deletionTimestamp) {
        this.ctx.deletePod(namespace, p.metadata!.name!);
        this.ctx.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${name} successful`);
        if (ordered) return this.writeStatus(sts, updateRevision, currentRevision);
        continue;
      }
      if (ordered && !runningReady(p)) return this.writeStatus(sts, updateRevision, currentRevision);
    }

    // Ordinals beyond the set go, the highest first (one at a time when ordered).
    const condemned = owned.filter((p) => this.ordinal(sts, p)! >= end || this.ordinal(sts, p)! < start).sort((a, b) => this.ordinal(sts, b)! - this.ordinal(sts, a)!);
    for (const p of condemned) {
      if (p.metadata?.deletionTimestamp) {
        if (ordered) return this.writeStatus(sts, updateRevision, currentRevision);
        continue;
      }
      if (spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') this.claimsFollow(sts, p);
      this.ctx.deletePod(namespace, p.metadata!.name!);
      this.ctx.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${name} successful`);
      if (ordered) return this.writeStatus(sts, updateRevision, currentRevision);
    }

    // A roll-out: the highest ordinals first, down to the partition.
    if (spec.updateStrategy?.type !== 'OnDelete') {
      const maxUnavailable = Math.max(1, scaledValue(spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, replicas, false));
      const inRange = [...byOrdinal.entries()].filter(([i]) => i >= start && i < end);
      let unavailable = inRange.filter(([, p]) => !runningReady(p)).length;
      for (const [i, p] of inRange.sort((a, b) => b[0] - a[0])) {
        if (i - start < partition) break;
        if (p.metadata?.labels?.[REVISION_HASH] === updateRevision || p.metadata?.deletionTimestamp) continue;
        if (unavailable >= maxUnavailable) break;
        this.ctx.deletePod(namespace, p.metadata!.name!);
        this.ctx.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata!.name} in StatefulSet ${name} successful`);
        unavailable++;
      }
    }
    const w = this.writeStatus(sts, updateRevision, currentRevision);
    const live = new Set([currentRevision, updateRevision, ...owned.map((p) => p.metadata?.labels?.[REVISION_HASH] ?? '')]);
    pruneRevisions(store, sts, live);
    return w ?? wait;
  }

  /** The template a revision had (its ControllerRevision); undefined when that history is gone. */
  private templateOf(sts: STS, revision: string): NonNullable<StatefulSet['spec']>['template'] | undefined {
    const cr = this.ctx.store.get<KubeObject & { data?: { spec?: { template?: NonNullable<StatefulSet['spec']>['template'] } } }>('ControllerRevision', sts.metadata!.namespace, revision);
    return cr?.data?.spec?.template;
  }

  private async createPod(sts: STS, i: number, template: NonNullable<StatefulSet['spec']>['template'], revision: string): Promise<void> {
    const name = `${sts.metadata!.name}-${i}`;
    const claims = this.ensureClaims(sts, i);
    const t = structuredClone(template);
    const spec = t.spec!;
    spec.volumes = [...(spec.volumes ?? []).filter((v) => !claims.some((c) => c.volume === v.name)), ...claims.map((c) => ({ name: c.volume, persistentVolumeClaim: { claimName: c.claim } }))];
    const pod = podFromTemplate(sts, t, `${sts.metadata!.name}-`, {
      name,
      hostname: name,
      ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}),
      labels: { [REVISION_HASH]: revision, [POD_NAME]: name, [POD_INDEX]: String(i) },
    });
    try {
      await this.ctx.createPod(pod);
      this.ctx.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${sts.metadata!.name} successful`);
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) {
        this.ctx.event(sts, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${sts.metadata!.name} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** The claims of ordinal `i`, made when missing; with whenDeleted: Delete they are the set's. */
  private ensureClaims(sts: STS, i: number): { volume: string; claim: string }[] {
    const { store } = this.ctx;
    const out: { volume: string; claim: string }[] = [];
    const ns = sts.metadata!.namespace!;
    for (const tmpl of sts.spec?.volumeClaimTemplates ?? []) {
      const claim = `${tmpl.metadata!.name}-${sts.metadata!.name}-${i}`;
      out.push({ volume: tmpl.metadata!.name!, claim });
      if (store.get('PersistentVolumeClaim', ns, claim)) continue;
      const owners: OwnerReference[] = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete' ? [{ ...controllerRef(sts), controller: false }] : [];
      const pvc: PVC = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim, namespace: ns, labels: { ...tmpl.metadata?.labels, ...sts.spec?.selector?.matchLabels }, ...(owners.length ? { ownerReferences: owners } : {}) },
        spec: structuredClone(tmpl.spec!),
      };
      store.create(pvc);
      this.ctx.event(sts, 'Normal', 'SuccessfulCreate', `create Claim ${claim} Pod ${sts.metadata!.name}-${i} in StatefulSet ${sts.metadata!.name} success`);
    }
    return out;
  }

  /** whenScaled: Delete — a condemned pod's claims are owned by the pod, and go with it. */
  private claimsFollow(sts: STS, p: Pod): void {
    const { store } = this.ctx;
    const i = this.ordinal(sts, p)!;
    for (const tmpl of sts.spec?.volumeClaimTemplates ?? []) {
      const pvc = store.get<PVC>('PersistentVolumeClaim', p.metadata!.namespace, `${tmpl.metadata!.name}-${sts.metadata!.name}-${i}`);
      if (!pvc || (pvc.metadata?.ownerReferences ?? []).some((r) => r.uid === p.metadata?.uid)) continue;
      const ref: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: p.metadata!.name!, uid: p.metadata!.uid!, controller: false, blockOwnerDeletion: true };
      store.update({ ...pvc, metadata: { ...pvc.metadata, ownerReferences: [...(pvc.metadata?.ownerReferences ?? []), ref] } });
    }
  }

  private writeStatus(sts: STS, updateRevision: string, currentRevision: string): number | void {
    const { store } = this.ctx;
    const cur = store.get<STS>('StatefulSet', sts.metadata!.namespace, sts.metadata!.name!);
    if (!cur || cur.metadata?.uid !== sts.metadata?.uid) return;
    const pods = store.list<Pod>('Pod', sts.metadata!.namespace).filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.uid === sts.metadata?.uid && r.controller) && !p.metadata?.deletionTimestamp);
    const now = Date.now();
    const { available, wait } = countAvailable(pods, cur.spec?.minReadySeconds ?? 0, now);
    const updated = pods.filter((p) => p.metadata?.labels?.[REVISION_HASH] === updateRevision).length;
    const replicas = cur.spec?.replicas ?? 1;
    // Once every pod runs the update, it is the current revision.
    const current = updated === replicas && pods.length === replicas ? updateRevision : currentRevision;
    const status: StatefulSetStatus = {
      observedGeneration: cur.metadata?.generation ?? 1,
      replicas: pods.length,
      readyReplicas: pods.filter(isReady).length,
      currentReplicas: pods.filter((p) => p.metadata?.labels?.[REVISION_HASH] === current).length,
      updatedReplicas: updated,
      availableReplicas: available,
      currentRevision: current,
      updateRevision,
      collisionCount: 0,
    };
    store.updateStatus('StatefulSet', cur.metadata!.namespace, cur.metadata!.name!, status);
    return wait;
  }
}
