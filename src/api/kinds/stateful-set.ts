// StatefulSet (apps/v1): pods with stable names, hostnames and claims (src/controllers/stateful-set.ts).
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import { registerKind } from '../../store/kinds';
import { child, index, invalid, required, unsupported } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Label, dns1123Subdomain } from '../names';
import { objectMeta, type Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, immutableSelector, labelSelectorSchema, nonNegative, objectSchema, podTemplateSpecSchema, validatePodTemplate, validateSelectorAndTemplate } from '../workload';
import { n, wideTemplateColumns } from './columns';
import { validateIntOrPercent } from './deployment';
import { pvcSpecSchema, validateClaimSpec } from './storage';

const S = 'string' as const;
const I = 'integer' as const;

const specSchema: Schema = {
  fields: {
    replicas: I,
    selector: labelSelectorSchema,
    template: podTemplateSpecSchema,
    volumeClaimTemplates: { items: { fields: { apiVersion: S, kind: S, metadata: objectMeta, spec: pvcSpecSchema, status: 'object' } } },
    serviceName: S,
    podManagementPolicy: S,
    updateStrategy: { fields: { type: S, rollingUpdate: { fields: { partition: I, maxUnavailable: 'intOrString' } } } },
    revisionHistoryLimit: I,
    minReadySeconds: I,
    persistentVolumeClaimRetentionPolicy: { fields: { whenDeleted: S, whenScaled: S } },
    ordinals: { fields: { start: I } },
  },
};

registerKind({
  kind: 'StatefulSet',
  apiVersion: 'apps/v1',
  plural: 'statefulsets',
  shortNames: ['sts'],
  namespaced: true,
  durable: true,
  schema: objectSchema(specSchema),
  defaults: (o) => {
    const sts = o as unknown as StatefulSet;
    const spec = sts.spec!;
    const type = spec?.updateStrategy?.type ?? 'RollingUpdate';
    return {
      ...o,
      spec: {
        ...spec,
        replicas: spec?.replicas ?? 1,
        podManagementPolicy: spec?.podManagementPolicy ?? 'OrderedReady',
        updateStrategy: type === 'RollingUpdate' ? { type, rollingUpdate: { partition: 0, ...spec?.updateStrategy?.rollingUpdate } } : { type },
        revisionHistoryLimit: spec?.revisionHistoryLimit ?? 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain', ...spec?.persistentVolumeClaimRetentionPolicy },
        template: defaultTemplate(spec?.template),
        ...(spec?.volumeClaimTemplates ? { volumeClaimTemplates: spec.volumeClaimTemplates.map((c) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...c, spec: { volumeMode: 'Filesystem', ...c.spec } })) } : {}),
      },
    } as KubeObject;
  },
  validate: (o, errs) => {
    const sts = o as unknown as StatefulSet;
    const spec = sts.spec;
    validateObjectMeta(sts.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    // Pod names are <name>-<ordinal> and hostnames: the name must be a label.
    for (const msg of dns1123Label(sts.metadata?.name ?? 'x')) errs.push(invalid('metadata.name', sts.metadata?.name, msg));
    nonNegative(spec?.replicas, 'spec.replicas', errs);
    nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds', errs);
    validateSelectorAndTemplate(spec?.selector, spec?.template, 'statefulset', errs);
    // Mounts may name the claim templates: they become the pods' volumes.
    const claimVolumes = (spec?.volumeClaimTemplates ?? []).map((c) => ({ name: c.metadata?.name ?? '', persistentVolumeClaim: { claimName: c.metadata?.name ?? '' } }));
    const template = spec?.template?.spec ? { ...spec.template, spec: { ...spec.template.spec, volumes: [...(spec.template.spec.volumes ?? []), ...claimVolumes] } } : spec?.template;
    validatePodTemplate(template, child('spec', 'template'), ['Always'], errs);
    const pmp = spec?.podManagementPolicy;
    if (pmp && pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(unsupported('spec.podManagementPolicy', pmp, ['OrderedReady', 'Parallel']));
    const us = spec?.updateStrategy;
    if (us?.type && us.type !== 'RollingUpdate' && us.type !== 'OnDelete') errs.push(unsupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    if (us?.type === 'OnDelete' && us.rollingUpdate) errs.push(invalid('spec.updateStrategy.rollingUpdate', '', 'only allowed for updateStrategy \'RollingUpdate\''));
    nonNegative(us?.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition', errs);
    validateIntOrPercent(us?.rollingUpdate?.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', errs, true);
    for (const k of ['whenDeleted', 'whenScaled'] as const) {
      const v = spec?.persistentVolumeClaimRetentionPolicy?.[k];
      if (v && v !== 'Retain' && v !== 'Delete') errs.push(unsupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
    }
    (spec?.volumeClaimTemplates ?? []).forEach((c, i) => {
      const p = index('spec.volumeClaimTemplates', i);
      if (!c.metadata?.name) errs.push(required(child(p, 'metadata.name')));
      validateClaimSpec(c.spec, child(p, 'spec'), errs);
    });
  },
  validateUpdate: (old, o, errs) => {
    immutableSelector(old, o, errs);
    const a = old.spec as StatefulSet['spec'];
    const b = o.spec as StatefulSet['spec'];
    // Kubernetes lets replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds change.
    const frozen = (s: StatefulSet['spec']) => JSON.stringify({ serviceName: s?.serviceName, podManagementPolicy: s?.podManagementPolicy, volumeClaimTemplates: s?.volumeClaimTemplates?.map((c) => ({ name: c.metadata?.name, spec: c.spec })) });
    if (frozen(a) !== frozen(b)) errs.push(invalid('spec', '', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  },
  columns: [{ header: 'READY', cell: (o) => `${n((o.status as { readyReplicas?: number } | undefined)?.readyReplicas)}/${n((o.spec as { replicas?: number }).replicas)}` }, ...wideTemplateColumns.slice(0, 2)],
});

// The history of a StatefulSet's templates (and a DaemonSet's): one object per revision.
registerKind({ kind: 'ControllerRevision', apiVersion: 'apps/v1', plural: 'controllerrevisions', shortNames: [], namespaced: true, durable: true, columns: [{ header: 'CONTROLLER', cell: (o) => { const r = (o.metadata?.ownerReferences ?? []).find((x) => x.controller); return r ? `${r.kind.toLowerCase()}.apps/${r.name}` : ''; } }, { header: 'REVISION', cell: (o) => String((o as { revision?: number }).revision ?? 0) }] });
