// Which bridge, pod CIDR and nftables table a rootful state root uses. Two state roots in one
// network namespace must not hand out the same addresses nor remove each other's bridge: each
// claims the first free slot k in a registry kept per network namespace
// (/run/podrun-networks/<netns inode>/<k>, created with O_EXCL, holding the root's path; a slot
// whose root is gone is taken back) and records its choice in network/identity.json, so that a
// later engine, and `system reset`, use the same. Slot 0 is podrun0, 10.88.0.0/16 and table
// `podrun` (what a machine with one root, the usual case, gets); slot k is podrun<k>,
// 10.<88+k>.0.0/16 and table podrun<k>. Rootless roots each have their own network host, and
// so their own namespace: they keep slot 0's names without a registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { writeStateFile } from '../state/atomic-file';

export interface NetworkIdentity {
  bridge: string;
  cidr: string;
  table: string;
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

/** The namespace the bridge lives in, by inode: the registry is kept per namespace. */
function netnsId(hostPid: number | undefined): string {
  return String(fs.statSync(`/proc/${hostPid ?? 'self'}/ns/net`).ino);
}

/** The root's identity: recorded, or claimed now. */
export function rootNetworkIdentity(stateDir: string, hostPid: number | undefined, registry = REGISTRY_DIR): NetworkIdentity {
  try {
    const saved = JSON.parse(fs.readFileSync(identityFile(stateDir), 'utf8')) as NetworkIdentity;
    if (saved.bridge && saved.cidr && saved.table) return saved;
  } catch {
    /* not chosen yet */
  }
  const identity = claimSlot(path.join(registry, netnsId(hostPid)), path.resolve(stateDir));
  fs.mkdirSync(path.dirname(identityFile(stateDir)), { recursive: true, mode: 0o700 });
  writeStateFile(identityFile(stateDir), JSON.stringify(identity) + '\n');
  return identity;
}

function claimSlot(dir: string, owner: string): NetworkIdentity {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let k = 0; k <= MAX_SLOT; k++) {
    const file = path.join(dir, String(k));
    for (let tries = 0; tries < 2; tries++) {
      try {
        fs.writeFileSync(file, owner + '\n', { flag: 'wx', mode: 0o600 });
        return slotIdentity(k);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      // Taken: by a root that still exists, or by one deleted without `system reset`.
      let holder = '';
      try {
        holder = fs.readFileSync(file, 'utf8').trim();
      } catch {
        continue; // released meanwhile: try again
      }
      if (holder === owner) return slotIdentity(k);
      if (fs.existsSync(holder)) break;
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
  const dir = path.join(registry, netnsId(hostPid));
  const file = path.join(dir, k);
  try {
    if (fs.readFileSync(file, 'utf8').trim() === path.resolve(stateDir)) fs.rmSync(file, { force: true });
    // The namespace's folder goes with its last slot.
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  } catch {
    /* not ours, or gone */
  }
}
