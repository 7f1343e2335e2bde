// Pod volumes on disk. Each volume becomes a host directory (or a tmpfs the shim mounts in the
// pod's mount namespace) that containers bind-mount; all of it lives in the pod's folder, so
// it outlives container restarts and goes with the pod.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, KeyToPath, Pod, Secret, Volume } from 'kubernetes-types/core/v1';
import { PodrunError, ValidationError } from '../errors';
import { parseQuantity } from '../api/quantity';
import { secretData, type EnvSources } from '../plan/env';
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

export interface ObjectLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

export interface VolumeSetup {
  volumes: Map<string, PreparedVolume>;
  /** Mounted by the shim before any container starts. */
  tmpfs: PodTmpfs[];
}

function writeProjection(dir: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, field: string, optional: boolean): void {
  const entries: [string, Buffer, number][] = [];
  if (items && items.length) {
    items.forEach((it, i) => {
      const v = data[it.key];
      if (v === undefined) {
        if (optional) return;
        throw new PodrunError('Invalid', `${field}.items[${i}].key: couldn't find key ${it.key}`);
      }
      entries.push([it.path, v, it.mode ?? defaultMode]);
    });
  } else {
    for (const [k, v] of Object.entries(data)) entries.push([k, v, defaultMode]);
  }
  for (const [rel, content, mode] of entries) {
    const file = path.join(dir, rel);
    if (!file.startsWith(dir + path.sep)) throw new ValidationError(field, `Invalid value: "${rel}": must not escape the volume`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
  }
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

/** The downward API's text for a field: labels and annotations as sorted `key="value"` lines. */
function downwardValue(pod: Pod, fieldPath: string, sources: EnvSources): string | undefined {
  if (fieldPath === 'metadata.labels' || fieldPath === 'metadata.annotations') {
    const map = (fieldPath === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  }
  return sources.fieldRef(fieldPath);
}

export function prepareVolumes(pod: Pod, paths: PodPaths, objects: ObjectLookup, sources?: EnvSources): VolumeSetup {
  const ns = pod.metadata?.namespace ?? 'default';
  const volumes = new Map<string, PreparedVolume>();
  const tmpfs: PodTmpfs[] = [];
  fs.mkdirSync(paths.volumesDir, { recursive: true, mode: 0o755 });
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
    } else if (v.configMap) {
      const cm = objects.configMap(ns, v.configMap.name ?? '');
      const optional = !!v.configMap.optional;
      if (!cm && !optional) throw new PodrunError('Invalid', `${field}.configMap.name: configmap "${v.configMap.name}" not found`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const data: Record<string, Buffer> = {};
      for (const [k, val] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(val);
      for (const [k, val] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(val, 'base64');
      writeProjection(dir, data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `${field}.configMap`, optional);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if (v.secret) {
      const s = objects.secret(ns, v.secret.secretName ?? '');
      const optional = !!v.secret.optional;
      if (!s && !optional) throw new PodrunError('Invalid', `${field}.secret.secretName: secret "${v.secret.secretName}" not found`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const data: Record<string, Buffer> = {};
      for (const [k, val] of Object.entries(s ? secretData(s) : {})) data[k] = Buffer.from(val, 'binary');
      // Secrets live in memory on the kubelet; here the pod folder is on the runtime dir.
      writeProjection(dir, data, v.secret.items, v.secret.defaultMode ?? 0o644, `${field}.secret`, optional);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else if (v.downwardAPI && sources) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const data: Record<string, Buffer> = {};
      const items: KeyToPath[] = [];
      (v.downwardAPI.items ?? []).forEach((it, k) => {
        const value = it.fieldRef
          ? downwardValue(pod, it.fieldRef.fieldPath, sources)
          : it.resourceFieldRef
            ? sources.resourceFieldRef?.(it.resourceFieldRef)
            : undefined;
        if (value === undefined) throw new PodrunError('Invalid', `${field}.downwardAPI.items[${k}]: unsupported field`);
        data[it.path] = Buffer.from(value);
        items.push({ key: it.path, path: it.path, ...(it.mode !== undefined ? { mode: it.mode } : {}) });
      });
      writeProjection(dir, data, items, v.downwardAPI.defaultMode ?? 0o644, `${field}.downwardAPI`, false);
      volumes.set(v.name, { name: v.name, source: dir, forceReadOnly: true });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new PodrunError('Unsupported', `${field}.${kind}: volume type not supported by podrun`, 'use emptyDir, hostPath, configMap or secret');
    }
  });
  return { volumes, tmpfs };
}
