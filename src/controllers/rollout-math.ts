// The arithmetic of a roll-out, as the deployment controller's deploymentutil does it:
// maxSurge and maxUnavailable from numbers or percentages (surge rounded up, unavailability
// down, never both 0), the pod-template-hash, and revision numbers.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { stableJson } from '../api/stable-json';

export const TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/** An IntOrString of `total`: a number as is, a percentage rounded up or down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const pct = Number(v.replace(/%$/, ''));
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable of a RollingUpdate for `replicas` (ResolveFenceposts). */
export function fenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, replicas: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', replicas, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', replicas, false);
  // Both 0 would never move: one pod may be unavailable.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** FNV-1a, 32 bits. */
function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** The template's hash as a label value (`7d4b9c8f6`), as ComputeHash and SafeEncodeString make it. */
export function templateHash(template: PodTemplateSpec | undefined, collisionCount = 0): string {
  const h = fnv32a(stableJson(withoutHash(template)) + (collisionCount ? String(collisionCount) : ''));
  return [...String(h)].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** The template without its pod-template-hash label (EqualIgnoreHash compares these). */
export function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (!template) return template;
  const labels = { ...template.metadata?.labels };
  delete labels[TEMPLATE_HASH];
  return { ...template, metadata: { ...template.metadata, labels } };
}

export function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return stableJson(withoutHash(a)) === stableJson(withoutHash(b));
}

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  return Number(o.metadata?.annotations?.[REVISION] ?? 0) || 0;
}
