// The kinds the store keeps: one row each, as the API server's resource table has them. The
// CLI's resource words (plural, singular, short names), whether objects live in a namespace,
// and whether the store itself keeps them on disk come from here, so a new kind is a new row.

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
}

const ROWS: KindInfo[] = [
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', shortNames: ['po'], namespaced: true, durable: false },
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', shortNames: ['cm'], namespaced: true, durable: true },
  { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', shortNames: [], namespaced: true, durable: true },
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
