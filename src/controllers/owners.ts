// Owner references as the controllers use them: who controls an object, and the reference a
// controller puts on what it makes.
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../api/manifest';

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
