// Job (batch/v1): pods run to completion (src/controllers/job.ts). The selector and the pod
// labels that tie pods to their Job are generated from its uid, as the API server does.
import * as crypto from 'node:crypto';
import type { Job } from 'kubernetes-types/batch/v1';
import { humanDuration } from '../../cli/age';
import { registerKind } from '../../store/kinds';
import { child, forbidden, index, invalid, required, unsupported, type ErrorList } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import type { Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, labelSelectorSchema, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate, validateSelector } from '../workload';
import { n, wideTemplateColumns } from './columns';

const I = 'integer' as const;
const S = 'string' as const;

export const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME = 'batch.kubernetes.io/job-name';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const MAX_INT32 = 2147483647;

export const jobSpecSchema: Schema = {
  fields: {
    parallelism: I,
    completions: I,
    activeDeadlineSeconds: I,
    podFailurePolicy: { fields: { rules: { items: { fields: { action: S, onExitCodes: { fields: { containerName: S, operator: S, values: { items: I } } }, onPodConditions: { items: { fields: { type: S, status: S } } } } } } } },
    successPolicy: { fields: { rules: { items: { fields: { succeededIndexes: S, succeededCount: I } } } } },
    backoffLimit: I,
    backoffLimitPerIndex: I,
    maxFailedIndexes: I,
    selector: labelSelectorSchema,
    manualSelector: 'boolean',
    template: podTemplateSpecSchema,
    ttlSecondsAfterFinished: I,
    completionMode: S,
    suspend: 'boolean',
    podReplacementPolicy: S,
    managedBy: S,
  },
};

/** A Job with the API server's defaults; its uid (kept from `old`) is chosen here, for the selector. */
export function defaultJob(o: KubeObject, old?: KubeObject): KubeObject {
  const job = o as unknown as Job;
  const uid = old?.metadata?.uid ?? job.metadata?.uid ?? crypto.randomUUID();
  const name = job.metadata?.name ?? '';
  const spec = { ...job.spec! };
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.completionMode ??= 'NonIndexed';
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : 6;
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  const generated = { [CONTROLLER_UID]: uid, [JOB_NAME]: name, 'controller-uid': uid, 'job-name': name };
  if (!spec.manualSelector) spec.selector = (old?.spec as Job['spec'])?.selector ?? { matchLabels: { [CONTROLLER_UID]: uid } };
  const template = defaultTemplate(spec.template);
  if (template) spec.template = { ...template, metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...(spec.manualSelector ? {} : generated) } } };
  return { ...o, metadata: { ...job.metadata, uid, labels: job.metadata?.labels ?? (spec.manualSelector ? undefined : { [CONTROLLER_UID]: uid, [JOB_NAME]: name, 'controller-uid': uid, 'job-name': name }) }, spec } as KubeObject;
}

/** `0-2,4` (a completedIndexes list) as the set of its numbers; invalid parts throw. */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`cannot parse "${part}"`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.add(i);
  }
  return out;
}

/** The set as `0-2,4`. */
export function formatIndexes(set: Iterable<number>): string {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function validateJobSpec(spec: NonNullable<Job['spec']> | undefined, path: string, errs: ErrorList, fromCronJob = false): void {
  if (!spec) {
    errs.push(required(path));
    return;
  }
  nonNegative(spec.parallelism, child(path, 'parallelism'), errs);
  nonNegative(spec.completions, child(path, 'completions'), errs);
  nonNegative(spec.activeDeadlineSeconds, child(path, 'activeDeadlineSeconds'), errs);
  nonNegative(spec.backoffLimit, child(path, 'backoffLimit'), errs);
  nonNegative(spec.ttlSecondsAfterFinished, child(path, 'ttlSecondsAfterFinished'), errs);
  const mode = spec.completionMode ?? 'NonIndexed';
  if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(unsupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && spec.completions === undefined) errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
  if (spec.backoffLimitPerIndex !== undefined && mode !== 'Indexed') errs.push(forbidden(child(path, 'backoffLimitPerIndex'), 'requires indexed completion mode'));
  if (spec.successPolicy && mode !== 'Indexed') errs.push(invalid(child(path, 'successPolicy'), spec.successPolicy, 'requires indexed completion mode'));
  (spec.successPolicy?.rules ?? []).forEach((r, i) => {
    const p = index(child(child(path, 'successPolicy'), 'rules'), i);
    if (r.succeededIndexes === undefined && r.succeededCount === undefined) errs.push(required(p, 'at least one of succeededCount or succeededIndexes must be specified'));
    if (r.succeededIndexes !== undefined) {
      try {
        const set = parseIndexes(r.succeededIndexes);
        if ([...set].some((x) => x >= (spec.completions ?? 0))) errs.push(invalid(child(p, 'succeededIndexes'), r.succeededIndexes, `must be less than completions ${spec.completions}`));
      } catch (e) {
        errs.push(invalid(child(p, 'succeededIndexes'), r.succeededIndexes, (e as Error).message));
      }
    }
  });
  (spec.podFailurePolicy?.rules ?? []).forEach((r, i) => {
    const p = index(child(child(path, 'podFailurePolicy'), 'rules'), i);
    const actions = ['FailJob', 'FailIndex', 'Ignore', 'Count'];
    if (!actions.includes(r.action)) errs.push(unsupported(child(p, 'action'), r.action, actions));
    if (!!r.onExitCodes === !!(r.onPodConditions ?? []).length) errs.push(invalid(p, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (r.onExitCodes) {
      if (r.onExitCodes.operator !== 'In' && r.onExitCodes.operator !== 'NotIn') errs.push(unsupported(child(child(p, 'onExitCodes'), 'operator'), r.onExitCodes.operator, ['In', 'NotIn']));
      if (!(r.onExitCodes.values ?? []).length) errs.push(required(child(child(p, 'onExitCodes'), 'values')));
    }
  });
  if (spec.manualSelector && spec.selector) validateSelector(spec.selector, child(path, 'selector'), errs);
  else if (!fromCronJob && spec.selector && !spec.selector.matchLabels?.[CONTROLLER_UID]) errs.push(invalid(child(path, 'selector'), spec.selector, '`selector` will be auto-generated'));
  if (!spec.template) errs.push(required(child(path, 'template')));
  else validatePodTemplate(spec.template, child(path, 'template'), ['OnFailure', 'Never'], errs);
}

function jobStatusWord(o: KubeObject): string {
  const conds = ((o.status as Job['status'])?.conditions ?? []).filter((c) => c.status === 'True');
  for (const t of ['Failed', 'Complete', 'Suspended', 'FailureTarget', 'SuccessCriteriaMet']) {
    if (conds.some((c) => c.type === t)) return t === 'FailureTarget' ? 'FailureTarget' : t === 'SuccessCriteriaMet' ? 'SuccessCriteriaMet' : t;
  }
  return 'Running';
}

registerKind({
  kind: 'Job',
  apiVersion: 'batch/v1',
  plural: 'jobs',
  shortNames: [],
  namespaced: true,
  durable: true,
  schema: objectSchema(jobSpecSchema),
  defaults: defaultJob,
  validate: (o, errs) => {
    const job = o as unknown as Job;
    validateObjectMeta(job.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    validateJobSpec(job.spec, 'spec', errs);
  },
  validateUpdate: (old, o, errs) => {
    const a = old.spec as Job['spec'];
    const b = o.spec as Job['spec'];
    if (JSON.stringify(a?.selector) !== JSON.stringify(b?.selector)) errs.push(invalid('spec.selector', b?.selector ?? {}, 'field is immutable'));
    if (a?.completionMode !== b?.completionMode) errs.push(invalid('spec.completionMode', b?.completionMode, 'field is immutable'));
    if (a?.completions !== b?.completions) errs.push(invalid('spec.completions', b?.completions, 'field is immutable'));
    // The template may change only while the Job is suspended.
    if (!b?.suspend && JSON.stringify(a?.template) !== JSON.stringify(b?.template)) errs.push(invalid('spec.template', '', 'field is immutable'));
  },
  columns: [
    { header: 'STATUS', cell: jobStatusWord },
    {
      header: 'COMPLETIONS',
      cell: (o) => {
        const spec = o.spec as Job['spec'];
        const succeeded = n((o.status as Job['status'])?.succeeded);
        return spec?.completions !== undefined ? `${succeeded}/${spec.completions}` : `${succeeded}/1 of ${spec?.parallelism ?? 1}`;
      },
    },
    {
      header: 'DURATION',
      cell: (o, now) => {
        const st = o.status as Job['status'];
        if (!st?.startTime) return '';
        const end = st.completionTime ? Date.parse(st.completionTime) : now;
        return humanDuration(end - Date.parse(st.startTime));
      },
    },
    ...wideTemplateColumns,
  ],
});
