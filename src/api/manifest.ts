// Reading manifests as kubectl does: YAML streams of `---`-separated documents or JSON, with
// `List` objects flattened. YAML is read the way the API machinery (go-yaml v2 via
// sigs.k8s.io/yaml) reads it, so a manifest means the same thing here as in a cluster.

import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { Document, DocumentOptions, ParseOptions, SchemaOptions, ToJSOptions, YAMLError } from 'yaml';
import { yaml } from './yaml-module';
import { ValidationError } from '../errors';
import { child, invalid, required } from './field-errors';
import { checkLexDepth, checkManifestSize, checkTokenDepth, readManifestFile } from './input-limits';

/** Any Kubernetes object: only `apiVersion` and `kind` are known before validation. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
};

const DROPPED_TAGS = ['intTime', 'floatTime', 'timestamp'];

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  // YAML 1.1 as go-yaml v2: yes/no/on/off are booleans, 0644 is octal.
  version: '1.1',
  // go-yaml v2 has no sexagesimal numbers (`1:20` stays a string) and hands timestamps to
  // sigs.k8s.io/yaml as strings, so those YAML 1.1 tags are left out.
  customTags: (tags) =>
    tags.filter((t) =>
      typeof t === 'string' ? !DROPPED_TAGS.includes(t) : !(t.format === 'TIME' || t.tag.endsWith(':timestamp')),
    ),
  uniqueKeys: true,
  merge: true,
  prettyErrors: false,
};

const TO_JS: ToJSOptions = { maxAliasCount: 1000 };

/**
 * Parses a YAML stream or a JSON document into objects, skipping empty documents and
 * flattening lists. Each object is checked to have string `apiVersion` and `kind`; the rest
 * is for validateObject. `source` names the input in syntax errors (`pod.yaml: line 3: ...`).
 */
export function parseManifests(text: string, source = '<input>'): KubeObject[] {
  // JSON is read by the YAML parser too (YAML is a superset), which finds duplicate keys; but
  // YAML also accepts what JSON does not (`{"a": }`), so JSON input must first pass JSON.parse.
  checkManifestSize(text, source);
  if (/^\s*[{[]/.test(text)) checkJSONSyntax(text, source);
  const lines = new (yaml().LineCounter)();
  // parseAllDocuments in two steps, so that the depth is checked on the parser's tokens (built
  // without recursion) before the composer (recursive) sees them.
  checkLexDepth(text, source, new (yaml().Lexer)());
  const tokens = Array.from(new (yaml().Parser)(lines.addNewLine).parse(text));
  checkTokenDepth(tokens, source, (offset) => lines.linePos(offset).line);
  const docs = Array.from(new (yaml().Composer)({ ...YAML_OPTIONS }).compose(tokens));
  const values: unknown[] = [];
  for (const doc of docs) {
    acceptQuoteEscapes(doc, text);
    const err = doc.errors[0];
    if (err) {
      const { line } = lines.linePos(err.pos[0]);
      throw new ValidationError('', `${source}: line ${line}: ${firstLine(err.message)}`);
    }
    // A document holding only comments, or nothing, has null contents: kubectl skips it.
    if (doc.contents === null) continue;
    const value = toJS(doc, source, (offset) => lines.linePos(offset).line);
    if (value === null || value === undefined) continue;
    values.push(value);
  }
  const objects: unknown[] = [];
  for (const v of values) objects.push(...flattenList(v));
  const multi = objects.length > 1;
  return objects.map((o, i) => checkTypeMeta(o, multi ? `[${i}]` : ''));
}

/**
 * `\'` in a double-quoted string: not a YAML escape, but go-yaml (libyaml's scanner) reads it as
 * `'`, so kubectl accepts manifests that have it (the documentation's envars-file-container.yaml
 * does). Those errors are dropped and the scalars holding one are decoded again with it as `'`.
 */
function acceptQuoteEscapes(doc: Document, text: string): void {
  const quoteEscape = (e: YAMLError) => e.code === 'BAD_DQ_ESCAPE' && text.slice(e.pos[0], e.pos[0] + 2) === "\\'";
  if (!doc.errors.some(quoteEscape)) return;
  doc.errors = doc.errors.filter((e) => !quoteEscape(e));
  yaml().visit(doc, {
    Scalar(_, node) {
      if (node.type !== 'QUOTE_DOUBLE' || !node.range) return;
      const src = text.slice(node.range[0], node.range[1]);
      // Escapes are read pairwise from the left, so `\\'` stays a backslash and a quote.
      if (src.includes("\\'")) node.value = yaml().parse(src.replace(/\\(.)/gs, (m: string, c: string) => (c === "'" ? "'" : m)));
    },
  });
}

/**
 * The document's value. What the yaml package finds only here is refused as go-yaml refuses it,
 * with podrun's typed error (it threw a bare ReferenceError for an alias to no anchor, or one
 * expanded too often), and so is a mapping key that is itself a mapping or a list
 * (sigs.k8s.io/yaml: unsupported map key; the yaml package stringified it with a process warning).
 */
function toJS(doc: Document, source: string, lineOf: (offset: number) => number): unknown {
  let bad: { offset: number; what: string } | undefined;
  yaml().visit(doc, {
    Pair(_, pair) {
      const key = pair.key as { range?: [number, number] } | null;
      if (yaml().isCollection(key)) {
        bad = { offset: key.range?.[0] ?? 0, what: 'a mapping key must be a scalar, not a mapping or a list' };
        return yaml().visit.BREAK;
      }
      return undefined;
    },
  });
  if (bad) throw new ValidationError('', `${source}: line ${lineOf(bad.offset)}: ${bad.what}`);
  try {
    return doc.toJS(TO_JS) as unknown;
  } catch (e) {
    // An alias before its anchor, or expanded more than maxAliasCount times.
    throw new ValidationError('', `${source}: ${firstLine((e as Error).message)}`);
  }
}

/** Reads and parses a manifest file; '-' reads standard input. */
export function loadManifestFile(path: string): KubeObject[] {
  const source = path === '-' ? '<stdin>' : path;
  return parseManifests(readManifestFile(path === '-' ? '/dev/stdin' : path, source), source);
}

/** `kind: List` (and typed lists such as PodList) stand for their items, as kubectl treats them. */
function flattenList(value: unknown): unknown[] {
  if (!isRecord(value) || typeof value.kind !== 'string' || !value.kind.endsWith('List') || !Array.isArray(value.items)) {
    return [value];
  }
  // Items of a typed list may leave out their kind and apiVersion: they are implied by the list's.
  const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
  return value.items.flatMap((item: unknown) => {
    if (itemKind && isRecord(item)) {
      item = { apiVersion: value.apiVersion, kind: itemKind, ...item };
    }
    return flattenList(item);
  });
}

function checkTypeMeta(value: unknown, root: string): KubeObject {
  if (!isRecord(value)) throw invalid(root, value, 'must be an object');
  for (const f of ['apiVersion', 'kind'] as const) {
    const v = value[f];
    if (v === undefined || v === null || v === '') throw required(child(root, f));
    if (typeof v !== 'string') throw invalid(child(root, f), v, 'must be a string');
  }
  return dropNulls(value) as KubeObject;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A copy without null-valued fields. The API server decodes JSON into Go structs, where a null
 * field is the same as an absent one; dropping them lets later code test `=== undefined` only.
 * Nulls inside arrays are kept: there they are errors, which validation reports.
 */
export function dropNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => dropNulls(v)) as T;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out as T;
}

function checkJSONSyntax(text: string, source: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // V8 gives a position for most errors; for an unexpected token it quotes the token instead,
    // and the first such character outside a string is taken as the place.
    const pos = /at position (\d+)/.exec(message);
    const token = /^Unexpected token '(.)'/.exec(message);
    const at = pos ? Number(pos[1]) : token ? indexOutsideStrings(text, token[1]) : 0;
    const line = text.slice(0, at).split('\n').length;
    const detail = message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    throw new ValidationError('', `${source}: line ${line}: ${detail}`);
  }
}

function indexOutsideStrings(text: string, ch: string): number {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ch) return i;
  }
  return 0;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
