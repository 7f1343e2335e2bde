// ReplicationController (v1): the ReplicaSet's elder, with a map selector that defaults to the
// template's labels (src/controllers/replica-set.ts runs both).
import type { ReplicationController } from 'kubernetes-types/core/v1';
import { child, invalid, required } from '../field-errors';
import type { KubeObject } from '../manifest';
import { mapSelectorMatches } from '../labels';
import { dns1123Subdomain } from '../names';
import { validateLabels, validateObjectMeta } from '../validate-meta';
import { defaultTemplate, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate } from '../workload';
import { registerKind } from '../../store/kinds';
import { n, wideTemplateColumns } from './columns';

registerKind({
  kind: 'ReplicationController',
  apiVersion: 'v1',
  plural: 'replicationcontrollers',
  shortNames: ['rc'],
  namespaced: true,
  durable: true,
  schema: objectSchema({ fields: { replicas: 'integer', minReadySeconds: 'integer', selector: { values: 'string' }, template: podTemplateSpecSchema } }),
  defaults: (o) => {
    const rc = o as unknown as ReplicationController;
    const template = defaultTemplate(rc.spec?.template);
    // The API server fills an absent selector, and absent labels, from the template's labels.
    const selector = rc.spec?.selector && Object.keys(rc.spec.selector).length ? rc.spec.selector : template?.metadata?.labels;
    const labels = rc.metadata?.labels && Object.keys(rc.metadata.labels).length ? rc.metadata.labels : template?.metadata?.labels;
    return { ...o, metadata: { ...rc.metadata, ...(labels ? { labels } : {}) }, spec: { ...rc.spec, replicas: rc.spec?.replicas ?? 1, ...(selector ? { selector } : {}), template } } as KubeObject;
  },
  validate: (o, errs) => {
    const rc = o as unknown as ReplicationController;
    validateObjectMeta(rc.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    nonNegative(rc.spec?.replicas, 'spec.replicas', errs);
    nonNegative(rc.spec?.minReadySeconds, 'spec.minReadySeconds', errs);
    const sel = rc.spec?.selector;
    if (!sel || !Object.keys(sel).length) errs.push(required('spec.selector'));
    else validateLabels(sel, 'spec.selector', errs);
    if (!rc.spec?.template) errs.push(required('spec.template'));
    else if (sel && Object.keys(sel).length && !mapSelectorMatches(sel, rc.spec.template.metadata?.labels)) {
      errs.push(invalid('spec.template.metadata.labels', rc.spec.template.metadata?.labels ?? {}, 'selector does not match template labels'));
    }
    validatePodTemplate(rc.spec?.template, child('spec', 'template'), ['Always'], errs);
  },
  columns: [
    { header: 'DESIRED', cell: (o) => String(n((o.spec as { replicas?: number }).replicas)) },
    { header: 'CURRENT', cell: (o) => String(n((o.status as { replicas?: number } | undefined)?.replicas)) },
    { header: 'READY', cell: (o) => String(n((o.status as { readyReplicas?: number } | undefined)?.readyReplicas)) },
    ...wideTemplateColumns,
  ],
});
