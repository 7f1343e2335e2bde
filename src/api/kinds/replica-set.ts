// ReplicaSet (apps/v1): keeps `replicas` pods of its template (src/controllers/replica-set.ts).
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { child } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import type { Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, immutableSelector, labelSelectorSchema, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate, validateSelectorAndTemplate } from '../workload';
import { registerKind } from '../../store/kinds';
import { n, wideTemplateColumns } from './columns';

const I = 'integer' as const;

export const replicaSetSpecSchema: Schema = { fields: { replicas: I, minReadySeconds: I, selector: labelSelectorSchema, template: podTemplateSpecSchema } };

registerKind({
  kind: 'ReplicaSet',
  apiVersion: 'apps/v1',
  plural: 'replicasets',
  shortNames: ['rs'],
  namespaced: true,
  durable: true,
  schema: objectSchema(replicaSetSpecSchema),
  defaults: (o) => {
    const rs = o as unknown as ReplicaSet;
    return { ...o, spec: { ...rs.spec, replicas: rs.spec?.replicas ?? 1, template: defaultTemplate(rs.spec?.template) } } as KubeObject;
  },
  validate: (o, errs) => {
    const rs = o as unknown as ReplicaSet;
    validateObjectMeta(rs.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    nonNegative(rs.spec?.replicas, 'spec.replicas', errs);
    nonNegative(rs.spec?.minReadySeconds, 'spec.minReadySeconds', errs);
    validateSelectorAndTemplate(rs.spec?.selector, rs.spec?.template, 'replicaset', errs);
    validatePodTemplate(rs.spec?.template, child('spec', 'template'), ['Always'], errs);
  },
  validateUpdate: immutableSelector,
  columns: [
    { header: 'DESIRED', cell: (o) => String(n((o.spec as { replicas?: number }).replicas)) },
    { header: 'CURRENT', cell: (o) => String(n((o.status as { replicas?: number } | undefined)?.replicas)) },
    { header: 'READY', cell: (o) => String(n((o.status as { readyReplicas?: number } | undefined)?.readyReplicas)) },
    ...wideTemplateColumns,
  ],
});
