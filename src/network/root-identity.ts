// Which bridge, pod CIDR and nftables table a rootful state root uses. Two state roots in one
// network namespace must not hand out the same addresses nor remove each other's bridge: each
// claims the first free slot k in a registry kept per network namespace
// (/run/podrun-networks/<netns inode>/<k>, created with O_EXCL, holding the root's path and the
// namespace's holder process when it is not the machine's own) and records its choice in
// network/identity.json, so that a later engine, and `system reset`, use the same. A slot is
// taken back when its root is gone or its namespace is (the holder process ended: an inode
// number is reused by later namespaces); a recorded choice counts only in its own namespace. Slot 0 is podrun0, 10.88.0.0/16 and table
// `podrun` (what a machine with one root, the usual case, gets); slot k is podrun<k>,
// 10.<88+k>.0.0/16 and table podrun<k>. Rootless roots each have their own network host, and
// so their own namespace: they keep slot 0's names without a registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { writeStateFile } from '../state/atomic-file';
import { processStartTime } from '../state/process';

export interface NetworkIdentity {
  bridge: string;
  cidr: string;
  table: string;
}

/** A network namespace: its inode, and the process holding it when it is not ours (pid, start time). */
interface NamespaceRef {
  ino: string;
  holder?: { pid: number; startTime: string };
}

function namespaceRef(hostPid: number | undefined): NamespaceRef {
  const ino = String(fs.statSync(`/proc/${hostPid ?? 'self'}/ns/net`).ino);
  if (hostPid === undefined) return { ino };
  return { ino, holder: { pid: hostPid, startTime: processStartTime(hostPid) ?? '' } };
}

function sameNamespace(a: NamespaceRef | undefined, b: NamespaceRef): boolean {
  return !!a && a.ino === b.ino && a.holder?.pid === b.holder?.pid && a.holder?.startTime === b.holder?.startTime;
}

/** A namespace whose holder process has ended is gone (ours, and the machine's, never end first). */
function namespaceGone(ns: NamespaceRef | undefined): boolean {
  return !!ns?.holder && processStartTime(ns.holder.pid) !== ns.holder.startTime;
}

export const DEFAULT_IDENTITY: NetworkIdentity = { bridge: 'podrun0', cidr: '10.88.0.0/16', table: 'podrun' };
/** Slots 0..MAX_SLOT: 10.88.0.0/16 to 10.238.0.0/16. */
const MAX_SLOT = 150;
export const REGISTRY_DIR = '/run/podrun-networks';

function identityFile(stateDir: string): string {
  return path.join(stateDir, 'network', 'identity.json');
}

function slotIdentity(k: number): NetworkIdentity {
  return k === 0 ? DEFAULT_IDENTITY : { bridge: `podrun${k}`, cidr: `10.${88 + k}.0.0/16`, table: `podrun${k}` };
}

/** The root's identity: recorded (in this namespace), or claimed now. */
export function rootNetworkIdentity(stateDir: string, hostPid: number | undefined, registry = REGISTRY_DIR): NetworkIdentity {
  const here = namespaceRef(hostPid);
  try {
    const saved = JSON.parse(fs.readFileSync(identityFile(stateDir), 'utf8')) as NetworkIdentity & { netns?: NamespaceRef };
    if (saved.bridge && saved.cidr && saved.table && sameNamespace(saved.netns, here)) return { bridge: saved.bridge, cidr: saved.cidr, table: saved.table };
  } catch {
    /* not chosen yet */
  }
  const identity = claimSlot(path.join(registry, here.ino), path.resolve(stateDir), here);
  fs.mkdirSync(path.dirname(identityFile(stateDir)), { recursive: true, mode: 0o700 });
  writeStateFile(identityFile(stateDir), JSON.stringify({ ...identity, netns: here }) + '\n');
  return identity;
}

function claimSlot(dir: string, owner: string, here: NamespaceRef): NetworkIdentity {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let k = 0; k <= MAX_SLOT; k++) {
    const file = path.join(dir, String(k));
    for (let tries = 0; tries < 2; tries++) {
      try {
        fs.writeFileSync(file, JSON.stringify({ owner, netns: here }) + '\n', { flag: 'wx', mode: 0o600 });
        return slotIdentity(k);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      // Taken: by a root that still exists here, or by one deleted without `system reset`, or in
      // an earlier namespace that had this inode.
      let entry: { owner?: string; netns?: NamespaceRef };
      try {
        entry = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof entry;
      } catch {
        continue; // released meanwhile (or torn): try again
      }
      if (entry.owner === owner && sameNamespace(entry.netns, here)) return slotIdentity(k);
      if (entry.owner && fs.existsSync(entry.owner) && !namespaceGone(entry.netns)) break;
      fs.rmSync(file, { force: true });
    }
  }
  throw new PodrunError('Conflict', `no free pod network for state root ${owner}: ${MAX_SLOT + 1} other roots hold one in this network namespace`, `run \`podrun system reset\` on roots no longer used, or remove stale entries in ${dir}`);
}

/** system reset: the slot goes back (the bridge and table are removed by the caller). */
export function releaseRootNetwork(stateDir: string, hostPid: number | undefined, registry = REGISTRY_DIR): void {
  let id: NetworkIdentity;
  try {
    id = JSON.parse(fs.readFileSync(identityFile(stateDir), 'utf8')) as NetworkIdentity;
  } catch {
    return;
  }
  const k = /^podrun(\d+)$/.exec(id.bridge)?.[1];
  if (k === undefined) return;
  const dir = path.join(registry, namespaceRef(hostPid).ino);
  const file = path.join(dir, k);
  try {
    if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { owner?: string }).owner === path.resolve(stateDir)) fs.rmSync(file, { force: true });
    // The namespace's folder goes with its last slot.
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  } catch {
    /* not ours, or gone */
  }
}
