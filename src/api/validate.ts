// The entry points of validation, and the table of supported kinds. Each object is first
// checked for shape (unknown fields, types: schema.ts), then against the API server's rules.
// Each check throws the first error, one line, like kubectl's first complaint about a manifest.

import type { ConfigMap, Container, EphemeralContainer, Pod, Secret, Volume } from 'kubernetes-types/core/v1';
import { ValidationError } from '../errors';
import { allKinds, kindInfo } from '../store/kinds';
import { child, duplicate, index, notFound, unsupported, type ErrorList } from './field-errors';
import { dropNulls, type KubeObject } from './manifest';
import { dns1123Subdomain } from './names';
import { checkSchema, configMap as configMapSchema, pod as podSchema, secret as secretSchema, type Schema } from './schema';
import { decodeBase64, validateConfigMapData, validateSecretData } from './validate-data';
import { validateObjectMeta } from './validate-meta';
import { validatePodSpec } from './validate-pod';

/** One supported kind: its shape and its rules. Supporting a new kind means adding a row. */
export interface KindRule {
  readonly apiVersion: string;
  readonly kind: string;
  readonly schema: Schema;
  /** Appends rule violations; `root` prefixes every field path ('' or `[2]`). */
  readonly validate: (obj: KubeObject, root: string, errs: ErrorList) => void;
}

const KINDS: readonly KindRule[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    schema: podSchema,
    validate: (obj, root, errs) => validatePodRules(obj as unknown as Pod, root, errs),
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    schema: configMapSchema,
    validate: (obj, root, errs) => {
      validateObjectMeta(obj.metadata, child(root, 'metadata'), { name: dns1123Subdomain }, errs);
      validateConfigMapData(obj as unknown as ConfigMap, root, errs);
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    schema: secretSchema,
    validate: (obj, root, errs) => {
      validateObjectMeta(obj.metadata, child(root, 'metadata'), { name: dns1123Subdomain }, errs);
      validateSecretData(obj as unknown as Secret, root, errs);
    },
  },
];

/** The kinds validateObject accepts, in the order error messages list them. */
export function supportedKinds(): string[] {
  return [...new Set([...KINDS.map((k) => k.kind), ...allKinds().filter((k) => k.validate).map((k) => k.kind)])];
}

/** Kinds whose rules live with their row in the registry (src/store/kinds.ts). */
function registryRule(kind: string): KindRule[] {
  const info = kindInfo(kind);
  if (!info?.validate) return [];
  const validate = info.validate;
  return [{ apiVersion: info.apiVersion, kind, schema: info.schema ?? 'object', validate: (obj, root, errs) => validateRooted(validate, obj, root, errs) }];
}

/** Runs a registry row's rules, which name fields from the object's root, under `root`. */
function validateRooted(validate: (obj: KubeObject, errs: ErrorList) => void, obj: KubeObject, root: string, errs: ErrorList): void {
  if (!root) return validate(obj, errs);
  const own: ErrorList = [];
  validate(obj, own);
  for (const e of own) errs.push(new ValidationError(child(root, e.field), e.detail));
}

/** Every problem with one object, shape problems first; an object of the wrong shape gets no rule checks. */
export function objectErrors(obj: KubeObject, docIndex?: number): ErrorList {
  const root = docIndex === undefined ? '' : `[${docIndex}]`;
  const errs: ErrorList = [];
  const builtIn = KINDS.filter((k) => k.kind === obj.kind);
  const kindRules = builtIn.length ? builtIn : registryRule(obj.kind);
  if (kindRules.length === 0) return [unsupported(child(root, 'kind'), obj.kind, supportedKinds())];
  const rule = kindRules.find((k) => k.apiVersion === obj.apiVersion);
  if (!rule) return [unsupported(child(root, 'apiVersion'), obj.apiVersion, kindRules.map((k) => k.apiVersion))];
  checkSchema(obj, rule.schema, root, errs);
  if (errs.length > 0) return errs;
  rule.validate(dropNulls(obj), root, errs);
  return errs;
}

/** Only the shape of one object (unknown fields, types): what must hold before defaults apply. */
export function shapeErrors(obj: KubeObject): ErrorList {
  const builtIn = KINDS.filter((k) => k.kind === obj.kind);
  const rule = (builtIn.length ? builtIn : registryRule(obj.kind)).find((k) => k.apiVersion === obj.apiVersion);
  const errs: ErrorList = [];
  if (rule) checkSchema(obj, rule.schema, '', errs);
  return errs;
}

/** Validates one object; throws the first error. `docIndex` prefixes field paths (`[1].spec...`). */
export function validateObject(obj: KubeObject, docIndex?: number): void {
  throwFirst(objectErrors(obj, docIndex));
}

/** What a pod's configMap and secret references are checked against: objects of the pod's namespace, by name. */
export interface PodRefs {
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  readonly secrets: ReadonlyMap<string, Secret>;
}

/** Every problem with a pod (kind and apiVersion may be absent, as in a pod template). */
export function podErrors(pod: Pod, refs?: PodRefs): ErrorList {
  const errs: ErrorList = [];
  checkSchema(pod, podSchema, '', errs);
  if (errs.length > 0) return errs;
  const clean = dropNulls(pod);
  validatePodRules(clean, '', errs);
  if (errs.length === 0 && refs) validatePodRefs(clean, refs, '', errs);
  return errs;
}

/** Validates a pod, and with `refs` that the configMaps and secrets it needs exist; throws the first error. */
export function validatePod(pod: Pod, refs?: PodRefs): void {
  throwFirst(podErrors(pod, refs));
}

export interface ManifestSetOptions {
  /**
   * Also require every non-optional configMap or secret a pod refers to be in the set (in the
   * pod's namespace). Off by default: the objects may already exist in the store.
   */
  readonly requireRefs?: boolean;
}

/** Validates objects read together (one file or stream): each object, no two alike, and optionally their references. */
export function validateManifestSet(objs: KubeObject[], options: ManifestSetOptions = {}): void {
  const multi = objs.length > 1;
  const at = (i: number): string => (multi ? `[${i}]` : '');
  objs.forEach((o, i) => validateObject(o, multi ? i : undefined));

  const seen = new Set<string>();
  objs.forEach((o, i) => {
    const id = `${o.kind}/${namespaceOf(o)}/${o.metadata?.name ?? ''}`;
    if (seen.has(id)) throw duplicate(child(at(i), 'metadata.name'), o.metadata?.name);
    seen.add(id);
  });

  if (!options.requireRefs) return;
  objs.forEach((o, i) => {
    if (o.kind !== 'Pod') return;
    const ns = namespaceOf(o);
    const inNs = <T extends KubeObject>(kind: string): Map<string, T> =>
      new Map(objs.filter((x) => x.kind === kind && namespaceOf(x) === ns).map((x) => [x.metadata?.name ?? '', x as T]));
    const refs: PodRefs = {
      configMaps: inNs<KubeObject & ConfigMap>('ConfigMap'),
      secrets: inNs<KubeObject & Secret>('Secret'),
    };
    const errs: ErrorList = [];
    validatePodRefs(dropNulls(o) as unknown as Pod, refs, at(i), errs);
    throwFirst(errs);
  });
}

function namespaceOf(o: KubeObject): string {
  return o.metadata?.namespace || 'default';
}

function throwFirst(errs: ErrorList): void {
  const first: ValidationError | undefined = errs[0];
  if (first) throw first;
}

function validatePodRules(pod: Pod, root: string, errs: ErrorList): void {
  validateObjectMeta(pod.metadata, child(root, 'metadata'), { name: dns1123Subdomain }, errs);
  validatePodSpec(pod.spec ?? { containers: [] }, child(root, 'spec'), errs);
}

// ---- references to configMaps and secrets

/** The keys a ConfigMap provides, to volumes and env alike. */
function configMapKeys(cm: ConfigMap): Set<string> {
  return new Set([...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})]);
}

function secretKeys(s: Secret): Set<string> {
  const keys = new Set(Object.keys(s.stringData ?? {}));
  for (const [k, v] of Object.entries(s.data ?? {})) if (decodeBase64(v)) keys.add(k);
  return keys;
}

/**
 * Checks, as the kubelet would when it starts the pod, that every non-optional configMap and
 * secret (and key) the pod names exists: in volumes, projected volumes, env and envFrom.
 */
export function validatePodRefs(pod: Pod, refs: PodRefs, root: string, errs: ErrorList): void {
  const spec = pod.spec;
  if (!spec) return;
  const lookup = (isSecret: boolean, name: string): Set<string> | undefined => {
    if (isSecret) {
      const s = refs.secrets.get(name);
      return s && secretKeys(s);
    }
    const cm = refs.configMaps.get(name);
    return cm && configMapKeys(cm);
  };
  const check = (
    isSecret: boolean,
    ref: { name?: string; optional?: boolean },
    namePath: string,
    keys: { key: string; path: string }[],
  ): void => {
    if (ref.optional || !ref.name) return;
    const found = lookup(isSecret, ref.name);
    if (!found) {
      errs.push(notFound(namePath, ref.name));
      return;
    }
    for (const k of keys) if (!found.has(k.key)) errs.push(notFound(k.path, k.key));
  };
  const itemKeys = (items: { key: string }[] | undefined, path: string): { key: string; path: string }[] =>
    (items ?? []).map((it, j) => ({ key: it.key, path: child(index(child(path, 'items'), j), 'key') }));

  (spec.volumes ?? []).forEach((v: Volume, i) => {
    const vp = index(child(root, 'spec.volumes'), i);
    if (v.configMap) {
      const p = child(vp, 'configMap');
      check(false, v.configMap, child(p, 'name'), itemKeys(v.configMap.items, p));
    }
    if (v.secret) {
      const p = child(vp, 'secret');
      check(true, { name: v.secret.secretName, optional: v.secret.optional }, child(p, 'secretName'), itemKeys(v.secret.items, p));
    }
    (v.projected?.sources ?? []).forEach((src, j) => {
      const sp = index(child(vp, 'projected.sources'), j);
      if (src.configMap) check(false, src.configMap, child(child(sp, 'configMap'), 'name'), itemKeys(src.configMap.items, child(sp, 'configMap')));
      if (src.secret) check(true, src.secret, child(child(sp, 'secret'), 'name'), itemKeys(src.secret.items, child(sp, 'secret')));
    });
  });

  const groups: [string, (Container | EphemeralContainer)[] | undefined][] = [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
    ['ephemeralContainers', spec.ephemeralContainers],
  ];
  for (const [field, list] of groups) {
    (list ?? []).forEach((c, i) => {
      const cp = index(child(root, `spec.${field}`), i);
      (c.env ?? []).forEach((ev, j) => {
        const fp = child(index(child(cp, 'env'), j), 'valueFrom');
        const cmRef = ev.valueFrom?.configMapKeyRef;
        const sRef = ev.valueFrom?.secretKeyRef;
        // A literal value wins over valueFrom, so the reference is never read.
        if (ev.value) return;
        if (cmRef) check(false, cmRef, child(child(fp, 'configMapKeyRef'), 'name'), [{ key: cmRef.key, path: child(child(fp, 'configMapKeyRef'), 'key') }]);
        if (sRef) check(true, sRef, child(child(fp, 'secretKeyRef'), 'name'), [{ key: sRef.key, path: child(child(fp, 'secretKeyRef'), 'key') }]);
      });
      (c.envFrom ?? []).forEach((ef, j) => {
        const ep = index(child(cp, 'envFrom'), j);
        if (ef.configMapRef) check(false, ef.configMapRef, child(child(ep, 'configMapRef'), 'name'), []);
        if (ef.secretRef) check(true, ef.secretRef, child(child(ep, 'secretRef'), 'name'), []);
      });
    });
  }
}
