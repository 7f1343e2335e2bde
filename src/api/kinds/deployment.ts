// Deployment (apps/v1): a ReplicaSet per template revision, rolled out by its strategy
// (src/controllers/deployment.ts). Defaults and rules are the API server's.
import type { Deployment } from 'kubernetes-types/apps/v1';
import { child, forbidden, invalid, unsupported, type ErrorList } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import type { Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, immutableSelector, labelSelectorSchema, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate, validateSelectorAndTemplate } from '../workload';
import { registerKind } from '../../store/kinds';
import { n, wideTemplateColumns } from './columns';

const I = 'integer' as const;
const IOS = 'intOrString' as const;

const specSchema: Schema = {
  fields: {
    replicas: I,
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    strategy: { fields: { type: 'string', rollingUpdate: { fields: { maxSurge: IOS, maxUnavailable: IOS } } } },
    minReadySeconds: I,
    revisionHistoryLimit: I,
    paused: 'boolean',
    progressDeadlineSeconds: I,
  },
};

/** An IntOrString of a roll-out: a non-negative integer, or a percentage (`25%`). */
export function validateIntOrPercent(v: number | string | undefined, path: string, errs: ErrorList, max100 = false): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    if (v < 0) errs.push(invalid(path, v, 'must be greater than or equal to 0'));
    return;
  }
  const m = /^([0-9]+)%$/.exec(v);
  if (!m) errs.push(invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
  else if (max100 && Number(m[1]) > 100) errs.push(invalid(path, v, 'must not be greater than 100%'));
}

const isZero = (v: number | string | undefined): boolean => v === 0 || v === '0%';

registerKind({
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  plural: 'deployments',
  shortNames: ['deploy'],
  namespaced: true,
  durable: true,
  schema: objectSchema(specSchema),
  defaults: (o) => {
    const d = o as unknown as Deployment;
    const spec = d.spec;
    const type = spec?.strategy?.type ?? 'RollingUpdate';
    const strategy = type === 'RollingUpdate' ? { type, rollingUpdate: { maxUnavailable: spec?.strategy?.rollingUpdate?.maxUnavailable ?? '25%', maxSurge: spec?.strategy?.rollingUpdate?.maxSurge ?? '25%' } } : { ...spec?.strategy, type };
    return {
      ...o,
      spec: {
        ...spec,
        replicas: spec?.replicas ?? 1,
        strategy,
        revisionHistoryLimit: spec?.revisionHistoryLimit ?? 10,
        progressDeadlineSeconds: spec?.progressDeadlineSeconds ?? 600,
        template: defaultTemplate(spec?.template),
      },
    } as KubeObject;
  },
  validate: (o, errs) => {
    const d = o as unknown as Deployment;
    const spec = d.spec;
    validateObjectMeta(d.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    nonNegative(spec?.replicas, 'spec.replicas', errs);
    validateSelectorAndTemplate(spec?.selector, spec?.template, 'deployment', errs);
    validatePodTemplate(spec?.template, child('spec', 'template'), ['Always'], errs);
    const st = spec?.strategy;
    if (st?.type !== undefined && st.type !== 'RollingUpdate' && st.type !== 'Recreate') errs.push(unsupported('spec.strategy.type', st.type, ['Recreate', 'RollingUpdate']));
    if (st?.type === 'Recreate' && st.rollingUpdate) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    const ru = st?.rollingUpdate;
    if (ru) {
      validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', errs, true);
      validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', errs);
      if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) errs.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
    nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds', errs);
    nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit', errs);
    if (spec?.progressDeadlineSeconds !== undefined) {
      nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', errs);
      if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  },
  validateUpdate: immutableSelector,
  columns: [
    { header: 'READY', cell: (o) => `${n((o.status as { readyReplicas?: number } | undefined)?.readyReplicas)}/${n((o.spec as { replicas?: number }).replicas)}` },
    { header: 'UP-TO-DATE', cell: (o) => String(n((o.status as { updatedReplicas?: number } | undefined)?.updatedReplicas)) },
    { header: 'AVAILABLE', cell: (o) => String(n((o.status as { availableReplicas?: number } | undefined)?.availableReplicas)) },
    ...wideTemplateColumns,
  ],
});
