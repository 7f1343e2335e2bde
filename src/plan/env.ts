// A container's environment, built as the kubelet builds it (makeEnvironmentVariables) and
// expanded with Kubernetes' `$(VAR)` syntax (third_party/forked/golang/expansion).

import type { EnvFromSource, EnvVar, ResourceFieldSelector } from 'kubernetes-types/core/v1';
import type { FileKeySelector } from '../api/newer-fields';
import { PodrunError } from '../errors';
import { envVarName } from '../api/names';

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/**
 * Expands `$(NAME)` references in `input`, exactly as Kubernetes does:
 * - `$(NAME)` becomes `mapping(NAME)` when that is defined, and stays as written when not;
 * - `$$` becomes `$`, so `$$(NAME)` is the literal text `$(NAME)`;
 * - an unterminated `$(` and a `$` before any other character (or at the end) stay as they are.
 * Values substituted are not expanded again.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === OPERATOR) {
      // An escaped operator: `$$` stands for one `$`.
      out += OPERATOR;
    } else if (next === OPENER) {
      const close = input.indexOf(CLOSER, cursor + 2);
      if (close < 0) {
        // An incomplete reference is copied; scanning goes on after the `(`.
        out += OPERATOR + OPENER;
      } else {
        const name = input.slice(cursor + 2, close);
        out += mapping(name) ?? `${OPERATOR}${OPENER}${name}${CLOSER}`;
        advance = close - cursor;
      }
    } else {
      // An operator that does not begin an expression is copied with the character after it.
      out += OPERATOR + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** Where valueFrom and envFrom look things up. Returning undefined means "does not exist". */
export interface EnvSources {
  /** The pod's namespace, for error messages; 'default' when not given. */
  readonly namespace?: string;
  /** A ConfigMap's data by name (binaryData is not offered to env, as in the kubelet). */
  configMap(name: string): Record<string, string> | undefined;
  /** A Secret's content by name, already decoded (see secretData). */
  secret(name: string): Record<string, string> | undefined;
  /** A downward API field (`metadata.name`, `status.podIP`, `metadata.labels['app']`): '' for an absent label; undefined for an unsupported path. */
  fieldRef(path: string): string | undefined;
  /** A container resource (`limits.memory`) already divided by its divisor; undefined if unsupported. */
  resourceFieldRef?(ref: ResourceFieldSelector): string | undefined;
  /** The text of a file in one of the pod's emptyDir volumes; undefined when it does not exist. Throws for a volume that is not one. */
  volumeFile?(volumeName: string, path: string): string | undefined;
}

/**
 * An env file as EnvFiles reads it: `KEY=VALUE` lines, blank lines and `#` comments skipped,
 * a value in single or double quotes taken without them.
 */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0]!)) value = value.slice(1, -1);
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

/** The plain content of a Secret: `data` decoded from base64, with `stringData` over it as the API server merges them. */
export function secretData(secret: { data?: Record<string, string>; stringData?: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

export interface EnvEntry {
  name: string;
  value: string;
}

/** An image's `NAME=value` list by name, in order; an entry without '=' names a variable with no value (runtimes keep it as empty). */
export function imageEnvMap(imageEnv: string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const kv of imageEnv) {
    const eq = kv.indexOf('=');
    if (eq < 0) env.set(kv, '');
    else env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return env;
}

/**
 * The environment a container starts with.
 * - The image's env comes first; then envFrom sources in order, each key under its prefix
 *   (keys that are not valid variable names are skipped, as the kubelet skips them); then `env`
 *   in definition order. A later definition of a name replaces the earlier one in its place.
 * - A `value` is expanded against what is defined before it: image env, envFrom, earlier `env`.
 *   (The kubelet itself never sees the image's env, which the runtime merges afterwards; podrun
 *   has both at hand, so `$(PATH)` in a value resolves against the image's PATH.)
 * - A missing non-optional ConfigMap, Secret or key throws the kubelet's CreateContainerConfigError message.
 */
export function buildEnv(containerEnv: EnvVar[], imageEnv: string[], sources?: EnvSources, envFrom: EnvFromSource[] = []): EnvEntry[] {
  const env = imageEnvMap(imageEnv);
  const ns = sources?.namespace ?? 'default';

  for (const ef of envFrom) {
    const ref = ef.configMapRef ?? ef.secretRef;
    if (!ref) continue;
    const isSecret = !ef.configMapRef;
    const data = isSecret ? sources?.secret(ref.name ?? '') : sources?.configMap(ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw missingObject(isSecret, ref.name ?? '');
    }
    for (const [k, v] of Object.entries(data)) {
      const name = (ef.prefix ?? '') + k;
      if (envVarName(name).length === 0) env.set(name, v);
    }
  }

  const mapping = (name: string): string | undefined => env.get(name);
  for (const ev of containerEnv) {
    let value = ev.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (ev.valueFrom) {
      const resolved = resolveValueFrom(ev, sources, ns);
      if (resolved === undefined) continue; // an optional reference that is absent: the variable is left out
      value = resolved;
    }
    env.set(ev.name, value);
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

function resolveValueFrom(ev: EnvVar, sources: EnvSources | undefined, ns: string): string | undefined {
  const from = ev.valueFrom ?? {};
  if (from.fieldRef) {
    const v = sources?.fieldRef(from.fieldRef.fieldPath);
    if (v === undefined) throw new PodrunError('Invalid', `unsupported fieldPath: ${from.fieldRef.fieldPath}`);
    return v;
  }
  if (from.resourceFieldRef) {
    const v = sources?.resourceFieldRef?.(from.resourceFieldRef);
    if (v === undefined) throw new PodrunError('Invalid', `unsupported container resource: ${from.resourceFieldRef.resource}`);
    return v;
  }
  const fileRef = (from as { fileKeyRef?: FileKeySelector }).fileKeyRef;
  if (fileRef) {
    const text = sources?.volumeFile?.(fileRef.volumeName, fileRef.path);
    if (text === undefined) {
      if (fileRef.optional) return undefined;
      throw new PodrunError('Invalid', `couldn't read env file ${fileRef.path} in volume ${fileRef.volumeName}: not found`);
    }
    const value = parseEnvFile(text).get(fileRef.key);
    if (value === undefined) {
      if (fileRef.optional) return undefined;
      throw new PodrunError('Invalid', `couldn't find key ${fileRef.key} in env file ${fileRef.path} of volume ${fileRef.volumeName}`);
    }
    return value;
  }
  const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
  if (!keyRef) return '';
  const isSecret = !from.configMapKeyRef;
  const name = keyRef.name ?? '';
  const data = isSecret ? sources?.secret(name) : sources?.configMap(name);
  if (!data) {
    if (keyRef.optional) return undefined;
    throw missingObject(isSecret, name);
  }
  if (!Object.hasOwn(data, keyRef.key)) {
    if (keyRef.optional) return undefined;
    throw new PodrunError('Invalid', `couldn't find key ${keyRef.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${ns}/${name}`);
  }
  return data[keyRef.key];
}

/** The API's NotFound message, which the kubelet shows as the CreateContainerConfigError. */
function missingObject(isSecret: boolean, name: string): PodrunError {
  return new PodrunError('Invalid', `${isSecret ? 'secret' : 'configmap'} "${name}" not found`);
}
