// The ReplicaSet controller (and, with a map selector, the ReplicationController's): keeps
// exactly `replicas` active pods of the template, counting only pods not being deleted;
// adopts matching orphans and releases pods whose labels stop matching; reports replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas and observedGeneration.
import type { ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { mapSelectorMatches, selectorMatches, type Labels } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import { AlreadyExistsError } from '../errors';
import type { Controller, ControllerContext } from './context';
import { controllerOf, controllerRef, generateName, isControlledBy } from './owners';
import { countAvailable, deletionRank, isActive, isReady } from './pod-state';

/** Pods made at once, at most (the kube-controller-manager's burstReplicas). */
const BURST = 500;

interface ReplicatedSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelector | Record<string, string>;
  template?: PodTemplateSpec;
}

/** Creates `count` items with `make`, in batches of 1, 2, 4, ...: a failing template fails once, not `count` times. */
export async function slowStartBatch(count: number, make: () => Promise<unknown>): Promise<{ made: number; error?: unknown }> {
  let made = 0;
  for (let batch = 1; made < count; batch *= 2) {
    const size = Math.min(batch, count - made);
    const outcomes = await Promise.allSettled(Array.from({ length: size }, make));
    const failed = outcomes.find((o) => o.status === 'rejected');
    made += outcomes.filter((o) => o.status === 'fulfilled').length;
    if (failed) return { made, error: (failed as PromiseRejectedResult).reason };
  }
  return { made };
}

/** A pod of the template, controlled by `owner`, named `<prefix><5 chars>`. */
export function podFromTemplate(owner: KubeObject, template: PodTemplateSpec, prefix: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; name?: string; hostname?: string; subdomain?: string } = {}): Pod {
  const labels = { ...template.metadata?.labels, ...extra.labels };
  const annotations = { ...template.metadata?.annotations, ...extra.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: extra.name ?? generateName(prefix),
      ...(extra.name ? {} : { generateName: prefix }),
      namespace: owner.metadata!.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: { ...structuredClone(template.spec!), ...(extra.hostname ? { hostname: extra.hostname } : {}), ...(extra.subdomain ? { subdomain: extra.subdomain } : {}) },
  };
}

/** Creates a pod from the template under a generated name, choosing another on a collision. */
export async function createFromTemplate(ctx: ControllerContext, owner: KubeObject, template: PodTemplateSpec, prefix: string, extra: Parameters<typeof podFromTemplate>[3] = {}): Promise<Pod> {
  for (let tries = 0; ; tries++) {
    try {
      return await ctx.createPod(podFromTemplate(owner, template, prefix, extra));
    } catch (e) {
      if (!(e instanceof AlreadyExistsError) || tries >= 5 || extra.name) throw e;
    }
  }
}

/**
 * Adopts the orphans `selects` matches and releases the owned pods it no longer matches
 * (ClaimPods). Returns the pods the owner controls afterwards.
 */
export function claimPods(ctx: ControllerContext, owner: KubeObject, pods: Pod[], selects: (labels: Labels) => boolean): Pod[] {
  const mine: Pod[] = [];
  const deleting = !!owner.metadata?.deletionTimestamp;
  for (const p of pods) {
    const ref = controllerOf(p as unknown as KubeObject);
    const name = p.metadata!.name!;
    const ns = p.metadata!.namespace!;
    if (ref) {
      if (ref.uid !== owner.metadata?.uid) continue;
      if (selects(p.metadata?.labels)) mine.push(p);
      else if (!p.metadata?.deletionTimestamp) {
        // Labels changed: the pod is let go (an orphan now; another may adopt it).
        ctx.patchPodMeta(ns, name, { ownerReferences: (p.metadata?.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata?.uid) });
      }
      continue;
    }
    if (deleting || p.metadata?.deletionTimestamp || !isActive(p) || !selects(p.metadata?.labels)) continue;
    const adopted = ctx.patchPodMeta(ns, name, { ownerReferences: [...(p.metadata?.ownerReferences ?? []), controllerRef(owner)] });
    mine.push(adopted);
  }
  return mine;
}

export class ReplicaSetController implements Controller {
  constructor(
    private readonly ctx: ControllerContext,
    readonly kind: 'ReplicaSet' | 'ReplicationController',
  ) {}

  private selects(spec: ReplicatedSpec): (labels: Labels) => boolean {
    if (this.kind === 'ReplicationController') return (l) => mapSelectorMatches(spec.selector as Record<string, string>, l);
    return (l) => selectorMatches(spec.selector as LabelSelector, l);
  }

  claimants(obj: KubeObject): string[] {
    if (obj.kind !== 'Pod') return [];
    const ns = obj.metadata?.namespace;
    return this.ctx.store
      .list<KubeObject>(this.kind, ns)
      .filter((o) => this.selects(o.spec as ReplicatedSpec)(obj.metadata?.labels))
      .map((o) => `${ns}/${o.metadata!.name}`);
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const rs = store.get<KubeObject>(this.kind, namespace, name);
    if (!rs) return;
    const spec = rs.spec as ReplicatedSpec;
    const selects = this.selects(spec);
    const pods = claimPods(this.ctx, rs, store.list<Pod>('Pod', namespace), selects);
    const active = pods.filter(isActive);
    const want = rs.metadata?.deletionTimestamp ? active.length : (spec.replicas ?? 1);
    const diff = active.length - want;
    let failure: unknown;
    if (diff < 0 && spec.template) {
      const prefix = `${name}-`;
      const { made, error } = await slowStartBatch(Math.min(-diff, BURST), async () => {
        const p = await createFromTemplate(this.ctx, rs, spec.template!, prefix);
        this.ctx.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`);
      });
      if (error) {
        failure = error;
        this.ctx.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
      }
      void made;
    } else if (diff > 0) {
      for (const p of [...active].sort(deletionRank).slice(0, diff)) {
        this.ctx.deletePod(namespace, p.metadata!.name!);
        this.ctx.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      }
    }
    const again = this.writeStatus(rs, failure);
    // A failing template is tried again with the manager's back-off, not at once.
    if (failure) throw failure;
    return again;
  }

  /** The status from the pods as they are now; returns when to look again for availability. */
  private writeStatus(rs: KubeObject, failure: unknown): number | void {
    const { store } = this.ctx;
    const current = store.get<KubeObject>(this.kind, rs.metadata!.namespace, rs.metadata!.name!);
    if (!current || current.metadata?.uid !== rs.metadata?.uid) return;
    const spec = current.spec as ReplicatedSpec;
    const pods = store.list<Pod>('Pod', rs.metadata!.namespace).filter((p) => isControlledBy(p as unknown as KubeObject, current) && isActive(p));
    const templateLabels = spec.template?.metadata?.labels ?? {};
    const now = Date.now();
    const { available, wait } = countAvailable(pods, spec.minReadySeconds ?? 0, now);
    const old = (current.status ?? {}) as ReplicaSetStatus;
    const message = failure ? (failure as Error).message : '';
    const was = (old.conditions ?? []).find((c) => c.type === 'ReplicaFailure' && c.message === message);
    const failed = failure ? [was ?? { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] : [];
    const status: ReplicaSetStatus = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length,
      readyReplicas: pods.filter(isReady).length,
      availableReplicas: available,
      observedGeneration: current.metadata?.generation ?? 1,
      ...(failed.length ? { conditions: failed } : {}),
    };
    store.updateStatus(this.kind, current.metadata!.namespace, current.metadata!.name!, status);
    return wait;
  }
}
