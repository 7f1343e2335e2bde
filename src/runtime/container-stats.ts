// What a container uses: CPU and memory from its cgroups (the caller's), and its writable
// layer's bytes and inodes, walked at most once per STATS_INTERVAL_MS (the kubelet asks every
// few seconds for every container; a walk of a big layer is not redone for each).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupUsage } from '../cgroups/manager';
import type { ContainerMeta } from './cri-records';

export interface ContainerStatsView extends Omit<ContainerMeta, 'image'> {
  timestamp: number;
  /** undefined: not running, or no cgroups here. */
  usage: CgroupUsage | undefined;
  layer: { path: string; bytes: number; inodes: number };
}

/** How long a layer's walked size is reused: the kubelet's housekeeping interval. */
const STATS_INTERVAL_MS = 10_000;

const walked = new Map<string, { at: number; bytes: number; inodes: number }>();

/** A layer's size, walked again when the last walk is older than STATS_INTERVAL_MS. */
export function layerUsage(dir: string, now = Date.now()): { bytes: number; inodes: number } {
  const last = walked.get(dir);
  if (last && now - last.at < STATS_INTERVAL_MS) return { bytes: last.bytes, inodes: last.inodes };
  const u = diskUsage(dir);
  walked.set(dir, { at: now, ...u });
  return u;
}

/** Forgets a removed layer's walk. */
export function forgetLayer(dir: string): void {
  walked.delete(dir);
}

/** Bytes and inodes under a folder (its writable layer), not following links; 0 when it is gone. */
function diskUsage(dir: string): { bytes: number; inodes: number } {
  let bytes = 0;
  let inodes = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      try {
        const st = fs.lstatSync(p);
        bytes += st.blocks * 512;
        inodes++;
      } catch {
        continue;
      }
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return { bytes, inodes };
}
