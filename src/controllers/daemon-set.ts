// The DaemonSet controller on the one node: a pod of the template when this host fits the
// template's nodeSelector and node affinity (the pod pinned to it by a matchFields affinity, as
// the controller does in a cluster), none when it does not; a failed pod is replaced; a new
// template rolls out by RollingUpdate (maxSurge: the new pod first; else the old one first) or
// waits for the pod's deletion (OnDelete). Each template is a ControllerRevision, as in a cluster.
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1';
import type { Node, Pod, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import { nodeAffinityFits } from '../scheduler/fit';
import type { Controller, ControllerContext } from './context';
import { selectingKeys } from './owners';
import { availability, countAvailable, isReady } from './pod-state';
import { claimPods, createFromTemplate } from './replica-set';
import { scaledValue, templateHash } from './rollout-math';
import { pruneRevisions, recordRevision, REVISION_HASH } from './controller-revisions';

type DS = DaemonSet & KubeObject;

/** The tolerations the controller adds to every daemon pod (daemon pods stay through node trouble). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export class DaemonSetController implements Controller {
  readonly kind = 'DaemonSet';
  constructor(
    private readonly ctx: ControllerContext,
    private readonly node: Node,
  ) {}

  claimants(obj: KubeObject): string[] {
    return obj.kind === 'Pod' ? selectingKeys(this.ctx.store, this.kind, obj) : [];
  }

  private template(ds: DS, hash: string): PodTemplateSpec {
    const t = structuredClone(ds.spec!.template);
    const spec = t.spec!;
    const nodeName = this.node.metadata!.name!;
    const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [{}];
    spec.affinity = {
      ...spec.affinity,
      nodeAffinity: {
        ...spec.affinity?.nodeAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms.map((term) => ({ ...term, matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] })) },
      },
    };
    const have = new Set((spec.tolerations ?? []).map((x) => `${x.key}/${x.effect}`));
    spec.tolerations = [...(spec.tolerations ?? []), ...DAEMON_TOLERATIONS.filter((x) => !have.has(`${x.key}/${x.effect}`))];
    t.metadata = { ...t.metadata, labels: { ...t.metadata?.labels, [REVISION_HASH]: hash } };
    return t;
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const ds = store.get<DS>('DaemonSet', namespace, name);
    if (!ds || ds.metadata?.deletionTimestamp) return;
    const spec = ds.spec!;
    const hash = templateHash(spec.template);
    // The template's revision (`rollout history` and `undo` read them).
    recordRevision(store, ds, `${name}-${hash}`, hash, spec.template);
    const pods = claimPods(this.ctx, ds, store.list<Pod>('Pod', namespace), (l) => selectorMatches(spec.selector, l));
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const wanted = nodeAffinityFits({ spec: spec.template.spec } as Pod, this.node);
    const del = (p: Pod) => {
      this.ctx.deletePod(namespace, p.metadata!.name!);
      this.ctx.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
    };
    const create = async () => {
      const p = await createFromTemplate(this.ctx, ds, this.template(ds, hash), `${name}-`);
      this.ctx.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`);
    };
    for (const p of live.filter((x) => x.status?.phase === 'Failed')) {
      del(p);
      this.ctx.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${namespace}/${p.metadata!.name} on node ${this.node.metadata!.name}, will try to kill it`);
    }
    const running = live.filter((p) => p.status?.phase !== 'Failed');
    if (!wanted) running.forEach(del);
    else if (running.length === 0 && !pods.some((p) => p.metadata?.deletionTimestamp && p.metadata?.labels?.[REVISION_HASH] !== hash && (spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0) === 0)) await create();
    else {
      const sorted = [...running].sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
      const current = sorted.filter((p) => p.metadata?.labels?.[REVISION_HASH] === hash);
      const old = sorted.filter((p) => p.metadata?.labels?.[REVISION_HASH] !== hash);
      if (spec.updateStrategy?.type !== 'OnDelete' && old.length) {
        const surge = scaledValue(spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0, 1, true) > 0;
        if (!surge) old.forEach(del);
        else if (!current.length) await create();
        else if (current.some((p) => availability(p, spec.minReadySeconds ?? 0, Date.now()).available)) old.forEach(del);
      }
      // One pod per node: the newest extras go.
      const keep = current.length ? current : old;
      keep.slice(1).forEach(del);
    }
    pruneRevisions(store, ds, new Set([hash, ...pods.map((p) => p.metadata?.labels?.[REVISION_HASH] ?? '')].map((h) => `${name}-${h}`)));
    return this.writeStatus(ds, hash, wanted);
  }

  private writeStatus(ds: DS, hash: string, wanted: boolean): number | void {
    const { store } = this.ctx;
    const cur = store.get<DS>('DaemonSet', ds.metadata!.namespace, ds.metadata!.name!);
    if (!cur) return;
    const pods = store.list<Pod>('Pod', ds.metadata!.namespace).filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.uid === ds.metadata?.uid && r.controller) && !p.metadata?.deletionTimestamp);
    const now = Date.now();
    const { available, wait } = countAvailable(pods, cur.spec?.minReadySeconds ?? 0, now);
    const scheduled = pods.length > 0 ? 1 : 0;
    const status: DaemonSetStatus = {
      currentNumberScheduled: wanted ? scheduled : 0,
      desiredNumberScheduled: wanted ? 1 : 0,
      numberMisscheduled: wanted ? 0 : scheduled,
      numberReady: pods.filter(isReady).length > 0 ? 1 : 0,
      updatedNumberScheduled: pods.some((p) => p.metadata?.labels?.[REVISION_HASH] === hash) ? 1 : 0,
      numberAvailable: available > 0 ? 1 : 0,
      numberUnavailable: wanted && available === 0 ? 1 : 0,
      observedGeneration: cur.metadata?.generation ?? 1,
    };
    for (const k of ['numberAvailable', 'numberUnavailable', 'updatedNumberScheduled'] as const) if (!status[k]) delete status[k];
    store.updateStatus('DaemonSet', cur.metadata!.namespace, cur.metadata!.name!, status);
    return wait;
  }
}
