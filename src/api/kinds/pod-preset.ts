// PodTemplate (v1): a pod template kept by name. PodPreset (settings.k8s.io/v1alpha1): env,
// envFrom, volumes and volumeMounts merged into matching pods when they are created
// (src/api/pod-presets.ts). PodPreset left Kubernetes in 1.20; podrun keeps it because its
// concept of a pod includes it.
import type { PodTemplate } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { EnvFromSource, EnvVar, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import { registerKind } from '../../store/kinds';
import { ValidationError } from '../../errors';
import { required } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import { objectMeta } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { validatePodSpec } from '../validate-pod';
import { defaultTemplate, labelSelectorSchema, podTemplateSpecSchema, validatePodTemplate, validateSelector } from '../workload';
import { formatSelector } from './columns';
import { container, podSpec } from '../schema';

export interface PodPresetSpec {
  selector?: LabelSelector;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumes?: Volume[];
  volumeMounts?: VolumeMount[];
}
export type PodPreset = KubeObject & { spec?: PodPresetSpec };

registerKind({
  kind: 'PodTemplate',
  apiVersion: 'v1',
  plural: 'podtemplates',
  shortNames: [],
  namespaced: true,
  durable: true,
  schema: { fields: { apiVersion: 'string', kind: 'string', metadata: objectMeta, template: podTemplateSpecSchema } },
  defaults: (o) => ({ ...o, template: defaultTemplate((o as unknown as PodTemplate).template) }),
  validate: (o, errs) => {
    const pt = o as unknown as PodTemplate;
    validateObjectMeta(pt.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    if (!pt.template) errs.push(required('template'));
    else validatePodTemplate(pt.template, 'template', ['Always', 'OnFailure', 'Never'], errs);
  },
  columns: [
    { header: 'CONTAINERS', cell: (o) => ((o as unknown as PodTemplate).template?.spec?.containers ?? []).map((c) => c.name).join(',') },
    { header: 'IMAGES', cell: (o) => ((o as unknown as PodTemplate).template?.spec?.containers ?? []).map((c) => c.image ?? '').join(',') },
    { header: 'POD LABELS', cell: (o) => Object.entries((o as unknown as PodTemplate).template?.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  ],
});

const containerFields = (container as { fields: Record<string, unknown> }).fields;
const podFields = (podSpec as { fields: Record<string, unknown> }).fields;

registerKind({
  kind: 'PodPreset',
  apiVersion: 'settings.k8s.io/v1alpha1',
  plural: 'podpresets',
  shortNames: [],
  namespaced: true,
  durable: true,
  schema: {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: objectMeta,
      spec: { fields: { selector: labelSelectorSchema, env: containerFields.env as never, envFrom: containerFields.envFrom as never, volumes: podFields.volumes as never, volumeMounts: containerFields.volumeMounts as never } },
    },
  },
  validate: (o, errs) => {
    const pp = o as PodPreset;
    validateObjectMeta(pp.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    if (!pp.spec?.selector) errs.push(required('spec.selector'));
    else validateSelector(pp.spec.selector, 'spec.selector', errs);
    // The pieces are checked as they would be in a pod: a pod with them, its mounts naming its volumes.
    const spec = pp.spec ?? {};
    const own: typeof errs = [];
    // Mounts may name volumes the pod has: only those of the preset are checked against it.
    const mounts = (spec.volumeMounts ?? []).filter((m) => (spec.volumes ?? []).some((v) => v.name === m.name));
    validatePodSpec({ volumes: spec.volumes ?? [], containers: [{ name: 'preset', image: 'preset', env: spec.env, envFrom: spec.envFrom, volumeMounts: mounts }] }, 'spec', own);
    // Named as the preset's fields: spec.containers[0].env[1] is spec.env[1].
    for (const e of own) errs.push(new ValidationError(e.field.replace(/^spec\.containers\[0\]\./, 'spec.'), e.detail));
  },
  columns: [{ header: 'SELECTOR', cell: (o) => formatSelector((o as PodPreset).spec?.selector) }],
});
