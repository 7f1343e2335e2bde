// The words of `label` and `annotate` after the objects: `key=value` sets, `key-` removes, read
// as kubectl reads them (GetResourcesAndPairs, parseLabels, ParsePairs), and the change to an
// object's map that they make, refused as kubectl refuses it when --overwrite is not given.
// Pure, so the wording is unit-tested without an engine.

import { labelValue } from '../api/names';
import { usageError } from './report-error';

export interface PairChanges {
  /** key -> value, in the order given. */
  set: Map<string, string>;
  remove: string[];
}

/** Whether a word is a change (`k=v`, `k-`) rather than a resource. */
function isPair(word: string): boolean {
  return (word.includes('=') && !word.startsWith('=')) || (word.endsWith('-') && word !== '-');
}

/** The resources (all before the first change) and the changes; `what` is `label` or `annotation`. */
export function splitResourcesAndPairs(args: string[], what: string): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const word of args) {
    if (isPair(word)) pairs.push(word);
    else if (pairs.length > 0) throw usageError(`all resources must be specified before ${what} changes: ${word}`);
    else resources.push(word);
  }
  return { resources, pairs };
}

/** `label`'s changes: one `=` exactly, and a value the API server would take. */
export function parseLabelPairs(pairs: string[]): PairChanges {
  const out: PairChanges = { set: new Map(), remove: [] };
  for (const spec of pairs) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) throw usageError(`invalid label spec: ${spec}`);
      const errs = labelValue(parts[1]!);
      if (errs.length) throw usageError(`invalid label value: ${JSON.stringify(spec)}: ${errs.join(';')}`);
      out.set.set(parts[0]!, parts[1]!);
    } else if (spec.endsWith('-')) {
      out.remove.push(spec.slice(0, -1));
    } else {
      throw usageError(`unknown label spec: ${spec}`);
    }
  }
  if (out.remove.some((k) => out.set.has(k))) throw usageError('can not both modify and remove a label in the same command');
  return out;
}

/** `annotate`'s changes: the value is everything after the first `=`. */
export function parseAnnotationPairs(pairs: string[]): PairChanges {
  const out: PairChanges = { set: new Map(), remove: [] };
  const invalid: string[] = [];
  for (const spec of pairs) {
    const eq = spec.indexOf('=');
    if (eq > 0) out.set.set(spec.slice(0, eq), spec.slice(eq + 1));
    else if (spec.endsWith('-') && spec !== '-') out.remove.push(spec.slice(0, -1));
    else invalid.push(spec);
  }
  if (invalid.length) throw usageError(`invalid annotation format: ${invalid.join(', ')}`);
  const both = out.remove.filter((k) => out.set.has(k));
  if (both.length) throw usageError(`can not both modify and remove the following annotation(s) in the same command: ${both.join(', ')}`);
  return out;
}

/** The annotation kubectl lets through without --overwrite (it records the command that made a change). */
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/**
 * The map after the changes. Without `overwrite`, a key that already holds a different value
 * refuses the whole change in kubectl's words for labels or annotations.
 */
export function changedMap(current: Record<string, string> | undefined, changes: PairChanges, what: 'label' | 'annotation', overwrite: boolean): Record<string, string> {
  const now = current ?? {};
  if (!overwrite) {
    const clashes = [...changes.set].filter(([k, v]) => k in now && now[k] !== v && !(what === 'annotation' && k === CHANGE_CAUSE));
    if (clashes.length && what === 'label') {
      const msgs = clashes.map(([k]) => `'${k}' already has a value (${now[k]}), and --overwrite is false`);
      // utilerrors.NewAggregate: one error reads alone, several in brackets.
      throw usageError(msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`);
    }
    if (clashes.length) {
      throw usageError(`--overwrite is false but found the following declared annotation(s): ${clashes.map(([k]) => `'${k}' already has a value (${now[k]})`).join('; ')}`);
    }
  }
  const next: Record<string, string> = { ...now };
  for (const [k, v] of changes.set) next[k] = v;
  for (const k of changes.remove) delete next[k];
  return next;
}

/** kubectl's word for what a label change did: `labeled`, `unlabeled`, `label(s) changed` or `not labeled`. */
export function labelChangeWord(before: Record<string, string> | undefined, after: Record<string, string>): string {
  const old = before ?? {};
  let added = false;
  let removed = false;
  for (const [k, v] of Object.entries(old)) {
    if (!(k in after)) removed = true;
    else if (after[k] !== v) added = true;
  }
  for (const k of Object.keys(after)) if (!(k in old)) added = true;
  if (added && removed) return 'label(s) changed';
  if (added) return 'labeled';
  if (removed) return 'unlabeled';
  return 'not labeled';
}
