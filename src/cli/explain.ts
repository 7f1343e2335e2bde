// kubectl explain's page for a kind or one of its fields, laid out as kubectl's plaintext
// template lays it out (KIND/VERSION, FIELD, DESCRIPTION wrapped at 76 columns, FIELDS with a
// tab between name and <type>, -required- marks; --recursive: the field tree, two spaces a
// level), from the descriptions in kubernetes-types (src/api/type-docs.ts).

import { TypeDocs, type FieldDoc, type TypeDoc, type TypeRef } from '../api/type-docs';
import { usageError } from './report-error';

/**
 * Word wrap as sprig's `wrap` does it, line by line: a line longer than `width` breaks at its
 * last space within reach; a word longer than the width (a URL) stays whole on its own line.
 */
export function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let rest = line;
      while (rest.length > width) {
        if (rest.startsWith(' ')) {
          rest = rest.slice(1);
          continue;
        }
        let at = rest.lastIndexOf(' ', width);
        if (at <= 0) at = rest.indexOf(' ', width);
        if (at < 0) break;
        out.push(rest.slice(0, at));
        rest = rest.slice(at + 1);
      }
      out.push(rest);
      return out.join('\n');
    })
    .join('\n');
}

/** sprig's `indent`: every line, the empty last one too, gets the pad. */
function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return pad + text.replace(/\n/g, `\n${pad}`);
}

/** The named type under arrays and maps (`[]Container` -> Container). */
function element(ref: TypeRef): TypeRef {
  return ref.kind === 'array' || ref.kind === 'map' ? element(ref.of) : ref;
}

export interface ExplainRequest {
  kind: string;
  apiVersion: string;
  /** The fields after the resource: `spec.containers` -> ['spec', 'containers']. */
  fieldPath: string[];
  recursive: boolean;
}

function fieldList(docs: TypeDocs, type: TypeDoc | undefined, level: number, recursive: boolean, seen: Set<string>): string {
  let out = '';
  for (const f of type?.fields ?? []) out += fieldDetail(docs, f, level, recursive, seen);
  return out;
}

function fieldDetail(docs: TypeDocs, f: FieldDoc, level: number, recursive: boolean, seen: Set<string>): string {
  const n = level * 2;
  let out = `${' '.repeat(n)}${f.name}\t<${docs.typeName(f.type)}>${f.required ? ' -required-' : ''}\n`;
  if (!recursive) return out + indent(wrap(f.description || '<no description>', 78 - n), n + 2) + '\n\n';
  // A type met again on its own path (JSONSchemaProps in itself) would never end: stop there.
  const inner = element(f.type);
  if (inner.kind !== 'named' || seen.has(inner.name)) return out;
  const doc = docs.resolve(inner);
  return out + fieldList(docs, doc, level + 1, recursive, new Set([...seen, inner.name]));
}

/** The explain page; throws kubectl's error for a field that does not exist. */
export function explain(docs: TypeDocs, req: ExplainRequest): string {
  const module = TypeDocs.moduleOf(req.apiVersion);
  const root = docs.type(req.kind, module);
  if (!root) throw usageError(`GVK ${req.apiVersion}, Kind=${req.kind} not found in OpenAPI schema`);
  const group = req.apiVersion.includes('/') ? req.apiVersion.split('/')[0] : '';
  let out = group ? `GROUP:      ${group}\n` : '';
  out += `KIND:       ${req.kind}\nVERSION:    ${req.apiVersion.split('/').at(-1)}\n\n`;

  let type: TypeDoc | undefined = root;
  let field: FieldDoc | undefined;
  const seen = new Set([req.kind]);
  for (const name of req.fieldPath) {
    field = type?.fields?.find((f) => f.name === name);
    // kubectl names the last field of the path, whichever one was missing.
    if (!field) throw usageError(`field "${req.fieldPath.at(-1)}" does not exist`);
    const inner = element(field.type);
    type = docs.resolve(inner);
    if (inner.kind === 'named') seen.add(inner.name);
  }
  let description: string;
  if (field) {
    out += `FIELD: ${field.name} <${docs.typeName(field.type)}>\n\n\n`;
    // The field's own words, then its type's (as the schema's allOf reference adds them).
    description = (field.description ? `${field.description}\n` : '') + (type?.description ? `${type.description}\n` : '');
  } else {
    description = root.description ? `${root.description}\n` : '';
  }
  out += `DESCRIPTION:\n${indent(wrap(description || '<empty>', 76), 4)}\n`;
  const fields = fieldList(docs, type, 1, req.recursive, seen);
  if (fields) out += `FIELDS:\n${fields}`;
  return out + '\n';
}
