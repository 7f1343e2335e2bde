// Where a root's pod with its own user namespace (hostUsers: false) finds the host's trees it
// uses: the paths its plan names (runtime/userns-mounts.ts makes the mounts there). Pure.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { IdMapPlan } from '../runtime/idmap';
import type { PodPaths } from '../state/paths';
import type { PreparedVolume } from '../volume/volumes';

/** Pods whose user namespace is one of root's blocks (not the rootless engine's own). */
export function ownUserns(idmap: IdMapPlan | null | undefined): idmap is IdMapPlan {
  return idmap?.kind === 'range';
}

/** The state root whose pods/ holds this pod's folder. */
export function stateRoot(paths: PodPaths): string {
  return path.dirname(path.dirname(paths.dir));
}

function key(hostPath: string): string {
  return createHash('sha256').update(hostPath).digest('hex').slice(0, 24);
}

/** Where the pod sees an image layer: its idmapped view, under the tmpfs over the state root. */
export function podLayerPath(paths: PodPaths, layer: string): string {
  return path.join(stateRoot(paths), 'layers', key(layer));
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Where the pod sees a volume: in its folder as it is; from elsewhere, an idmapped view under the tmpfs. */
export function podVolumeSource(paths: PodPaths, v: PreparedVolume): string {
  return inside(paths.dir, v.source) ? v.source : path.join(stateRoot(paths), 'volumes', key(v.source));
}
