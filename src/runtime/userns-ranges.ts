// User namespaces for root's pods (hostUsers: false), as the kubelet's userns manager: each pod
// gets its own 65536 uids and gids, carved from the range /etc/subuid and /etc/subgid give the
// user `podrun`, so container root is an unprivileged host id that no other pod shares.
// One record per block under the state root (userns/<block>), made by link(2) of a finished
// temp file: creating the name is the allocation (atomic, with its owner inside), so no two
// pods, in any number of processes, get the same block; deleting it gives the block back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import type { IdMapPlan } from './idmap';
import { parseSubIds, type SubIdRange } from './idmap';

/** The size of every pod's range (the kubelet's userns length). */
export const RANGE_SIZE = 65536;
/** The name whose /etc/subuid and /etc/subgid entries podrun carves ranges from. */
export const SUBID_OWNER = 'podrun';
/** What README and the error suggest: 100 pods' ranges, clear of the usual 100000+ user ranges. */
export const SUGGESTED_ENTRY = `${SUBID_OWNER}:1000000:6553600`;

/** The blocks of RANGE_SIZE ids that both ranges hold (uid and gid blocks go by the same index). */
export function blockCount(uid: SubIdRange, gid: SubIdRange): number {
  return Math.min(Math.floor(uid.count / RANGE_SIZE), Math.floor(gid.count / RANGE_SIZE));
}

/** The id map of block `i`: container 0..65535 -> the block's host ids. */
export function rangePlan(uid: SubIdRange, gid: SubIdRange, i: number): IdMapPlan {
  return {
    kind: 'range',
    uid: [{ inside: 0, outside: uid.start + i * RANGE_SIZE, count: RANGE_SIZE }],
    gid: [{ inside: 0, outside: gid.start + i * RANGE_SIZE, count: RANGE_SIZE }],
    setgroups: true,
  };
}

export function missingEntryMessage(uidFile: string, gidFile: string, why: string): string {
  return `hostUsers: false needs host ids for the pod's user namespace, and ${why}: as root, add the line '${SUGGESTED_ENTRY}' to ${uidFile} and to ${gidFile} (ranges of ${RANGE_SIZE} ids a pod, not overlapping any other entry)`;
}

interface RangeRecord {
  pod: string;
}

export class UsernsRanges {
  constructor(
    private readonly dir: string,
    /** The files to read; tests point them elsewhere (PODRUN_SUBUID_FILE, PODRUN_SUBGID_FILE). */
    private readonly files = { uid: process.env.PODRUN_SUBUID_FILE || '/etc/subuid', gid: process.env.PODRUN_SUBGID_FILE || '/etc/subgid' },
  ) {}

  /** podrun's ranges, or the one-line error that names the fix. */
  ranges(): { uid: SubIdRange; gid: SubIdRange; blocks: number } {
    const read = (f: string) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const uid = parseSubIds(read(this.files.uid), SUBID_OWNER, -1);
    const gid = parseSubIds(read(this.files.gid), SUBID_OWNER, -1);
    const missing = [!uid && this.files.uid, !gid && this.files.gid].filter(Boolean);
    if (!uid || !gid) throw new PodrunError('Unsupported', missingEntryMessage(this.files.uid, this.files.gid, `${missing.join(' and ')} ${missing.length > 1 ? 'have' : 'has'} no entry for ${SUBID_OWNER}`));
    const blocks = blockCount(uid, gid);
    if (blocks < 1) throw new PodrunError('Unsupported', missingEntryMessage(this.files.uid, this.files.gid, `the ${SUBID_OWNER} entries hold fewer than ${RANGE_SIZE} ids`));
    return { uid, gid, blocks };
  }

  private owners(): Map<number, string> {
    const out = new Map<number, string>();
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const n of names) {
      if (!/^\d+$/.test(n)) continue;
      try {
        out.set(Number(n), (JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as RangeRecord).pod);
      } catch {
        /* a record being removed */
      }
    }
    return out;
  }

  /** The pod's range: the one it holds already (a sandbox made again), else the first free block. */
  allocate(pod: string): IdMapPlan {
    const { uid, gid, blocks } = this.ranges();
    const owners = this.owners();
    for (const [i, owner] of owners) if (owner === pod && i < blocks) return rangePlan(uid, gid, i);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.${pod}.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify({ pod } satisfies RangeRecord) + '\n', { mode: 0o600 });
    try {
      for (let i = 0; i < blocks; i++) {
        if (owners.has(i)) continue;
        try {
          fs.linkSync(tmp, path.join(this.dir, String(i)));
          return rangePlan(uid, gid, i);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    throw new PodrunError('Unsupported', `hostUsers: false: all ${blocks} user namespace ranges of ${RANGE_SIZE} ids in ${this.files.uid} are in use`, `delete a pod with hostUsers: false, or give ${SUBID_OWNER} a longer range in ${this.files.uid} and ${this.files.gid}`);
  }

  /** Gives back whatever the pod holds. */
  release(pod: string): void {
    for (const [i, owner] of this.owners()) if (owner === pod) fs.rmSync(path.join(this.dir, String(i)), { force: true });
  }

  /** Records whose pod is gone (an engine that died between allocation and the pod's record). */
  reconcile(alive: (pod: string) => boolean): void {
    for (const [i, owner] of this.owners()) if (!alive(owner)) fs.rmSync(path.join(this.dir, String(i)), { force: true });
  }
}
