// A pod update as the API server judges it (ValidatePodUpdate in pkg/apis/core/validation): of
// the spec only container and init container images, activeDeadlineSeconds (set or lowered),
// terminationGracePeriodSeconds (from negative to 1), tolerations (additions) and
// schedulingGates (removals) may change;
// labels and annotations may change freely. Fields the server set (nodeName, the defaults,
// ephemeral containers) are kept from the stored pod, so re-applying the same manifest is no
// change. `generation` counts spec changes.
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { applyPodDefaults } from './defaults';
import { stableJson } from './stable-json';

export type PodUpdate = { action: 'unchanged' } | { action: 'configured'; pod: Pod; specChanged: boolean };

const FORBIDDEN =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function invalid(name: string, message: string): PodrunError {
  return new PodrunError('Invalid', `Pod "${name}" is invalid: ${message}`);
}

/** The incoming spec with what the server set (or what the update may change) taken from the old one. */
function munged(next: PodSpec, old: PodSpec): PodSpec {
  const m = structuredClone(next);
  m.containers.forEach((c, i) => {
    if (old.containers[i]) c.image = old.containers[i].image;
  });
  (m.initContainers ?? []).forEach((c, i) => {
    const o = old.initContainers?.[i];
    if (o) c.image = o.image;
  });
  m.activeDeadlineSeconds = old.activeDeadlineSeconds;
  m.tolerations = old.tolerations;
  m.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  m.schedulingGates = old.schedulingGates;
  return m;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return stableJson(a) === stableJson(b);
}

/** Judges `incoming` (as a user wrote it) against the stored pod `old`. Throws the API server's error when it may not be. */
export function updatePod(old: Pod, incoming: Pod): PodUpdate {
  const name = old.metadata!.name!;
  const oldSpec = old.spec!;
  const inSpec = applyPodDefaults(incoming).spec!;
  if (inSpec.nodeName && inSpec.nodeName !== oldSpec.nodeName) throw invalid(name, FORBIDDEN);
  const next: PodSpec = { ...inSpec, nodeName: oldSpec.nodeName, ephemeralContainers: oldSpec.ephemeralContainers };
  if (stableJson(munged(next, oldSpec)) !== stableJson(oldSpec)) throw invalid(name, FORBIDDEN);

  const oldAds = oldSpec.activeDeadlineSeconds;
  const ads = next.activeDeadlineSeconds;
  if (oldAds !== undefined && ads === undefined) throw invalid(name, 'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value');
  if (oldAds !== undefined && ads !== undefined && ads > oldAds) throw invalid(name, `spec.activeDeadlineSeconds: Invalid value: ${ads}: must be less than or equal to previous value`);
  for (const t of oldSpec.tolerations ?? []) {
    if (!(next.tolerations ?? []).some((n) => sameToleration(n, t))) throw invalid(name, FORBIDDEN);
  }
  // Scheduling gates may only be removed (then the scheduler takes the pod).
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  if ((next.schedulingGates ?? []).some((g) => !oldGates.has(g.name))) throw invalid(name, 'spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate');
  // The stored grace period was made non-negative on create, so it may only stay as it is.
  if (next.terminationGracePeriodSeconds !== oldSpec.terminationGracePeriodSeconds) throw invalid(name, FORBIDDEN);

  const specChanged = stableJson(next) !== stableJson(oldSpec);
  const meta = incoming.metadata ?? {};
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const metaChanged = stableJson(labels) !== stableJson(old.metadata?.labels ?? {}) || stableJson(annotations) !== stableJson(old.metadata?.annotations ?? {});
  if (!specChanged && !metaChanged) return { action: 'unchanged' };
  const generation = (old.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
  const pod: Pod = {
    ...old,
    metadata: {
      ...old.metadata,
      labels: meta.labels,
      annotations: meta.annotations,
      generation,
      resourceVersion: String(Number(old.metadata?.resourceVersion ?? '1') + 1),
    },
    spec: next,
  };
  return { action: 'configured', pod, specChanged };
}
