// Owner references as the controllers use them: who controls an object, and the reference a
// controller puts on what it makes.
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import type { Store } from '../store/store';

/** The owner with `controller: true`, if any. */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

/** The reference a controller puts on what it makes (blocking its owner's foreground deletion). */
export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** Whether `o` is controlled by `owner` (by uid: an owner deleted and made again is another). */
export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return controllerOf(o)?.uid === owner.metadata?.uid;
}

/** The characters of generated names (no vowels, no look-alikes), as the API server's. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** `prefix` and five random characters: `web-7d4b9-x2kqz`. */
export function generateName(prefix: string): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return `${prefix}${s}`;
}

/**
 * The keys of a kind's objects in `obj`'s namespace whose label selector matches it: the
 * claimants of an orphan pod (or ReplicaSet), each a candidate to adopt it.
 */
export function selectingKeys(store: Store, kind: string, obj: KubeObject): string[] {
  const ns = obj.metadata?.namespace;
  return store
    .list<KubeObject & { spec?: { selector?: LabelSelector } }>(kind, ns)
    .filter((o) => selectorMatches(o.spec?.selector, obj.metadata?.labels))
    .map((o) => `${ns}/${o.metadata!.name}`);
}
