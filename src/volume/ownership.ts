// fsGroup on volumes, as the kubelet's SetVolumeOwnership: every file and folder of the volume
// gets the group, group read (and write unless the volume is read-only), and folders the setgid
// bit, so that what containers create there inherits the group. The kubelet does this for
// emptyDir, configMap, secret, downwardAPI and projected volumes, always (fsGroupChangePolicy
// only saves time on persistent volumes, whose content outlives the pod; these are new with each
// pod), never for hostPath or image volumes. The shim does the walk: rootless, only a process in
// the pod's user namespace can give a file a group of the container's.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PreparedVolume } from './volumes';

export interface VolumeOwnership {
  gid: number;
  volumes: { path: string; readOnly: boolean }[];
}

const OWNED = ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected'];

/** What the shim sets before any container starts, or null without fsGroup (or such volumes). */
export function volumeOwnership(pod: Pod, prepared: Map<string, PreparedVolume>): VolumeOwnership | null {
  const gid = pod.spec?.securityContext?.fsGroup;
  if (gid === undefined) return null;
  const volumes: VolumeOwnership['volumes'] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const p = prepared.get(v.name);
    if (!p || !OWNED.some((k) => (v as unknown as Record<string, unknown>)[k] !== undefined)) continue;
    volumes.push({ path: p.source, readOnly: p.forceReadOnly });
  }
  return volumes.length ? { gid, volumes } : null;
}
