// Label selectors as the API machinery evaluates them: a LabelSelector (matchLabels and
// matchExpressions In/NotIn/Exists/DoesNotExist), and the string form of `-l` (equality
// `a=b`, `a==b`, `a!=b`; set-based `a in (x,y)`, `a notin (x)`, `a`, `!a`).
import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1';
import { ValidationError } from '../errors';

export type Labels = Readonly<Record<string, string>> | undefined;

export interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

function matches(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels![r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels![r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** The requirements of a LabelSelector: every one must hold. */
export function selectorRequirements(sel: LabelSelector): Requirement[] {
  const out: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  for (const e of (sel.matchExpressions ?? []) as LabelSelectorRequirement[]) out.push({ key: e.key, operator: e.operator as Requirement['operator'], values: e.values ?? [] });
  return out;
}

/**
 * Whether `labels` satisfy the selector. An empty selector ({}) matches everything; a missing
 * one (undefined) nothing, as for controllers' selectors.
 */
export function selectorMatches(sel: LabelSelector | undefined, labels: Labels): boolean {
  if (!sel) return false;
  return selectorRequirements(sel).every((r) => matches(r, labels));
}

/** Whether labels satisfy a map selector (a ReplicationController's, a nodeSelector): each pair present. */
export function mapSelectorMatches(sel: Labels, labels: Labels): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  return Object.entries(sel).every(([k, v]) => labels?.[k] === v);
}

/** Parses the string selector of `-l`; throws naming the part it cannot read. */
export function parseSelector(text: string): Requirement[] {
  const out: Requirement[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() || parts.length) parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) throw new ValidationError('', `unable to parse requirement: found '', expected: identifier`);
    let m: RegExpExecArray | null;
    if ((m = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      out.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '' || m![3]!.trim() === '') });
    } else if ((m = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(p))) {
      out.push({ key: m[1]!, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]!] });
    } else if ((m = /^!\s*([A-Za-z0-9._/-]+)$/.exec(p))) {
      out.push({ key: m[1]!, operator: 'DoesNotExist', values: [] });
    } else if ((m = /^([A-Za-z0-9._/-]+)$/.exec(p))) {
      out.push({ key: m[1]!, operator: 'Exists', values: [] });
    } else {
      throw new ValidationError('', `unable to parse requirement: ${JSON.stringify(p)}`);
    }
  }
  return out;
}

/** Whether labels satisfy parsed requirements (an empty list: everything). */
export function requirementsMatch(reqs: Requirement[], labels: Labels): boolean {
  return reqs.every((r) => matches(r, labels));
}
