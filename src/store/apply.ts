// `apply` as kubectl does it: each object on its own. One that fails (invalid, an unknown kind,
// a forbidden change) is reported by name and leaves nothing behind, and the others still
// apply. Objects others may refer to go first (ConfigMaps, Secrets, then controllers' objects,
// then pods), so pods in the same file find them. Pods are the kubelet layer's: their handler
// decides, and their creations run side by side once every object has been looked at.
import type { KubeObject } from '../api/manifest';
import { objectErrors, shapeErrors } from '../api/validate';
import { child } from '../api/field-errors';
import { PodrunError, ValidationError } from '../errors';
import type { ApplyResult } from '../types';
import { kindInfo } from './kinds';
import type { Store } from './store';

/** What the pod handler says of one pod: done, or a creation to run with the others. */
export type PodApply = { action: ApplyResult['action']; warnings?: string[] } | { create: () => Promise<unknown>; warnings?: string[] };

export interface ApplyHandlers {
  store: Store;
  pod(obj: KubeObject): Promise<PodApply>;
  /** Runs the creations, a few at a time; each outcome in order. */
  createAll(creations: (() => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]>;
}

const RANK: Record<string, number> = { ConfigMap: 0, Secret: 0, PersistentVolume: 1, StorageClass: 1, PersistentVolumeClaim: 2, PodPreset: 2, PodTemplate: 2, Pod: 4 };

/** The error an unknown kind or version gets, in kubectl's words. */
export function noKindMatch(obj: KubeObject): PodrunError {
  const ns = obj.metadata?.namespace ?? '';
  return new PodrunError('Invalid', `resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${ns}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`, 'ensure CRDs are installed first');
}

/**
 * The object with its kind's defaults (as the API server defaults before it validates), after
 * throwing its first problem, naming it (`Deployment "web" is invalid: ...`).
 */
export function checkObject(obj: KubeObject, old?: KubeObject): KubeObject {
  const info = kindInfo(obj.kind);
  if (!info || info.apiVersion !== obj.apiVersion) throw noKindMatch(obj);
  // The shape first: defaults assume it.
  const shape = shapeErrors(obj);
  if (shape[0]) throw shape[0].about(obj.kind, obj.metadata?.name ?? '');
  const defaulted = info.defaults ? info.defaults(obj, old) : obj;
  const first = objectErrors(defaulted)[0];
  if (first) throw first.about(obj.kind, obj.metadata?.name ?? '');
  return defaulted;
}

/** A stored kind other than Pod, defaulted and validated (checkObject): checked against the stored one, then stored. */
export function applyStored(store: Store, obj: KubeObject): ApplyResult['action'] {
  const info = kindInfo(obj.kind)!;
  const old = store.get<KubeObject>(obj.kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
  if (old && info.validateUpdate) {
    const errs: ValidationError[] = [];
    info.validateUpdate(old, obj, errs);
    if (errs[0]) throw errs[0].about(obj.kind, obj.metadata?.name ?? '');
  }
  return store.apply(obj).action;
}

export async function applyEach(objs: KubeObject[], h: ApplyHandlers): Promise<ApplyResult[]> {
  const order = objs.map((o, i) => ({ o, i })).sort((a, b) => (RANK[a.o.kind] ?? 3) - (RANK[b.o.kind] ?? 3) || a.i - b.i);
  const results: ApplyResult[] = [];
  const seen = new Set<string>();
  const creations: { result: ApplyResult; create: () => Promise<unknown> }[] = [];
  for (const { o } of order) {
    const result: ApplyResult = { kind: o.kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '', action: 'created' };
    results.push(result);
    try {
      const defaulted = checkObject(o, o.kind === 'Pod' ? undefined : h.store.get<KubeObject>(o.kind, o.metadata?.namespace, o.metadata?.name ?? ''));
      const id = `${o.kind}/${result.namespace}/${result.name}`;
      if (seen.has(id)) throw new ValidationError(child('', 'metadata.name'), `Duplicate value: "${result.name}": the same object twice in one apply`, { kind: o.kind, name: result.name });
      seen.add(id);
      if (o.kind === 'Pod') {
        const r = await h.pod(o);
        if (r.warnings?.length) result.warnings = r.warnings;
        if ('create' in r) creations.push({ result, create: r.create });
        else result.action = r.action;
      } else {
        result.action = applyStored(h.store, defaulted);
      }
    } catch (e) {
      result.action = 'failed';
      result.error = named(e, o);
    }
  }
  const outcomes = await h.createAll(creations.map((c) => c.create));
  outcomes.forEach((r, k) => {
    if (r.status === 'fulfilled') return;
    creations[k]!.result.action = 'failed';
    creations[k]!.result.error = named(r.reason, { kind: 'Pod', metadata: { name: creations[k]!.result.name } } as KubeObject);
  });
  return results;
}

function named(e: unknown, o: KubeObject): PodrunError {
  if (e instanceof ValidationError) return e.about(o.kind, o.metadata?.name ?? '');
  if (e instanceof PodrunError) return e;
  return new PodrunError('Internal', e instanceof Error ? e.message : String(e));
}
