// The API's own descriptions of its types, read from kubernetes-types: its .d.ts files carry
// every field's doc comment from the OpenAPI schema, so `podrun explain` can say what the API
// server says without shipping a schema of its own. Read when asked (a few files, once each),
// rather than turned into JSON at build time: kubernetes-types is a runtime dependency, so the
// text is present wherever podrun is installed, and there is no generated copy to fall out of
// step with it. The files are generated in one regular shape (doc comment, `export interface`,
// members `name?: type;`), which is all this reader knows.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A field's type as the schema would give it. */
export type TypeRef =
  | { kind: 'primitive'; name: 'string' | 'integer' | 'boolean' | 'number' | 'Object' }
  | { kind: 'array'; of: TypeRef }
  | { kind: 'map'; of: TypeRef }
  | { kind: 'named'; name: string; module: string };

export interface FieldDoc {
  name: string;
  type: TypeRef;
  required: boolean;
  description: string;
}

export interface TypeDoc {
  name: string;
  description: string;
  /** An object's fields, sorted by name; undefined for a scalar (an alias such as Time). */
  fields?: FieldDoc[];
  /** What a type alias stands for. */
  alias?: TypeRef;
}

interface Module {
  imports: Map<string, string>;
  types: Map<string, { description: string; body?: string; alias?: string }>;
}

/**
 * PodPreset (settings.k8s.io/v1alpha1) left Kubernetes in 1.20 and so kubernetes-types; podrun
 * keeps the kind, so its descriptions (from the last API that had them) are given here in the
 * same shape as the generated files, and read by the same reader.
 */
const SETTINGS_V1ALPHA1 = `import { EnvFromSource, EnvVar, Volume, VolumeMount } from "../core/v1";
import { LabelSelector, ObjectMeta } from "../meta/v1";
/** PodPreset is a policy resource that defines additional runtime requirements for a Pod. */
export interface PodPreset {
    /** APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources */
    apiVersion?: "settings.k8s.io/v1alpha1";
    /** Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds */
    kind?: "PodPreset";
    /** Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata */
    metadata?: ObjectMeta;
    spec?: PodPresetSpec;
}
/** PodPresetSpec is a description of a pod preset. */
export interface PodPresetSpec {
    /** Env defines the collection of EnvVar to inject into containers. */
    env?: Array<EnvVar>;
    /** EnvFrom defines the collection of EnvFromSource to inject into containers. */
    envFrom?: Array<EnvFromSource>;
    /** Selector is a label query over a set of resources, in this case pods. Required. */
    selector?: LabelSelector;
    /** VolumeMounts defines the collection of VolumeMount to inject into containers. */
    volumeMounts?: Array<VolumeMount>;
    /** Volumes defines the collection of Volume to inject into the pod. */
    volumes?: Array<Volume>;
}
`;

/** Types the schema names although they are scalars (no `type` in their OpenAPI schema). */
const NAMED_SCALARS = new Set(['Quantity', 'IntOrString']);

/** `number | string` in kubernetes-types is the schema's IntOrString, which has no declaration of its own there. */
const INT_OR_STRING: TypeDoc = {
  name: 'IntOrString',
  description:
    'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
};

/** The text of a doc comment, without its markers; continuation lines keep their own breaks. */
function docText(comment: string): string {
  const inner = comment.replace(/^\/\*\*/, '').replace(/\*\/$/, '');
  const lines = inner.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  if (lines.length === 1) return lines[0]!.trim().replace(/\*\\\//g, '*/');
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  return lines.join('\n').replace(/\*\\\//g, '*/');
}

/** The index just after the `close` that matches the `open` at `from`. */
function matching(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text.startsWith('/**', i)) {
      i = text.indexOf('*/', i + 3) + 1;
      continue;
    }
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i + 1;
  }
  return text.length;
}

function parseModule(text: string): Module {
  const mod: Module = { imports: new Map(), types: new Map() };
  let doc = '';
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    if (text.startsWith('/**', i)) {
      const end = text.indexOf('*/', i) + 2;
      doc = docText(text.slice(i, end));
      i = end;
      continue;
    }
    const semi = text.indexOf(';', i);
    const line = text.slice(i, text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i));
    const imp = /^import \{([^}]*)\} from "([^"]+)";/.exec(text.slice(i, semi + 1));
    const iface = /^export interface (\w+) \{/.exec(line);
    const alias = /^export type (\w+) = /.exec(line);
    if (imp) {
      for (const name of imp[1]!.split(',').map((s) => s.trim()).filter(Boolean)) mod.imports.set(name, imp[2]!);
      i = semi + 1;
    } else if (iface) {
      const open = text.indexOf('{', i);
      const end = matching(text, open, '{', '}');
      mod.types.set(iface[1]!, { description: doc, body: text.slice(open + 1, end - 1) });
      i = end;
    } else if (alias) {
      mod.types.set(alias[1]!, { description: doc, alias: text.slice(i + alias[0].length, semi).trim() });
      i = semi + 1;
    } else {
      // Anything else (a comment line, a declaration this reader does not need): skip the line.
      i += Math.max(line.length, 1);
    }
    doc = '';
  }
  return mod;
}

/** The members of an interface body: each `name?: type;` with the doc comment before it. */
function parseMembers(body: string): { name: string; optional: boolean; type: string; description: string }[] {
  const out: { name: string; optional: boolean; type: string; description: string }[] = [];
  let doc = '';
  let i = 0;
  while (i < body.length) {
    if (/\s/.test(body[i]!)) {
      i++;
      continue;
    }
    if (body.startsWith('/**', i)) {
      const end = body.indexOf('*/', i) + 2;
      doc = docText(body.slice(i, end));
      i = end;
      continue;
    }
    // A member runs to the `;` outside any braces or angle brackets (`data?: { [name: string]: string; };`).
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === '{' || c === '<') depth++;
      else if (c === '}' || c === '>') depth--;
      else if (c === ';' && depth === 0) break;
    }
    const m = /^(?:readonly\s+)?("[^"]+"|[\w$]+)(\?)?:\s*([\s\S]+)$/.exec(body.slice(i, j).trim());
    if (m) out.push({ name: m[1]!.replace(/^"|"$/g, ''), optional: m[2] === '?', type: m[3]!.replace(/\s+/g, ' ').trim(), description: doc });
    doc = '';
    i = j + 1;
  }
  return out;
}

function parseType(text: string, module: string): TypeRef {
  const t = text.trim();
  if (t === 'string' || /^"[^"]*"$/.test(t)) return { kind: 'primitive', name: 'string' };
  // The schema's integers and numbers are both `number` in TypeScript; integers are by far the most.
  if (t === 'number') return { kind: 'primitive', name: 'integer' };
  if (t === 'boolean') return { kind: 'primitive', name: 'boolean' };
  if (t === 'number | string' || t === 'string | number') return { kind: 'named', name: 'IntOrString', module };
  const arr = /^Array<(.+)>$/.exec(t);
  if (arr) return { kind: 'array', of: parseType(arr[1]!, module) };
  const map = /^\{ ?\[\w+: string\]: (.+?);? ?\}$/.exec(t);
  if (map) return { kind: 'map', of: parseType(map[1]!, module) };
  if (/^\w+$/.test(t)) return { kind: 'named', name: t, module };
  return { kind: 'primitive', name: 'Object' };
}

/** Reads kubernetes-types' declarations (and the PodPreset supplement); each file once. */
export class TypeDocs {
  private readonly modules = new Map<string, Module>();
  private readonly types = new Map<string, TypeDoc | undefined>();

  constructor(private readonly dir: string = path.dirname(require.resolve('kubernetes-types/package.json'))) {}

  /** The module path (`core/v1`, `apps/v1`) that declares the kinds of an apiVersion. */
  static moduleOf(apiVersion: string): string {
    if (!apiVersion.includes('/')) return `core/${apiVersion}`;
    const [group, version] = apiVersion.split('/');
    return `${group!.split('.')[0]}/${version}`;
  }

  private module(name: string): Module | undefined {
    if (this.modules.has(name)) return this.modules.get(name);
    let text: string | undefined;
    if (name === 'settings/v1alpha1') text = SETTINGS_V1ALPHA1;
    else {
      try {
        text = fs.readFileSync(path.join(this.dir, `${name}.d.ts`), 'utf8');
      } catch {
        text = undefined;
      }
    }
    const mod = text === undefined ? undefined : parseModule(text);
    if (mod) this.modules.set(name, mod);
    return mod;
  }

  /** The declaration of `name` as seen from `module` (following its imports), if any. */
  type(name: string, module: string): TypeDoc | undefined {
    if (name === 'IntOrString') return INT_OR_STRING;
    const mod = this.module(module);
    if (!mod) return undefined;
    const from = mod.imports.get(name);
    if (from) return this.type(name, path.posix.normalize(path.posix.join(path.posix.dirname(module), from)));
    const key = `${module}#${name}`;
    if (this.types.has(key)) return this.types.get(key);
    const raw = mod.types.get(name);
    let doc: TypeDoc | undefined;
    if (raw?.body !== undefined) {
      const fields = parseMembers(raw.body)
        .map((m) => ({ name: m.name, type: parseType(m.type, module), required: !m.optional, description: m.description }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      doc = { name, description: raw.description, fields };
    } else if (raw?.alias !== undefined) {
      doc = { name, description: raw.description, alias: parseType(raw.alias, module) };
    }
    this.types.set(key, doc);
    return doc;
  }

  /** The declaration a reference names; undefined for primitives, arrays and maps. */
  resolve(ref: TypeRef): TypeDoc | undefined {
    return ref.kind === 'named' ? this.type(ref.name, ref.module) : undefined;
  }

  /** The type as kubectl explain prints it: `string`, `integer`, `[]Container`, `map[string]string`, `ObjectMeta`. */
  typeName(ref: TypeRef): string {
    switch (ref.kind) {
      case 'primitive':
        return ref.name;
      case 'array':
        return `[]${this.typeName(ref.of)}`;
      case 'map':
        return `map[string]${this.typeName(ref.of)}`;
      case 'named': {
        if (NAMED_SCALARS.has(ref.name)) return ref.name;
        const doc = this.resolve(ref);
        // An alias of a scalar (Time, MicroTime) prints as the scalar, as its schema's type is.
        if (doc?.alias) return this.typeName(doc.alias);
        return doc ? ref.name : 'Object';
      }
    }
  }
}
