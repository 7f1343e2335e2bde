// What `wait --for=` means, as kubectl reads it: `delete`, `condition=Ready` (status True),
// `condition=Ready=false`, and `jsonpath={.status.phase}=Succeeded` (or without `=value`: the
// path exists). Condition types and values compare case-insensitively, as kubectl compares them.

import type { Pod } from 'kubernetes-types/core/v1';
import { evaluate, formatValue, parseJSONPath } from './jsonpath';
import { stripQuotes } from './pod-output';
import { usageError } from './report-error';

export type WaitCondition = { kind: 'delete' } | { kind: 'pod'; test: (pod: Pod) => boolean };

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export function parseWaitFor(spec: string | undefined): WaitCondition {
  if (!spec) throw usageError('--for must be specified: delete, condition=CONDITION[=VALUE] or jsonpath=JSONPATH[=VALUE]');
  if (same(spec, 'delete')) return { kind: 'delete' };
  const cond = /^condition=(.+)$/i.exec(spec);
  if (cond) {
    const body = cond[1]!;
    const eq = body.indexOf('=');
    const type = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? 'True' : body.slice(eq + 1);
    return {
      kind: 'pod',
      test: (pod) => (pod.status?.conditions ?? []).some((c) => same(c.type, type) && same(c.status, value)),
    };
  }
  const jp = /^jsonpath=(.+)$/is.exec(spec);
  if (jp) {
    const { expr, value } = splitJSONPathSpec(jp[1]!);
    const steps = parseJSONPath(expr);
    return {
      kind: 'pod',
      test: (pod) => {
        const found = evaluate(steps, pod);
        if (value === undefined) return found.length > 0;
        // kubectl compares a single plain value; lists and objects never match a value.
        if (found.length !== 1) return false;
        const v = found[0];
        return typeof v !== 'object' && formatValue(v) === value;
      },
    };
  }
  throw usageError(`unrecognized condition: "${spec}"`);
}

/**
 * `{.a.b}=x` → expression and value, the value unquoted. The closing brace ends the expression;
 * shell quotes that reached us unstripped (`'{.a}'=x`, from a script without a shell) are allowed.
 */
export function splitJSONPathSpec(s: string): { expr: string; value?: string } {
  const finish = (expr: string, rest: string): { expr: string; value?: string } => {
    if (rest === '') return { expr };
    if (!rest.startsWith('=')) throw usageError(`unrecognized condition: "jsonpath=${s}"`);
    return { expr, value: stripQuotes(rest.slice(1)) };
  };
  const unquoted = stripQuotes(s);
  if (unquoted !== s && unquoted.startsWith('{') && !unquoted.includes(s[0]!)) return splitJSONPathSpec(unquoted);
  const q = s[0];
  if (q === "'" || q === '"') {
    const end = s.indexOf(q, 1);
    if (end < 0) throw usageError(`unrecognized condition: "jsonpath=${s}": unclosed quote`);
    return finish(s.slice(1, end), s.slice(end + 1));
  }
  if (!s.startsWith('{')) throw usageError(`jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'`);
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return finish(s.slice(0, i + 1), s.slice(i + 1));
  }
  throw usageError(`unrecognized condition: "jsonpath=${s}": unclosed {`);
}
