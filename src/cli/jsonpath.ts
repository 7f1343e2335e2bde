// A small JSONPath, the subset of kubectl's (k8s.io/client-go/util/jsonpath) that `wait
// --for=jsonpath=` and `get -o jsonpath=` need: `{.a.b}`, `[n]` (negative counts from the end),
// `[*]`, `.*`, and filters `[?(@.name=="x")]` with == and != on a relative path. Anything else is
// refused by name rather than silently matching nothing.

export type Step =
  | { op: 'field'; name: string }
  | { op: 'index'; index: number }
  | { op: 'all' }
  | { op: 'filter'; path: Step[]; cmp: '==' | '!='; value: string | number | boolean | null };

export class JSONPathError extends Error {
  constructor(expr: string, why: string) {
    super(`error parsing jsonpath ${expr}, ${why}`);
    this.name = 'JSONPathError';
  }
}

/** Parses one expression, braces optional: `{.status.phase}` or `.status.phase`. */
export function parseJSONPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  return parseSteps(s, expr);
}

function parseSteps(s: string, whole: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') throw new JSONPathError(whole, 'recursive descent (..) is not supported');
      const m = /^[^.[\]\s]*/.exec(s.slice(i + 1))!;
      i += 1 + m[0].length;
      if (m[0] === '*') steps.push({ op: 'all' });
      else if (m[0] !== '') steps.push({ op: 'field', name: m[0] });
      // `{.}` names the object itself: no step.
    } else if (c === '[') {
      const end = closingBracket(s, i);
      if (end < 0) throw new JSONPathError(whole, 'unclosed [');
      steps.push(parseBracket(s.slice(i + 1, end).trim(), whole));
      i = end + 1;
    } else {
      throw new JSONPathError(whole, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
  return steps;
}

/** The index of the `]` matching the `[` at `open`, skipping brackets inside quoted strings. */
function closingBracket(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseBracket(inner: string, whole: string): Step {
  if (inner === '*') return { op: 'all' };
  if (/^-?\d+$/.test(inner)) return { op: 'index', index: Number(inner) };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { op: 'field', name: quoted[2]! };
  const filter = /^\?\(\s*@((?:\.[^.\s=!]+|\[[^\]]*\])*)\s*(==|!=)\s*(.+?)\s*\)$/.exec(inner);
  if (filter) {
    return { op: 'filter', path: parseSteps(filter[1]!, whole), cmp: filter[2] as '==' | '!=', value: literal(filter[3]!, whole) };
  }
  throw new JSONPathError(whole, `unsupported expression [${inner}]`);
}

function literal(s: string, whole: string): string | number | boolean | null {
  const q = /^(['"])(.*)\1$/.exec(s);
  if (q) return q[2]!;
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  throw new JSONPathError(whole, `unrecognized literal ${s}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every value the path reaches; a path through a missing field reaches nothing. */
export function evaluate(steps: Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.op) {
        case 'field':
          if (isRecord(v) && step.name in v && v[step.name] !== undefined) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isRecord(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) next.push(...v.filter((item) => matches(step, item)));
          break;
      }
    }
    current = next;
  }
  return current;
}

function matches(step: Extract<Step, { op: 'filter' }>, item: unknown): boolean {
  const found = evaluate(step.path, item);
  const equal = found.length > 0 && found.some((f) => f === step.value);
  return step.cmp === '==' ? equal : found.length > 0 && !equal;
}

/** A value as kubectl's jsonpath prints it: strings bare, everything else as JSON. */
export function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Renders a template as `get -o jsonpath=` does: text outside braces verbatim, each `{expr}`
 * replaced by its results joined with spaces.
 */
export function renderTemplate(template: string, root: unknown): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('}', open);
    if (close < 0) throw new JSONPathError(template, 'unclosed action');
    out += evaluate(parseJSONPath(template.slice(open, close + 1)), root).map(formatValue).join(' ');
    i = close + 1;
  }
  return out;
}
