// The files of configMap, secret, downwardAPI and projected volumes, as the kubelet projects
// them: every key (or the listed items) as a file under the volume, each with its item's mode
// or the volume's defaultMode. A projected volume is the union of its sources' files. Its
// serviceAccountToken source gets a placeholder: there is no API server here to sign a token
// (see serviceAccountToken below).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, KeyToPath, Pod, Secret, ServiceAccountTokenProjection, VolumeProjection } from 'kubernetes-types/core/v1';
import { PodrunError, ValidationError } from '../errors';
import { secretData, type EnvSources } from '../plan/env';

/** A file to write: its path in the volume, its content, its mode. */
export type Entry = [string, Buffer, number];

export interface ObjectLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** The host folder of a bound PersistentVolumeClaim's volume. */
  claimPath?(namespace: string, name: string): string | undefined;
}

/** The entries of data by its keys, or by `items` (key -> path, mode) when given. */
function keyed(data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, field: string, optional: boolean): Entry[] {
  if (!items?.length) return Object.entries(data).map(([k, v]) => [k, v, defaultMode]);
  const out: Entry[] = [];
  items.forEach((it, i) => {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) return;
      throw new PodrunError('Invalid', `${field}.items[${i}].key: couldn't find key ${it.key}`);
    }
    out.push([it.path, v, it.mode ?? defaultMode]);
  });
  return out;
}

export function configMapEntries(ns: string, ref: { name?: string; items?: KeyToPath[]; optional?: boolean }, objects: ObjectLookup, defaultMode: number, field: string): Entry[] {
  const cm = objects.configMap(ns, ref.name ?? '');
  if (!cm && !ref.optional) throw new PodrunError('Invalid', `${field}.name: configmap "${ref.name}" not found`);
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
  return keyed(data, ref.items, defaultMode, field, !!ref.optional);
}

export function secretEntries(ns: string, name: string, ref: { items?: KeyToPath[]; optional?: boolean }, objects: ObjectLookup, defaultMode: number, field: string, nameField: string): Entry[] {
  const s = objects.secret(ns, name);
  if (!s && !ref.optional) throw new PodrunError('Invalid', `${field}.${nameField}: secret "${name}" not found`);
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s ? secretData(s) : {})) data[k] = Buffer.from(v, 'binary');
  return keyed(data, ref.items, defaultMode, field, !!ref.optional);
}

/** The downward API's text for a field: labels and annotations as sorted `key="value"` lines. */
function downwardValue(pod: Pod, fieldPath: string, sources: EnvSources): string | undefined {
  if (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations') {
    const map = (fieldPath === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  }
  return sources.fieldRef(fieldPath);
}

export function downwardEntries(pod: Pod, items: NonNullable<VolumeProjection['downwardAPI']>['items'], sources: EnvSources, defaultMode: number, field: string): Entry[] {
  return (items ?? []).map((it, k): Entry => {
    const value = it.fieldRef ? downwardValue(pod, it.fieldRef.fieldPath, sources) : it.resourceFieldRef ? sources.resourceFieldRef?.(it.resourceFieldRef) : undefined;
    if (value === undefined) throw new PodrunError('Invalid', `${field}.items[${k}]: unsupported field`);
    return [it.path, Buffer.from(value), it.mode ?? defaultMode];
  });
}

/**
 * A serviceAccountToken source. A kubelet asks the API server for a signed token; podrun has no
 * API server, so nothing could verify one. Refusing the pod would break every manifest that
 * mounts a token it never uses (most do: it is how client libraries find their cluster); so
 * the file is written, holding an unsigned JWT (alg "none") with the claims a real token would
 * carry, and the pod gets a Warning event saying so. Anything that checks the signature
 * refuses it, as it should.
 */
function serviceAccountToken(pod: Pod, t: ServiceAccountTokenProjection, mode: number, now: number): Entry {
  const ns = pod.metadata?.namespace ?? 'default';
  const sa = pod.spec?.serviceAccountName || 'default';
  const iat = Math.floor(now / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    aud: t.audience ? [t.audience] : ['podrun'],
    exp: iat + (t.expirationSeconds ?? 3600),
    iat,
    iss: 'podrun (unsigned: no API server)',
    sub: `system:serviceaccount:${ns}:${sa}`,
    'kubernetes.io': { namespace: ns, pod: { name: pod.metadata?.name, uid: pod.metadata?.uid }, serviceaccount: { name: sa } },
  };
  return [t.path, Buffer.from(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), mode];
}

export interface Projected {
  entries: Entry[];
  /** What the pod's events should say (an unsigned token). */
  warnings: string[];
}

export function projectedEntries(pod: Pod, sourcesList: VolumeProjection[], objects: ObjectLookup, env: EnvSources, defaultMode: number, field: string, now = Date.now()): Projected {
  const ns = pod.metadata?.namespace ?? 'default';
  const entries: Entry[] = [];
  const warnings: string[] = [];
  sourcesList.forEach((src, k) => {
    const f = `${field}.sources[${k}]`;
    if (src.configMap) entries.push(...configMapEntries(ns, src.configMap, objects, defaultMode, `${f}.configMap`));
    else if (src.secret) entries.push(...secretEntries(ns, src.secret.name ?? '', src.secret, objects, defaultMode, `${f}.secret`, 'name'));
    else if (src.downwardAPI) entries.push(...downwardEntries(pod, src.downwardAPI.items, env, defaultMode, `${f}.downwardAPI`));
    else if (src.serviceAccountToken) {
      entries.push(serviceAccountToken(pod, src.serviceAccountToken, defaultMode, now));
      warnings.push(`${f}.serviceAccountToken: ${src.serviceAccountToken.path} holds an unsigned placeholder token: podrun has no API server to sign one`);
    } else {
      const kind = Object.keys(src)[0] ?? 'unknown';
      throw new PodrunError('Unsupported', `${f}.${kind}: projection not supported by podrun`, 'use configMap, secret, downwardAPI or serviceAccountToken sources');
    }
  });
  return { entries, warnings };
}

/** Writes the entries under dir; a path may not leave it. */
export function writeEntries(dir: string, entries: Entry[], field: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [rel, content, mode] of entries) {
    const file = path.join(dir, rel);
    if (!file.startsWith(dir + path.sep)) throw new ValidationError(field, `Invalid value: "${rel}": must not escape the volume`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
  }
}
