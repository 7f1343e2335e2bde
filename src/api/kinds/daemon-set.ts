// DaemonSet (apps/v1): one pod on every node that fits — here, this host (src/controllers/daemon-set.ts).
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import { registerKind } from '../../store/kinds';
import { child, unsupported } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import type { Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, immutableSelector, labelSelectorSchema, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate, validateSelectorAndTemplate } from '../workload';
import { formatSelector, n, wideTemplateColumns } from './columns';
import { validateIntOrPercent } from './deployment';

const specSchema: Schema = {
  fields: {
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    updateStrategy: { fields: { type: 'string', rollingUpdate: { fields: { maxUnavailable: 'intOrString', maxSurge: 'intOrString' } } } },
    minReadySeconds: 'integer',
    revisionHistoryLimit: 'integer',
  },
};

registerKind({
  kind: 'DaemonSet',
  apiVersion: 'apps/v1',
  plural: 'daemonsets',
  shortNames: ['ds'],
  namespaced: true,
  durable: true,
  schema: objectSchema(specSchema),
  defaults: (o) => {
    const ds = o as unknown as DaemonSet;
    const spec = ds.spec!;
    const type = spec?.updateStrategy?.type ?? 'RollingUpdate';
    return {
      ...o,
      spec: {
        ...spec,
        updateStrategy: type === 'RollingUpdate' ? { type, rollingUpdate: { maxUnavailable: 1, maxSurge: 0, ...spec?.updateStrategy?.rollingUpdate } } : { type },
        revisionHistoryLimit: spec?.revisionHistoryLimit ?? 10,
        template: defaultTemplate(spec?.template),
      },
    } as KubeObject;
  },
  validate: (o, errs) => {
    const ds = o as unknown as DaemonSet;
    const spec = ds.spec;
    validateObjectMeta(ds.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    validateSelectorAndTemplate(spec?.selector, spec?.template, 'daemonset', errs);
    validatePodTemplate(spec?.template, child('spec', 'template'), ['Always'], errs);
    nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds', errs);
    const us = spec?.updateStrategy;
    if (us?.type && us.type !== 'RollingUpdate' && us.type !== 'OnDelete') errs.push(unsupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    validateIntOrPercent(us?.rollingUpdate?.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', errs, true);
    validateIntOrPercent(us?.rollingUpdate?.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge', errs, true);
  },
  validateUpdate: immutableSelector,
  columns: [
    { header: 'DESIRED', cell: (o) => String(n((o.status as DaemonSet['status'])?.desiredNumberScheduled)) },
    { header: 'CURRENT', cell: (o) => String(n((o.status as DaemonSet['status'])?.currentNumberScheduled)) },
    { header: 'READY', cell: (o) => String(n((o.status as DaemonSet['status'])?.numberReady)) },
    { header: 'UP-TO-DATE', cell: (o) => String(n((o.status as DaemonSet['status'])?.updatedNumberScheduled)) },
    { header: 'AVAILABLE', cell: (o) => String(n((o.status as DaemonSet['status'])?.numberAvailable)) },
    { header: 'NODE SELECTOR', cell: (o) => formatSelector((o.spec as DaemonSet['spec'])?.template.spec?.nodeSelector) },
    ...wideTemplateColumns,
  ],
});
