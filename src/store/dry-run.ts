// A server-side dry run of apply (`--dry-run=server`): the object as the API server would keep
// it — validated, defaulted, judged against the stored one (created, configured, unchanged, or
// the server's refusal of a forbidden change) — and nothing written. The rules are the ones
// apply itself runs (checkObject, a kind's validateUpdate, updatePod), so a dry run that passes
// is an apply that passes, as far as the object alone decides it.
import { randomUUID } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../api/defaults';
import type { KubeObject } from '../api/manifest';
import { updatePod } from '../api/pod-update';
import { stableJson } from '../api/stable-json';
import { ValidationError } from '../errors';
import { admitDevices } from '../plan/devices';
import type { ApplyResult } from '../types';
import { checkObject } from './apply';
import { kindInfo } from './kinds';

export interface DryRunOutcome {
  action: Exclude<ApplyResult['action'], 'failed'>;
  /** What the server would answer with: the defaulted object, with the stored one's identity. */
  object: KubeObject;
}

/** What a writer asked for, without what the store owns: compared to tell configured from unchanged. */
function asked(o: KubeObject): string {
  const { metadata, status: _s, ...rest } = o;
  return stableJson({ ...rest, labels: metadata?.labels ?? {}, annotations: metadata?.annotations ?? {} });
}

/**
 * Throws what apply would throw for `obj`; `stored` is the object of that kind and name now
 * (undefined when there is none), `now` the RFC 3339 time a creation would carry, `rootless`
 * whether the engine runs without root (as this process does).
 */
export function dryRunApply(obj: KubeObject, stored: KubeObject | undefined, now: string, rootless = (process.getuid?.() ?? 0) !== 0): DryRunOutcome {
  const name = obj.metadata?.name ?? '';
  const namespaced = kindInfo(obj.kind)?.namespaced !== false;
  const withNs = namespaced ? { ...obj, metadata: { ...obj.metadata, namespace: obj.metadata?.namespace || 'default' } } : obj;
  if (obj.kind === 'Pod') {
    checkObject(withNs);
    const pod = applyPodDefaults(withNs as unknown as Pod) as unknown as KubeObject;
    // Admission as the engine's: a privileged container rootless, or a device this host lacks,
    // is refused by the dry run too (as the API server's dry run runs its admission).
    try {
      admitDevices(pod as unknown as Pod, rootless);
    } catch (e) {
      throw e instanceof ValidationError ? e.about('Pod', name) : e;
    }
    if (!stored) return { action: 'created', object: created(pod, now) };
    const update = updatePod(stored as unknown as Pod, withNs as unknown as Pod);
    return update.action === 'configured' ? { action: 'configured', object: update.pod as unknown as KubeObject } : { action: 'unchanged', object: stored };
  }
  const defaulted = checkObject(withNs, stored);
  if (!stored) return { action: 'created', object: created(defaulted, now) };
  const errs: ValidationError[] = [];
  kindInfo(obj.kind)?.validateUpdate?.(stored, defaulted, errs);
  if (errs[0]) throw errs[0].about(obj.kind, name);
  if (asked(defaulted) === asked(stored)) return { action: 'unchanged', object: stored };
  const object = { ...defaulted, metadata: { ...defaulted.metadata, uid: stored.metadata?.uid, creationTimestamp: stored.metadata?.creationTimestamp, resourceVersion: stored.metadata?.resourceVersion, generation: stored.metadata?.generation } };
  if (stored.status !== undefined) (object as { status?: unknown }).status = stored.status;
  return { action: 'configured', object };
}

/** A new object as the server answers a dry-run create: an identity, no resourceVersion (nothing was written). */
function created(o: KubeObject, now: string): KubeObject {
  return { ...o, metadata: { ...o.metadata, uid: randomUUID(), creationTimestamp: now, generation: 1 } };
}
