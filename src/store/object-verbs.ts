// The API server's verbs on a stored object beyond create and delete: the scale subresource,
// and a replace checked by the kind's update rules (immutable fields, selectors, templates).
import type { KubeObject } from '../api/manifest';
import { objectErrors } from '../api/validate';
import { PodrunError, ValidationError } from '../errors';
import { kindInfo } from './kinds';
import type { Store } from './store';

/** The kinds with a scale subresource. */
const SCALABLE = ['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet'];

/** Sets spec.replicas of `o` (read by the caller); returns the stored object. */
export function scaleObject(store: Store, o: KubeObject, replicas: number): KubeObject {
  const name = o.metadata?.name ?? '';
  if (!o.spec || (!('replicas' in (o.spec as object)) && !SCALABLE.includes(o.kind))) {
    throw new PodrunError('Invalid', `cannot scale ${kindInfo(o.kind)?.plural ?? o.kind}/${name}: it has no replicas`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) throw new ValidationError('spec.replicas', `Invalid value: ${replicas}: must be greater than or equal to 0`, { kind: o.kind, name });
  return store.update({ ...o, spec: { ...(o.spec as object), replicas } });
}

/** Replaces a stored object (not a pod) with `obj` after its kind's defaults and update rules; `current` reads the one there. */
export function replaceObject(store: Store, obj: KubeObject, current: () => KubeObject): KubeObject {
  const info = kindInfo(obj.kind);
  if (!info || obj.kind === 'Pod') throw new PodrunError('Invalid', `cannot update ${obj.kind} objects this way`);
  const old = current();
  const next = info.defaults ? info.defaults(obj, old) : obj;
  const errs: ValidationError[] = [];
  // Kinds whose rules live in api/validate.ts (ConfigMap, Secret) are checked there, as on create.
  if (info.validate) info.validate(next, errs);
  else errs.push(...objectErrors(next));
  info.validateUpdate?.(old, next, errs);
  if (errs[0]) throw errs[0].about(obj.kind, obj.metadata?.name ?? '');
  return store.update(next);
}
