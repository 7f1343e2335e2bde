// User namespace id maps: rootless pods, and root's pods with hostUsers: false (kind range, one
// block of podrun's ids: userns-ranges.ts). Rootless, without helpers, an unprivileged user may map only
// its own uid/gid (one line, setgroups denied); with newuidmap/newgidmap and an /etc/subuid
// range, the whole range: 0 -> the user, 1..N -> the subordinate ids (podman's layout).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { IdMapping } from '../types';
import { PodrunError } from '../errors';
import { which } from '../which';

export interface IdMapLine {
  inside: number;
  outside: number;
  count: number;
}

export interface IdMapPlan {
  /** range: a root's pod (hostUsers: false) in its own block of podrun's ids (userns-ranges.ts). */
  kind: 'single' | 'subid' | 'range';
  uid: IdMapLine[];
  gid: IdMapLine[];
  /** false: setgroups is denied inside (single mapping), so containers cannot set supplementary groups. */
  setgroups: boolean;
  /** Why the fuller mapping was not chosen, for a one-time notice. */
  notice?: string;
}

export interface SubIdRange {
  start: number;
  count: number;
}

/** The first range of /etc/subuid (or subgid) text that belongs to the user (by name or uid). */
export function parseSubIds(text: string, user: string, id: number): SubIdRange | undefined {
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || start === undefined || count === undefined) continue;
    if (owner !== user && owner !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) return { start: s, count: c };
  }
  return undefined;
}

export interface IdMapInputs {
  mode: IdMapping;
  uid: number;
  gid: number;
  user: string;
  subuid?: SubIdRange;
  subgid?: SubIdRange;
  helpers: boolean;
  /** false: /etc/passwd has no entry for the uid (`user` is then only the number). */
  hasEntry?: boolean;
}

/** Why the subordinate id range cannot be used, with the commands (as root) that make it usable. */
function subIdWhy(i: IdMapInputs): string {
  if (!i.helpers) return "newuidmap/newgidmap are not installed (as root: 'apt-get install uidmap', Debian package uidmap)";
  const add = (name: string) => `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${name}`;
  if (i.hasEntry === false) return `uid ${i.uid} has no entry in /etc/passwd, so no range in /etc/subuid and /etc/subgid names it (as root: 'useradd -u ${i.uid} NAME', then '${add('NAME')}')`;
  return `no range for ${i.user} in /etc/subuid and /etc/subgid (as root: '${add(i.user)}')`;
}

export function planIdMap(i: IdMapInputs): IdMapPlan {
  const single: IdMapPlan = {
    kind: 'single',
    uid: [{ inside: 0, outside: i.uid, count: 1 }],
    gid: [{ inside: 0, outside: i.gid, count: 1 }],
    setgroups: false,
  };
  if (i.mode === 'single') return single;
  const usable = i.helpers && i.subuid && i.subgid;
  if (!usable) {
    const why = subIdWhy(i);
    if (i.mode === 'subid') {
      throw new PodrunError('Unsupported', `idMapping subid: ${why}`, 'or use idMapping single (PODRUN_ID_MAPPING=single): one uid, 0 inside');
    }
    return { ...single, notice: `${why}: rootless pods map only uid ${i.uid} (as root); runAsUser other than 0 and supplementary groups need the full subordinate id range` };
  }
  return {
    kind: 'subid',
    uid: [
      { inside: 0, outside: i.uid, count: 1 },
      { inside: 1, outside: i.subuid!.start, count: i.subuid!.count },
    ],
    gid: [
      { inside: 0, outside: i.gid, count: 1 },
      { inside: 1, outside: i.subgid!.start, count: i.subgid!.count },
    ],
    setgroups: true,
  };
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Decides the mapping for this process's user from the machine's files. */
export function detectIdMap(mode: IdMapping): IdMapPlan {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let user = String(uid);
  let hasEntry = true;
  try {
    user = os.userInfo().username;
  } catch {
    hasEntry = false; // no entry in /etc/passwd: the range can only be found by uid
  }
  return planIdMap({
    hasEntry,
    mode,
    uid,
    gid,
    user,
    subuid: parseSubIds(readOr('/etc/subuid'), user, uid),
    subgid: parseSubIds(readOr('/etc/subgid'), user, uid),
    helpers: !!(which('newuidmap') && which('newgidmap')),
  });
}

/** Inside id -> host id, or undefined when unmapped. */
export function hostId(lines: IdMapLine[], inside: number): number | undefined {
  for (const l of lines) if (inside >= l.inside && inside < l.inside + l.count) return l.outside + (inside - l.inside);
  return undefined;
}

function runHelper(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', (e) => reject(new PodrunError('System', `${tool}: ${e.message}`, "as root: 'apt-get install uidmap' (Debian package uidmap)")));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const why = stderr.trim() || `exit status ${code}`;
      reject(new PodrunError('System', `${tool} ${args.join(' ')}: ${why}`, 'check /etc/subuid and /etc/subgid, and that newuidmap is setuid root'));
    });
  });
}

/** Writes the maps of a child that is waiting for them (the parent side of the handshake). */
export async function writeIdMaps(pid: number, plan: IdMapPlan): Promise<void> {
  const fmt = (lines: IdMapLine[]) => lines.map((l) => `${l.inside} ${l.outside} ${l.count}`).join('\n') + '\n';
  if (plan.kind === 'range') {
    // Root writes any map itself; setgroups stays allowed.
    fs.writeFileSync(`/proc/${pid}/uid_map`, fmt(plan.uid));
    fs.writeFileSync(`/proc/${pid}/gid_map`, fmt(plan.gid));
    return;
  }
  if (plan.kind === 'single') {
    // The gid map of an unprivileged writer is refused until setgroups is denied.
    fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    fs.writeFileSync(`/proc/${pid}/uid_map`, fmt(plan.uid));
    fs.writeFileSync(`/proc/${pid}/gid_map`, fmt(plan.gid));
    return;
  }
  // The two setuid helpers are independent: run them side by side (each costs an exec).
  const args = (lines: IdMapLine[]) => [String(pid), ...lines.flatMap((l) => [String(l.inside), String(l.outside), String(l.count)])];
  await Promise.all([runHelper('newuidmap', args(plan.uid)), runHelper('newgidmap', args(plan.gid))]);
}
