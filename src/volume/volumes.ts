// Pod volumes on disk. Each volume becomes a host directory (or a tmpfs the shim mounts in the
// pod's mount namespace) that containers bind-mount; all of it lives in the pod's folder, so
// it outlives container restarts and goes with the pod.
import * as fs from 'node:fs';
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { parseQuantity } from '../api/quantity';
import type { EnvSources } from '../plan/env';
import { configMapEntries, downwardEntries, projectedEntries, secretEntries, writeEntries, type ObjectLookup } from './projection';

export type { ObjectLookup };
import type { PodPaths } from '../state/paths';

export interface PreparedVolume {
  name: string;
  /** Host path that containers bind. */
  source: string;
  /** configMap and secret volumes are always read-only, as on the kubelet. */
  forceReadOnly: boolean;
}

export interface PodTmpfs {
  target: string;
  options: string;
}

export interface VolumeSetup {
  volumes: Map<string, PreparedVolume>;
  /** Mounted by the shim before any container starts. */
  tmpfs: PodTmpfs[];
  /** What the pod's events should warn of (a placeholder token). */
  warnings: string[];
}

function hostPathVolume(v: Volume, field: string): string {
  const hp = v.hostPath!;
  const p = hp.path;
  const type = hp.type ?? '';
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(p);
  } catch {
    st = undefined;
  }
  const fail = (what: string) => {
    throw new PodrunError('Invalid', `${field}.hostPath.path: hostPath type check failed: ${p} is not a ${what}`);
  };
  switch (type) {
    case 'DirectoryOrCreate':
      if (!st) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('directory');
      break;
    case 'FileOrCreate':
      if (!st) fs.writeFileSync(p, '', { mode: 0o644 });
      else if (!st.isFile()) fail('file');
      break;
    case 'Directory':
      if (!st?.isDirectory()) fail('directory');
      break;
    case 'File':
      if (!st?.isFile()) fail('file');
      break;
    case 'Socket':
      if (!st?.isSocket()) fail('socket');
      break;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('character device');
      break;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('block device');
      break;
    default:
      if (!st) throw new PodrunError('Invalid', `${field}.hostPath.path: ${p} does not exist`, 'create it, or set hostPath.type: DirectoryOrCreate');
  }
  return p;
}

/**
 * An image volume's content: the directory to bind read-only (made in `dest` when the image's
 * layers must be put together there). Throws when the image cannot be had.
 */
export type ImageVolumeSource = (reference: string, dest: string, field: string) => string;

export function prepareVolumes(pod: Pod, paths: PodPaths, objects: ObjectLookup, sources?: EnvSources, imageSource?: ImageVolumeSource): VolumeSetup {
  const ns = pod.metadata?.namespace ?? 'default';
  const volumes = new Map<string, PreparedVolume>();
  const tmpfs: PodTmpfs[] = [];
  const warnings: string[] = [];
  // No folder for a pod without volumes: a folder costs an inode.
  if (pod.spec?.volumes?.length) fs.mkdirSync(paths.volumesDir, { recursive: true, mode: 0o755 });
  (pod.spec?.volumes ?? []).forEach((v, i) => {
    const field = `spec.volumes[${i}]`;
    const dir = paths.volume(v.name);
    if (v.emptyDir) {
      fs.mkdirSync(dir, { recursive: true });
      // emptyDir is world-writable (0777) on the kubelet, so any container uid can use it.
      fs.chmodSync(dir, 0o777);
      if (v.emptyDir.medium === 'Memory') {
        const size = v.emptyDir.sizeLimit !== undefined ? `,size=${Math.floor(parseQuantity(v.emptyDir.sizeLimit))}` : '';
        tmpfs.push({ target: dir, options: `mode=1777${size}` });
      }
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: false });
    } else if (v.hostPath) {
      volumes.set(v.name, { name: v.name, source: hostPathVolume(v, field), forceReadOnly: false });
    } else if (v.persistentVolumeClaim && objects.claimPath) {
      const claim = v.persistentVolumeClaim.claimName ?? '';
      const source = objects.claimPath(ns, claim);
      // The scheduler holds a pod back until its claims are bound: this is a race with a deletion.
      if (!source) throw new PodrunError('Invalid', `${field}.persistentVolumeClaim: persistentvolumeclaim "${claim}" is not bound`);
      volumes.set(v.name, { name: v.name, source, forceReadOnly: v.persistentVolumeClaim.readOnly === true });
    } else if (v.configMap) {
      writeEntries(dir, configMapEntries(ns, v.configMap, objects, v.configMap.defaultMode ?? 0o644, `${field}.configMap`), `${field}.configMap`);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if (v.secret) {
      // Secrets live in memory on the kubelet; here the pod folder is on the runtime dir.
      const name = v.secret.secretName ?? '';
      writeEntries(dir, secretEntries(ns, name, v.secret, objects, v.secret.defaultMode ?? 0o644, `${field}.secret`, 'secretName'), `${field}.secret`);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if (v.downwardAPI && sources) {
      writeEntries(dir, downwardEntries(pod, v.downwardAPI.items, sources, v.downwardAPI.defaultMode ?? 0o644, `${field}.downwardAPI`), `${field}.downwardAPI`);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if (v.projected && sources) {
      const p = projectedEntries(pod, v.projected.sources ?? [], objects, sources, v.projected.defaultMode ?? 0o644, `${field}.projected`);
      writeEntries(dir, p.entries, `${field}.projected`);
      warnings.push(...p.warnings);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if ((v as { image?: { reference?: string } }).image && imageSource) {
      // Image volumes (GA in 1.36): the image's files, read-only, subPath allowed.
      const ref = (v as { image?: { reference?: string } }).image?.reference ?? '';
      volumes.set(v.name, { name: v.name, source: imageSource(ref, dir, `${field}.image.reference`), forceReadOnly: true });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new PodrunError('Unsupported', `${field}.${kind}: volume type not supported by podrun`, 'use emptyDir, hostPath, persistentVolumeClaim, configMap, secret, downwardAPI, projected or image');
    }
  });
  return { volumes, tmpfs, warnings };
}
