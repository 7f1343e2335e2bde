// The LABELS column of `get --show-labels`: labels.FormatLabels' `k=v,k2=v2`, keys sorted, and
// `<none>` for an object without labels.

export function labelsCell(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}
