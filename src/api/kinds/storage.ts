// Storage on one host: StorageClass (storage.k8s.io/v1), PersistentVolume and
// PersistentVolumeClaim (v1). The built-in class `local-path` (as k3s ships one) provisions a
// folder under the data root per claim (src/controllers/persistent-volume.ts).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { registerKind } from '../../store/kinds';
import { invalid, required, unsupported, type ErrorList } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import { parseQuantity } from '../quantity';
import { objectMeta, type Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { labelSelectorSchema, objectSchema } from '../workload';

const S = 'string' as const;
const strings: Schema = { items: S };
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];

export const LOCAL_PATH = 'local-path';
export const PROVISIONER = 'podrun.io/local-path';
export const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

function accessModes(modes: string[] | undefined, path: string, errs: ErrorList): void {
  if (!modes?.length) errs.push(required(path));
  for (const m of modes ?? []) if (!ACCESS_MODES.includes(m)) errs.push(unsupported(path, m, ACCESS_MODES));
}

function quantity(v: string | number | undefined, path: string, errs: ErrorList): void {
  if (v === undefined) {
    errs.push(required(path));
    return;
  }
  try {
    if (parseQuantity(v) <= 0) errs.push(invalid(path, v, 'must be greater than zero'));
  } catch (e) {
    errs.push(invalid(path, v, (e as Error).message));
  }
}

registerKind({
  kind: 'StorageClass',
  apiVersion: 'storage.k8s.io/v1',
  plural: 'storageclasses',
  shortNames: ['sc'],
  namespaced: false,
  durable: true,
  schema: { fields: { apiVersion: S, kind: S, metadata: objectMeta, provisioner: S, parameters: { values: S }, reclaimPolicy: S, mountOptions: strings, allowVolumeExpansion: 'boolean', volumeBindingMode: S, allowedTopologies: { items: 'object' } } },
  defaults: (o) => ({ ...o, reclaimPolicy: (o as unknown as StorageClass).reclaimPolicy ?? 'Delete', volumeBindingMode: (o as unknown as StorageClass).volumeBindingMode ?? 'Immediate' }),
  validate: (o, errs) => {
    const sc = o as unknown as StorageClass;
    validateObjectMeta(sc.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    if (!sc.provisioner) errs.push(required('provisioner'));
    if (sc.reclaimPolicy && !['Delete', 'Retain'].includes(sc.reclaimPolicy)) errs.push(unsupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
    if (sc.volumeBindingMode && !['Immediate', 'WaitForFirstConsumer'].includes(sc.volumeBindingMode)) errs.push(unsupported('volumeBindingMode', sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  },
  columns: [
    { header: 'PROVISIONER', cell: (o) => (o as unknown as StorageClass).provisioner },
    { header: 'RECLAIMPOLICY', cell: (o) => (o as unknown as StorageClass).reclaimPolicy ?? 'Delete' },
    { header: 'VOLUMEBINDINGMODE', cell: (o) => (o as unknown as StorageClass).volumeBindingMode ?? 'Immediate' },
    { header: 'ALLOWVOLUMEEXPANSION', cell: (o) => String(!!(o as unknown as StorageClass).allowVolumeExpansion) },
  ],
});

const pvSpec: Schema = {
  fields: {
    capacity: { values: 'quantity' },
    accessModes: strings,
    persistentVolumeReclaimPolicy: S,
    storageClassName: S,
    volumeMode: S,
    mountOptions: strings,
    hostPath: { fields: { path: S, type: S } },
    local: { fields: { path: S, fsType: S } },
    claimRef: { fields: { kind: S, namespace: S, name: S, uid: S, apiVersion: S, resourceVersion: S, fieldPath: S } },
    nodeAffinity: 'object',
  },
};

registerKind({
  kind: 'PersistentVolume',
  apiVersion: 'v1',
  plural: 'persistentvolumes',
  shortNames: ['pv'],
  namespaced: false,
  durable: true,
  schema: objectSchema(pvSpec),
  defaults: (o) => {
    const pv = o as unknown as PersistentVolume;
    return { ...o, spec: { ...pv.spec, persistentVolumeReclaimPolicy: pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain', volumeMode: pv.spec?.volumeMode ?? 'Filesystem' } } as KubeObject;
  },
  validate: (o, errs) => {
    const pv = o as unknown as PersistentVolume;
    validateObjectMeta(pv.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    const spec = pv.spec ?? {};
    accessModes(spec.accessModes, 'spec.accessModes', errs);
    quantity(spec.capacity?.storage, 'spec.capacity[storage]', errs);
    if (!spec.hostPath && !spec.local) errs.push(required('spec', 'must specify a volume type (podrun binds hostPath and local volumes)'));
    else if (!(spec.hostPath?.path ?? spec.local?.path)?.startsWith('/')) errs.push(invalid(spec.hostPath ? 'spec.hostPath.path' : 'spec.local.path', spec.hostPath?.path ?? spec.local?.path, 'must be an absolute path'));
    const rp = spec.persistentVolumeReclaimPolicy;
    if (rp && !['Retain', 'Delete', 'Recycle'].includes(rp)) errs.push(unsupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']));
  },
  columns: [
    { header: 'CAPACITY', cell: (o) => String((o as unknown as PersistentVolume).spec?.capacity?.storage ?? '') },
    { header: 'ACCESS MODES', cell: (o) => shortModes((o as unknown as PersistentVolume).spec?.accessModes) },
    { header: 'RECLAIM POLICY', cell: (o) => (o as unknown as PersistentVolume).spec?.persistentVolumeReclaimPolicy ?? 'Retain' },
    { header: 'STATUS', cell: (o) => (o as unknown as PersistentVolume).status?.phase ?? 'Pending' },
    {
      header: 'CLAIM',
      cell: (o) => {
        const r = (o as unknown as PersistentVolume).spec?.claimRef;
        return r ? `${r.namespace}/${r.name}` : '';
      },
    },
    { header: 'STORAGECLASS', cell: (o) => (o as unknown as PersistentVolume).spec?.storageClassName || '<unset>' },
    { header: 'VOLUMEATTRIBUTESCLASS', cell: () => '<unset>' },
    { header: 'REASON', cell: (o) => (o as unknown as PersistentVolume).status?.reason ?? '' },
  ],
});

/** RWO, ROX, RWX, RWOP: as kubectl abbreviates access modes. */
export function shortModes(modes: string[] | undefined): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return (modes ?? []).map((m) => short[m] ?? m).join(',');
}

export const pvcSpecSchema: Schema = {
  fields: {
    accessModes: strings,
    selector: labelSelectorSchema,
    resources: { fields: { requests: { values: 'quantity' }, limits: { values: 'quantity' } } },
    volumeName: S,
    storageClassName: S,
    volumeMode: S,
    dataSource: 'object',
    dataSourceRef: 'object',
    volumeAttributesClassName: S,
  },
};

export function validateClaimSpec(spec: PersistentVolumeClaim['spec'], path: string, errs: ErrorList): void {
  accessModes(spec?.accessModes, `${path}.accessModes`, errs);
  quantity(spec?.resources?.requests?.storage, `${path}.resources[storage]`, errs);
}

registerKind({
  kind: 'PersistentVolumeClaim',
  apiVersion: 'v1',
  plural: 'persistentvolumeclaims',
  shortNames: ['pvc'],
  namespaced: true,
  durable: true,
  schema: objectSchema(pvcSpecSchema),
  defaults: (o) => ({ ...o, spec: { ...(o.spec as object), volumeMode: (o as unknown as PersistentVolumeClaim).spec?.volumeMode ?? 'Filesystem' } }),
  validate: (o, errs) => {
    const pvc = o as unknown as PersistentVolumeClaim;
    validateObjectMeta(pvc.metadata, 'metadata', { name: dns1123Subdomain }, errs);
    validateClaimSpec(pvc.spec, 'spec', errs);
  },
  validateUpdate: (old, o, errs) => {
    const a = { ...(old.spec as object), volumeName: undefined, storageClassName: undefined };
    const b = { ...(o.spec as object), volumeName: undefined, storageClassName: undefined };
    const { resources: _ra, ...ra } = a as { resources?: unknown };
    const { resources: _rb, ...rb } = b as { resources?: unknown };
    if (JSON.stringify(ra) !== JSON.stringify(rb)) errs.push(invalid('spec', '', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  },
  columns: [
    { header: 'STATUS', cell: (o) => (o as unknown as PersistentVolumeClaim).status?.phase ?? 'Pending' },
    { header: 'VOLUME', cell: (o) => (o as unknown as PersistentVolumeClaim).spec?.volumeName ?? '' },
    { header: 'CAPACITY', cell: (o) => String((o as unknown as PersistentVolumeClaim).status?.capacity?.storage ?? '') },
    { header: 'ACCESS MODES', cell: (o) => shortModes((o as unknown as PersistentVolumeClaim).status?.accessModes) },
    { header: 'STORAGECLASS', cell: (o) => (o as unknown as PersistentVolumeClaim).spec?.storageClassName ?? '<unset>' },
    { header: 'VOLUMEATTRIBUTESCLASS', cell: () => '<unset>' },
  ],
});
