// What a root's pod with its own user namespace (hostUsers: false) sees of the host's files.
// Its shim and containers run as the pod's block of ids (userns-ranges.ts), which own nothing on
// the host: root's state root (0700) cannot even be crossed, and the image layers, the pod's own
// folder and its configMaps belong to host root, who is nobody inside. So before the shim runs,
// root's engine makes, in the pod's mount namespace (native podMounts):
//   - a tmpfs over the state root, hiding every other pod's folder;
//   - the pod's folder at its own path, idmapped (host 0 is the pod's 0: the shim can use the
//     files root's engine writes, and configMap/secret/downwardAPI/projected volumes keep root
//     ownership inside);
//   - each emptyDir as it is, owned by the pod's root on the host (a file container root writes
//     there is the pod's block's first id on the host, as on the kubelet);
//   - each volume from outside the folder (hostPath, a claim's folder) idmapped, under the tmpfs;
// and before each container starts, its image layers idmapped under the tmpfs (each once a pod),
// for overlayfs to use as lower layers. The plan (plan/container.ts) names the pod's paths.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { native, type PodMount } from '../native';
import type { PodPaths } from '../state/paths';
import type { PreparedVolume } from '../volume/volumes';
import type { IdMapPlan } from './idmap';
import { podLayerPath, podVolumeSource, stateRoot } from '../plan/userns-paths';

/** The emptyDirs on disk (memory ones are the shim's tmpfs, the pod's already). */
function diskEmptyDirs(pod: Pod, paths: PodPaths): string[] {
  return (pod.spec?.volumes ?? []).filter((v) => v.emptyDir && v.emptyDir.medium !== 'Memory').map((v) => paths.volume(v.name));
}

/** The pod's containers/ folder (logs, records, writable layers), which the shim may write. */
function containersDir(paths: PodPaths): string {
  return path.dirname(paths.containerDir('x'));
}

/** Before the sandbox: the pod's root given its emptyDirs (made by prepareVolumes, 0777 as the kubelet makes them), containers/ made. */
export function prepareFolders(pod: Pod, paths: PodPaths, idmap: IdMapPlan): void {
  for (const dir of diskEmptyDirs(pod, paths)) fs.chownSync(dir, idmap.uid[0].outside, idmap.gid[0].outside);
  fs.mkdirSync(containersDir(paths), { recursive: true, mode: 0o700 });
}

/**
 * The mounts made before the shim runs (see the top of this file), and once it is ready (it has
 * made its socket): the pod's folder read-only to it but for containers/ and volumes/, so that
 * the engine's own records there (pod.json, sandbox.json, state, volumes.json) are out of the
 * pod's reach: a pod that took its shim over must not rewrite what a restarted engine trusts.
 */
export function sandboxMounts(pod: Pod, paths: PodPaths, volumes: Iterable<PreparedVolume>): { beforeStart: PodMount[]; onceReady: PodMount[] } {
  const out: PodMount[] = [
    { kind: 'tmpfs', source: '', target: stateRoot(paths), once: false },
    { kind: 'idmap', source: paths.dir, target: paths.dir, once: false },
    { kind: 'idmap', source: containersDir(paths), target: containersDir(paths), once: false },
  ];
  if (fs.existsSync(paths.volumesDir)) out.push({ kind: 'idmap', source: paths.volumesDir, target: paths.volumesDir, once: false });
  for (const dir of diskEmptyDirs(pod, paths)) out.push({ kind: 'bind', source: dir, target: dir, once: false });
  for (const v of volumes) {
    const target = podVolumeSource(paths, v);
    if (target !== v.source) out.push({ kind: 'idmap', source: v.source, target, once: true });
  }
  return { beforeStart: out, onceReady: [{ kind: 'readonly', source: '', target: paths.dir, once: false }] };
}

/** Makes mounts in the mount namespace of the pod whose shim is `pid` (pidfd: an open one of it). */
export function mountInPod(pid: number, pidfd: number, mounts: PodMount[]): void {
  if (!mounts.length) return;
  const userns = fs.openSync(`/proc/${pid}/ns/user`, 'r');
  try {
    native.podMounts({ pidfd, usernsFd: userns, mounts });
  } finally {
    fs.closeSync(userns);
  }
}

/** The image layers a container's overlay uses, idmapped into the pod (those already there are kept). */
export function layerMounts(paths: PodPaths, layers: readonly string[]): PodMount[] {
  return layers.map((l) => ({ kind: 'idmap' as const, source: l, target: podLayerPath(paths, l), once: true }));
}

/** Before a container of such a pod starts: its image's layers idmapped into the pod (kept for the pod's life). */
export function mountLayers(pid: number, pidfd: number, paths: PodPaths, layers: readonly string[]): void {
  for (const l of layers) markOpaqueForUserxattr(l);
  mountInPod(pid, pidfd, layerMounts(paths, layers));
}

/**
 * The pod's overlayfs (userxattr) reads only user.overlay.opaque; layers root unpacked before
 * podrun set it beside trusted.overlay.opaque have only the latter. Their record (layer.json,
 * beside the layer's root) lists the opaque folders: marked again, which costs nothing when done.
 */
function markOpaqueForUserxattr(layer: string): void {
  let opaque: string[] = [];
  try {
    opaque = (JSON.parse(fs.readFileSync(path.join(path.dirname(layer), 'layer.json'), 'utf8')) as { opaque?: string[] }).opaque ?? [];
  } catch {
    return; // not a layer of the store (an imported root filesystem)
  }
  for (const dir of opaque) {
    try {
      native.setXattr(path.join(layer, dir), 'user.overlay.opaque', 'y');
    } catch {
      /* the pod sees the folder's lower entries; nothing better to do */
    }
  }
}

/** The container's cgroup.procs files, which its process (the pod's root, nobody to the host) joins itself. */
export function chownCgroupProcs(procs: readonly string[], idmap: IdMapPlan): void {
  for (const f of procs) fs.chownSync(f, idmap.uid[0].outside, idmap.gid[0].outside);
}
