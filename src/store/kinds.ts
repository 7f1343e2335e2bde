// The kinds the store keeps: one row each, as the API server's resource table has them. The
// CLI's resource words (plural, singular, short names), whether objects live in a namespace,
// and whether the store itself keeps them on disk come from here, so a new kind is a new row.

import type { KubeObject } from '../api/manifest';
import type { ErrorList } from '../api/field-errors';
import type { Schema } from '../api/schema';

/** One column of `get`'s table: kubectl's header, and the cell of an object. */
export interface Column {
  readonly header: string;
  /** Only with `-o wide`. */
  readonly wide?: boolean;
  cell(o: KubeObject, now: number): string;
}

export interface KindInfo {
  readonly kind: string;
  readonly apiVersion: string;
  /** The resource name: `pods`, `deployments`. */
  readonly plural: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /**
   * Whether the store's log keeps these objects. Pods are kept by the kubelet layer in their
   * folders (spec, decisions, records), which a new engine reads back and publishes again.
   */
  readonly durable: boolean;
  /** The shape (unknown fields, types), checked before the rules; kinds validated in api/validate.ts leave it out. */
  readonly schema?: Schema;
  /** The API server's rules for a new object (field paths from the object's root). */
  readonly validate?: (obj: KubeObject, errs: ErrorList) => void;
  /** Rules for a change of a stored object (immutable fields). */
  readonly validateUpdate?: (old: KubeObject, obj: KubeObject, errs: ErrorList) => void;
  /** The API server's defaults, applied before validation; `old` is the stored object on an update. */
  readonly defaults?: (obj: KubeObject, old?: KubeObject) => KubeObject;
  /** `get`'s columns after NAME (and NAMESPACE); kinds without them print NAME and AGE. */
  readonly columns?: readonly Column[];
}

/** The distinct keys of an object's maps (`data`, `binaryData`). */
function keyCount(o: KubeObject, ...fields: string[]): number {
  const rec = o as unknown as Record<string, Record<string, unknown> | undefined>;
  return new Set(fields.flatMap((f) => Object.keys(rec[f] ?? {}))).size;
}

const ROWS: KindInfo[] = [
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', shortNames: ['po'], namespaced: true, durable: false },
  // kubectl's printers: DATA counts the keys (binaryData's too); a Secret's stringData is the server's to merge into data.
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', shortNames: ['cm'], namespaced: true, durable: true, columns: [{ header: 'DATA', cell: (o) => String(keyCount(o, 'data', 'binaryData')) }] },
  {
    kind: 'Secret',
    apiVersion: 'v1',
    plural: 'secrets',
    shortNames: [],
    namespaced: true,
    durable: true,
    columns: [
      { header: 'TYPE', cell: (o) => (o as { type?: string }).type || 'Opaque' },
      { header: 'DATA', cell: (o) => String(keyCount(o, 'data', 'stringData')) },
    ],
  },
  // Recorded and listed by the event recorder; in the store's registry for its names and watch.
  { kind: 'Event', apiVersion: 'v1', plural: 'events', shortNames: ['ev'], namespaced: true, durable: false },
];

const BY_KIND = new Map<string, KindInfo>();
for (const r of ROWS) BY_KIND.set(r.kind, r);

/** Adds a kind (a controller's module registers its own). */
export function registerKind(info: KindInfo): void {
  if (!BY_KIND.has(info.kind)) ROWS.push(info);
  BY_KIND.set(info.kind, info);
}

export function kindInfo(kind: string): KindInfo | undefined {
  return BY_KIND.get(kind);
}

export function allKinds(): readonly KindInfo[] {
  return ROWS;
}

/** The kind a CLI word names (`deploy`, `deployments`, `deployment`, `Deployment`), if any. */
export function kindForWord(word: string): KindInfo | undefined {
  const w = word.toLowerCase();
  return ROWS.find((r) => r.plural === w || r.kind.toLowerCase() === w || r.shortNames.includes(w));
}
