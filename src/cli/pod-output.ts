// The non-table outputs of `get`: -o json, yaml, name and jsonpath. One named pod prints as the
// object; several, or a listing, as a `List` with `items`, as kubectl prints them.

import type { Pod } from 'kubernetes-types/core/v1';
import { yaml } from '../api/yaml-module';
import { renderTemplate } from './jsonpath';
import { usageError } from './report-error';

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'json' | 'yaml' | 'name' } | { kind: 'jsonpath'; template: string };

export function parseOutputFormat(o: string | undefined): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'json' || o === 'yaml' || o === 'name') return { kind: o };
  const jp = /^jsonpath=(.*)$/s.exec(o);
  if (jp) return { kind: 'jsonpath', template: stripQuotes(jp[1]!) };
  throw usageError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,name,wide,yaml`);
}

/** A template quoted for the shell but passed without one (`'{.a}'`) still means `{.a}`. */
export function stripQuotes(s: string): string {
  const m = /^(['"])(.*)\1$/s.exec(s);
  return m ? m[2]! : s;
}

/** The pod with its type fields first, in kubectl's field order for the top level. */
export function podObject(pod: Pod): Pod {
  const { apiVersion, kind, metadata, spec, status, ...rest } = pod;
  return { apiVersion: apiVersion ?? 'v1', kind: kind ?? 'Pod', metadata, spec, status, ...rest } as Pod;
}

export function listObject(pods: Pod[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: pods.map(podObject), kind: 'List', metadata: { resourceVersion: '' } };
}

/** Keys sorted at every level, as kubectl's YAML printer (sigs.k8s.io/yaml via a map) emits them. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

/** The text for json/yaml/name/jsonpath output; `single` when one pod was asked for by name. */
export function renderPods(pods: Pod[], format: Exclude<OutputFormat, { kind: 'table' }>, single: boolean): string {
  const doc = single && pods.length === 1 ? podObject(pods[0]!) : listObject(pods);
  return renderDocument(doc, format, pods.map((p) => `pod/${p.metadata?.name ?? ''}`));
}

/** One object or a List, as kubectl prints it: `names` are the `-o name` lines (`pod/web`). */
export function renderDocument(doc: unknown, format: Exclude<OutputFormat, { kind: 'table' }>, names: string[]): string {
  switch (format.kind) {
    case 'json':
      return JSON.stringify(doc, null, 4) + '\n';
    case 'yaml':
      return yaml().stringify(sortKeys(doc), { indentSeq: false, lineWidth: 0 });
    case 'name':
      return names.map((n) => `${n}\n`).join('');
    case 'jsonpath':
      return renderTemplate(format.template, doc);
  }
}
