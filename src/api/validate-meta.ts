// ObjectMeta rules shared by every kind (apimachinery's ValidateObjectMeta): name, namespace,
// labels and annotations.

import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { child, invalid, required, tooLong, type ErrorList } from './field-errors';
import { dns1123Label, labelValue, qualifiedName } from './names';

/** The API server's cap on all annotations of one object together (keys plus values). */
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export interface MetaRules {
  /** The format of `metadata.name` for this kind (a DNS-1123 subdomain for Pod, ConfigMap, Secret). */
  readonly name: (value: string) => string[];
}

export function validateObjectMeta(meta: ObjectMeta | undefined, path: string, rules: MetaRules, errs: ErrorList): void {
  const m = meta ?? {};
  if (m.generateName) {
    // A prefix may end in '-': the API server appends random characters after it.
    const masked = m.generateName.length > 1 && m.generateName.endsWith('-') ? `${m.generateName.slice(0, -1)}a` : m.generateName;
    for (const msg of rules.name(masked)) errs.push(invalid(child(path, 'generateName'), m.generateName, msg));
  }
  // podrun has no name generator, so even with generateName set a name is required.
  if (!m.name) errs.push(required(child(path, 'name')));
  else for (const msg of rules.name(m.name)) errs.push(invalid(child(path, 'name'), m.name, msg));
  if (m.namespace) {
    for (const msg of dns1123Label(m.namespace)) errs.push(invalid(child(path, 'namespace'), m.namespace, msg));
  }
  if (m.generation !== undefined && m.generation < 0) {
    errs.push(invalid(child(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  }
  validateLabels(m.labels, child(path, 'labels'), errs);
  validateAnnotations(m.annotations, child(path, 'annotations'), errs);
}

/** Label maps: metadata.labels and spec.nodeSelector. */
export function validateLabels(labels: Record<string, string> | undefined, path: string, errs: ErrorList): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of qualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of labelValue(v)) errs.push(invalid(path, v, msg));
  }
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string, errs: ErrorList): void {
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names in which case does not matter.
    for (const msg of qualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    size += k.length + v.length;
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE));
}
