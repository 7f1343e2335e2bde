// ControllerRevisions, the history of a StatefulSet's or DaemonSet's pod templates, as their
// controllers keep it in Kubernetes: one object per template, named `<owner>-<hash>`, owned by
// the set, numbered in the order the templates were first seen (a template seen again gets the
// next number: `rollout undo` makes the old revision the newest), its `data` the template. The
// revisions no pod runs any more are kept up to the set's revisionHistoryLimit, oldest removed.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../api/manifest';
import type { Store } from '../store/store';
import { controllerRef, isControlledBy } from './owners';
import { CHANGE_CAUSE } from './rollout-math';

export const REVISION_HASH = 'controller-revision-hash';

export type ControllerRevision = KubeObject & { data?: { spec?: { template?: PodTemplateSpec } }; revision?: number };

/** The owner's revisions, oldest number first. */
export function revisionsOf(store: Store, owner: KubeObject): ControllerRevision[] {
  return store
    .list<ControllerRevision>('ControllerRevision', owner.metadata!.namespace)
    .filter((c) => isControlledBy(c, owner))
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

/**
 * The revision `name` of `owner`'s current template: made with the next number when new, given
 * the next number again when an older revision's template comes back (undo).
 */
export function recordRevision(store: Store, owner: KubeObject, name: string, hash: string, template: PodTemplateSpec): ControllerRevision {
  const mine = revisionsOf(store, owner);
  const next = Math.max(0, ...mine.map((c) => c.revision ?? 0)) + 1;
  const have = store.get<ControllerRevision>('ControllerRevision', owner.metadata!.namespace, name);
  if (have) {
    if (have.revision === next - 1) return have;
    return store.update({ ...have, revision: next } as ControllerRevision);
  }
  const selector = (owner.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  // The change cause the object carried when this template came (`rollout history` shows it).
  const cause = owner.metadata?.annotations?.[CHANGE_CAUSE];
  return store.create({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name, namespace: owner.metadata!.namespace, labels: { ...selector, [REVISION_HASH]: hash }, ...(cause ? { annotations: { [CHANGE_CAUSE]: cause } } : {}), ownerReferences: [controllerRef(owner)] },
    data: { spec: { template: structuredClone(template) } },
    revision: next,
  } as ControllerRevision);
}

/** Removes the oldest revisions beyond revisionHistoryLimit among those `live` does not name. */
export function pruneRevisions(store: Store, owner: KubeObject, live: Set<string>): void {
  const limit = (owner.spec as { revisionHistoryLimit?: number } | undefined)?.revisionHistoryLimit ?? 10;
  const idle = revisionsOf(store, owner).filter((c) => !live.has(c.metadata!.name!));
  for (const c of idle.slice(0, Math.max(0, idle.length - limit))) store.delete('ControllerRevision', c.metadata!.namespace, c.metadata!.name!);
}
