// What the workload kinds share (apps/v1, batch/v1): the shape of a label selector and of a pod
// template, and the API server's rules for them (ValidatePodTemplateSpec, the selector checks
// of ValidateDeploymentSpec and its kin).
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from './defaults';
import { child, forbidden, index, invalid, required, unsupported, type ErrorList } from './field-errors';
import { selectorMatches } from './labels';
import type { KubeObject } from './manifest';
import { objectMeta, podSpec, type Schema } from './schema';
import { validateAnnotations, validateLabels } from './validate-meta';
import { validatePodSpec } from './validate-pod';

const S = 'string';
export const labelSelectorSchema: Schema = {
  fields: {
    matchLabels: { values: S },
    matchExpressions: { items: { fields: { key: S, operator: S, values: { items: S } } } },
  },
};

export const podTemplateSpecSchema: Schema = { fields: { metadata: objectMeta, spec: podSpec } };

/** The schema of a top-level object with this spec and any status. */
export function objectSchema(spec: Schema, extra: Record<string, Schema> = {}): Schema {
  return { fields: { apiVersion: S, kind: S, metadata: objectMeta, spec, status: 'object', ...extra } };
}

/** A LabelSelector's rules (ValidateLabelSelector). */
export function validateSelector(sel: LabelSelector, path: string, errs: ErrorList): void {
  validateLabels(sel.matchLabels, child(path, 'matchLabels'), errs);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    if (!e.key) errs.push(required(child(p, 'key')));
    const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
    if (!ops.includes(e.operator)) errs.push(unsupported(child(p, 'operator'), e.operator, ops));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length) errs.push(required(child(p, 'values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length) errs.push(forbidden(child(p, 'values'), 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
  });
}

/** A selector is there, not empty, well formed, and selects the template's labels. */
export function validateSelectorAndTemplate(sel: LabelSelector | undefined, template: PodTemplateSpec | undefined, kind: string, errs: ErrorList): void {
  if (!sel) errs.push(required('spec.selector'));
  else {
    validateSelector(sel, 'spec.selector', errs);
    if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) errs.push(invalid('spec.selector', sel, `empty selector is invalid for ${kind}`));
  }
  if (!template) {
    errs.push(required('spec.template'));
    return;
  }
  if (sel && errs.length === 0 && !selectorMatches(sel, template.metadata?.labels)) {
    errs.push(invalid('spec.template.metadata.labels', template.metadata?.labels ?? {}, 'selector does not match template labels'));
  }
}

/** A pod template's rules (ValidatePodTemplateSpec), and the restart policies its kind allows. */
export function validatePodTemplate(template: PodTemplateSpec | undefined, path: string, restartPolicies: readonly string[], errs: ErrorList): void {
  if (!template) return;
  const meta = template.metadata ?? {};
  validateLabels(meta.labels, child(child(path, 'metadata'), 'labels'), errs);
  validateAnnotations(meta.annotations, child(child(path, 'metadata'), 'annotations'), errs);
  if (!template.spec) {
    errs.push(required(child(path, 'spec')));
    return;
  }
  validatePodSpec(template.spec, child(path, 'spec'), errs);
  const rp = template.spec.restartPolicy ?? 'Always';
  if (!restartPolicies.includes(rp)) errs.push(unsupported(child(child(path, 'spec'), 'restartPolicy'), rp, restartPolicies));
  if (template.spec.activeDeadlineSeconds !== undefined && restartPolicies.includes('Always')) errs.push(forbidden(child(child(path, 'spec'), 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
}

/** A template with the pod defaults the API server fills in (restartPolicy, grace period, ...). */
export function defaultTemplate(template: PodTemplateSpec | undefined, restartPolicy?: string): PodTemplateSpec | undefined {
  if (!template) return template;
  const spec = template.spec ? { ...template.spec, ...(restartPolicy && !template.spec.restartPolicy ? { restartPolicy } : {}) } : undefined;
  if (!spec) return template;
  const pod = applyPodDefaults({ metadata: { name: 'template', namespace: 'default' }, spec });
  return { ...template, spec: pod.spec };
}

/** Non-negative integer fields (replicas, revisionHistoryLimit, ...). */
export function nonNegative(value: number | undefined, path: string, errs: ErrorList): void {
  if (value !== undefined && value < 0) errs.push(invalid(path, value, 'must be greater than or equal to 0'));
}

/** The selector of a stored object may not change (apps/v1 and batch/v1 selectors are immutable). */
export function immutableSelector(old: KubeObject, obj: KubeObject, errs: ErrorList): void {
  const a = (old.spec as { selector?: unknown } | undefined)?.selector;
  const b = (obj.spec as { selector?: unknown } | undefined)?.selector;
  if (JSON.stringify(a) !== JSON.stringify(b)) errs.push(invalid('spec.selector', b ?? {}, 'field is immutable'));
}
