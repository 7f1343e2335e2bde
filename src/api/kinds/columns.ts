// Cells kubectl's printers share among the workload kinds: the template's containers and
// images, and a selector as `-o wide` shows it.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../manifest';
import type { Column } from '../../store/kinds';

export function templateOf(o: KubeObject): PodTemplateSpec | undefined {
  return (o.spec as { template?: PodTemplateSpec } | undefined)?.template;
}

/** `app=web,tier in (a,b)`, as metav1.FormatLabelSelector writes it; `<none>` for none. */
export function formatSelector(sel: LabelSelector | Record<string, string> | undefined): string {
  if (!sel) return '<none>';
  const ls: LabelSelector = 'matchLabels' in sel || 'matchExpressions' in sel ? (sel as LabelSelector) : { matchLabels: sel as Record<string, string> };
  const parts = Object.entries(ls.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of ls.matchExpressions ?? []) {
    if (e.operator === 'In' || e.operator === 'NotIn') parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
    else parts.push(e.operator === 'Exists' ? e.key : `!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export const wideTemplateColumns: Column[] = [
  { header: 'CONTAINERS', wide: true, cell: (o) => (templateOf(o)?.spec?.containers ?? []).map((c) => c.name).join(',') },
  { header: 'IMAGES', wide: true, cell: (o) => (templateOf(o)?.spec?.containers ?? []).map((c) => c.image ?? '').join(',') },
  { header: 'SELECTOR', wide: true, cell: (o) => formatSelector((o.spec as { selector?: LabelSelector } | undefined)?.selector) },
];

/** A number from a status, 0 when absent. */
export const n = (v: number | undefined): number => v ?? 0;
