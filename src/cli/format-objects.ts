// kubectl's tables for the kinds beyond pods: NAME (and NAMESPACE with -A), the kind's columns
// from its registry row, AGE, and the wide columns with -o wide. `get all` prefixes each name
// with its type (`deployment.apps/web`).
import type { KubeObject } from '../api/manifest';
import type { KindInfo } from '../store/kinds';
import { humanDuration } from './age';
import { labelsCell } from './labels-column';
import { qualifiedKind } from './resources';
import { renderTable } from './table';

export interface ObjectTableOptions {
  wide: boolean;
  withNamespace: boolean;
  /** `get all`, or several types: names as `kind.group/name`. */
  withKind: boolean;
  now: number;
  /** Also a LABELS column (--show-labels). */
  showLabels?: boolean;
}

export function objectRows(objs: KubeObject[], info: KindInfo, opts: ObjectTableOptions): string[][] {
  const cols = (info.columns ?? []).filter((c) => opts.wide || !c.wide);
  const narrow = cols.filter((c) => !c.wide);
  const wide = cols.filter((c) => c.wide);
  const header = [...(opts.withNamespace && info.namespaced ? ['NAMESPACE'] : []), 'NAME', ...narrow.map((c) => c.header), 'AGE', ...wide.map((c) => c.header), ...(opts.showLabels ? ['LABELS'] : [])];
  const rows = objs.map((o) => [
    ...(opts.withNamespace && info.namespaced ? [o.metadata?.namespace ?? ''] : []),
    opts.withKind ? `${qualifiedKind(info)}/${o.metadata?.name ?? ''}` : (o.metadata?.name ?? ''),
    ...narrow.map((c) => c.cell(o, opts.now)),
    o.metadata?.creationTimestamp ? humanDuration(opts.now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>',
    ...wide.map((c) => c.cell(o, opts.now)),
    ...(opts.showLabels ? [labelsCell(o.metadata?.labels)] : []),
  ]);
  return [header, ...rows];
}

export function objectTable(objs: KubeObject[], info: KindInfo, opts: ObjectTableOptions): string {
  return renderTable(objectRows(objs, info, opts));
}
