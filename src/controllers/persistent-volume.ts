// The persistent volume controller on one host: binds claims to volumes as Kubernetes' PV
// controller does (storage class, access modes, capacity, selector; the smallest that fits),
// provisions a folder under the data root for claims of the built-in `local-path` class, and
// when a claim goes, releases its volume — deleted (with its folder, when podrun made it) or
// retained, by the volume's reclaim policy. A claim in use by a pod waits for the pod to go
// before it goes (the kubernetes.io/pvc-protection finalizer).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import { parseQuantity } from '../api/quantity';
import { DEFAULT_CLASS, LOCAL_PATH, PROVISIONER } from '../api/kinds/storage';
import { removeTree } from '../state/remove-tree';
import type { Controller, ControllerContext } from './context';

type PV = PersistentVolume & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;

export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

/** The claims a pod's volumes name. */
export function claimsOf(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}

const storage = (q: string | number | undefined): number => (q === undefined ? 0 : parseQuantity(q));
const inUse = (pods: Pod[], claim: string) => pods.some((p) => claimsOf(p).includes(claim) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');

/** The built-in default class, made once per state root. */
export function defaultStorageClass(): StorageClass & KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH, annotations: { [DEFAULT_CLASS]: 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
}

export class ClaimController implements Controller {
  readonly kind = 'PersistentVolumeClaim';
  constructor(
    private readonly ctx: ControllerContext,
    /** Where provisioned volumes live: <data root>/volumes. */
    private readonly volumesDir: string,
  ) {}

  /** A pod's change matters to the claims it uses (one waiting to be deleted); a volume's, to every waiting claim. */
  related(obj: KubeObject): string[] {
    if (obj.kind === 'Pod') return claimsOf(obj as unknown as Pod).map((c) => `${obj.metadata?.namespace}/${c}`);
    if (obj.kind === 'PersistentVolume' || obj.kind === 'StorageClass') {
      return this.ctx.store
        .list<PVC>('PersistentVolumeClaim')
        .filter((c) => c.status?.phase !== 'Bound')
        .map((c) => `${c.metadata!.namespace}/${c.metadata!.name}`);
    }
    return [];
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    let pvc = store.get<PVC>('PersistentVolumeClaim', namespace, name);
    if (!pvc) return;
    const pods = store.list<Pod>('Pod', namespace);
    if (pvc.metadata?.deletionTimestamp) {
      if (!inUse(pods, name)) store.update({ ...pvc, metadata: { ...pvc.metadata, finalizers: (pvc.metadata.finalizers ?? []).filter((f) => f !== PVC_PROTECTION) } });
      return;
    }
    if (!(pvc.metadata?.finalizers ?? []).includes(PVC_PROTECTION)) pvc = store.update({ ...pvc, metadata: { ...pvc.metadata, finalizers: [...(pvc.metadata?.finalizers ?? []), PVC_PROTECTION] } });
    if (pvc.status?.phase === 'Bound') return;
    // The default class, for a claim that names none (the DefaultStorageClass admission).
    if (pvc.spec?.storageClassName === undefined) {
      const def = store.list<StorageClass & KubeObject>('StorageClass').find((sc) => sc.metadata?.annotations?.[DEFAULT_CLASS] === 'true');
      if (def) pvc = store.update({ ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata!.name } });
    }
    const pv = this.findVolume(pvc) ?? this.provision(pvc);
    if (!pv) {
      this.ctx.event(pvc, 'Normal', 'FailedBinding', pvc.spec?.storageClassName ? `storageclass.storage.k8s.io "${pvc.spec.storageClassName}" not found` : 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    this.bind(pvc, pv);
  }

  /** An Available volume that fits: by name when the claim names one, else the smallest that fits. */
  private findVolume(pvc: PVC): PV | undefined {
    const want = storage(pvc.spec?.resources?.requests?.storage);
    const cls = pvc.spec?.storageClassName ?? '';
    const fits = (pv: PV) =>
      !pv.spec?.claimRef &&
      (pv.spec?.storageClassName ?? '') === cls &&
      storage(pv.spec?.capacity?.storage) >= want &&
      (pvc.spec?.accessModes ?? []).every((m) => (pv.spec?.accessModes ?? []).includes(m)) &&
      (!pvc.spec?.selector || selectorMatches(pvc.spec.selector, pv.metadata?.labels));
    const all = this.ctx.store.list<PV>('PersistentVolume');
    if (pvc.spec?.volumeName) {
      const pv = all.find((p) => p.metadata?.name === pvc.spec!.volumeName);
      const ref = pv?.spec?.claimRef;
      return pv && (!ref || (ref.namespace === pvc.metadata?.namespace && ref.name === pvc.metadata?.name)) ? pv : undefined;
    }
    return all.filter(fits).sort((a, b) => storage(a.spec?.capacity?.storage) - storage(b.spec?.capacity?.storage))[0];
  }

  /** A folder and a volume for a claim of a class podrun provisions. */
  private provision(pvc: PVC): PV | undefined {
    const { store } = this.ctx;
    const cls = pvc.spec?.storageClassName;
    const sc = cls ? store.get<StorageClass & KubeObject>('StorageClass', undefined, cls) : undefined;
    if (!sc || sc.provisioner !== PROVISIONER) return undefined;
    const name = `pvc-${pvc.metadata!.uid}`;
    const dir = path.join(this.volumesDir, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
    // Any container user may write, as local-path-provisioner's folders allow.
    fs.chmodSync(dir, 0o777);
    const pv: PV = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER } },
      spec: {
        capacity: { storage: String(pvc.spec?.resources?.requests?.storage ?? '1Gi') },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: (sc.reclaimPolicy ?? 'Delete') as 'Delete' | 'Retain',
        storageClassName: cls,
        volumeMode: 'Filesystem',
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
      },
    };
    const made = store.get<PV>('PersistentVolume', undefined, name) ?? store.create(pv);
    this.ctx.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
    return made;
  }

  private bind(pvc: PVC, pv: PV): void {
    const { store } = this.ctx;
    const claimRef = { kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid, apiVersion: 'v1' };
    const boundPV = store.update({ ...pv, spec: { ...pv.spec, claimRef } });
    store.updateStatus('PersistentVolume', undefined, pv.metadata!.name!, { phase: 'Bound' });
    const ann = { ...pvc.metadata?.annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    const claim = store.update({ ...pvc, metadata: { ...pvc.metadata, annotations: ann }, spec: { ...pvc.spec, volumeName: boundPV.metadata!.name } });
    store.updateStatus('PersistentVolumeClaim', claim.metadata!.namespace, claim.metadata!.name!, { phase: 'Bound', accessModes: boundPV.spec?.accessModes, capacity: boundPV.spec?.capacity });
  }
}

/** Volumes: Available when free, Bound to their claim, and reclaimed when the claim is gone. */
export class VolumeController implements Controller {
  readonly kind = 'PersistentVolume';
  constructor(private readonly ctx: ControllerContext) {}

  /** A claim's deletion matters to the volume bound to it. */
  related(obj: KubeObject): string[] {
    if (obj.kind !== 'PersistentVolumeClaim') return [];
    const name = (obj as PVC).spec?.volumeName;
    return name ? [`/${name}`] : [];
  }

  async reconcile(_namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const pv = store.get<PV>('PersistentVolume', undefined, name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) {
      if (pv.status?.phase !== 'Available') store.updateStatus('PersistentVolume', undefined, name, { phase: 'Available' });
      return;
    }
    const claim = store.get<PVC>('PersistentVolumeClaim', ref.namespace, ref.name ?? '');
    if (claim && (!ref.uid || claim.metadata?.uid === ref.uid)) return;
    // Its claim is gone.
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      if (pv.metadata?.annotations?.[PROVISIONED_BY] === PROVISIONER && pv.spec.hostPath?.path) {
        try {
          removeTree(pv.spec.hostPath.path);
        } catch (e) {
          this.ctx.event(pv, 'Warning', 'VolumeFailedDelete', `removing ${pv.spec.hostPath.path}: ${(e as Error).message}`);
          store.updateStatus('PersistentVolume', undefined, name, { phase: 'Failed', message: (e as Error).message });
          return;
        }
      }
      store.delete('PersistentVolume', undefined, name);
      return;
    }
    if (pv.status?.phase !== 'Released') store.updateStatus('PersistentVolume', undefined, name, { phase: 'Released' });
  }
}
