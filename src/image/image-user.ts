// A container's user as containerd resolves it (oci.WithUser), given the image's `User` or the
// pod's runAsUser: `uid`, `uid:gid`, `name` or
// `name:group`, names looked up in the image's own /etc/passwd and /etc/group (in the top-most
// layer that has the file, unless a layer above hides it). A uid alone takes its primary group
// from /etc/passwd when listed there, else 0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import type { ImageRecord } from './types';

interface LayerLists {
  whiteouts?: string[];
  opaque?: string[];
}

/** `rel` under `root` as a regular file, with no symlink on the way (an image is not trusted). */
function readPlain(root: string, rel: string): string | undefined {
  let cur = root;
  for (const part of rel.split('/')) {
    cur = path.join(cur, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) return undefined;
  }
  try {
    return fs.statSync(cur).isFile() ? fs.readFileSync(cur, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** A file of the image as its container sees it: the top-most layer that has it, unless hidden above. */
export function readImageFile(image: ImageRecord, rel: string): string | undefined {
  if (!image.layers) return image.rootfs ? readPlain(image.rootfs, rel) : undefined;
  const ancestors = rel.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  for (const root of [...image.layers].reverse()) {
    const text = readPlain(root, rel);
    if (text !== undefined) return text;
    let lists: LayerLists = {};
    try {
      lists = JSON.parse(fs.readFileSync(path.join(path.dirname(root), 'layer.json'), 'utf8')) as LayerLists;
    } catch {
      /* no record: nothing hidden */
    }
    // Deleted here (a whiteout on it or a parent), or a parent made opaque: lower layers do not show.
    if (ancestors.some((a) => lists.whiteouts?.includes(a))) return undefined;
    if (ancestors.slice(0, -1).some((a) => lists.opaque?.includes(a))) return undefined;
  }
  return undefined;
}

/** name → [id, primary gid] from passwd-format text (group files have no fourth field). */
function entries(text: string | undefined): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2]!)) continue;
    if (!out.has(f[0]!)) out.set(f[0]!, [Number(f[2]), /^\d+$/.test(f[3] ?? '') ? Number(f[3]) : 0]);
  }
  return out;
}

export interface ImageUser {
  uid: number;
  gid: number;
  /** The user was given by name (the kubelet cannot verify runAsNonRoot for those). */
  named: boolean;
}

/**
 * The groups the image's /etc/group gives the user of `uid` (by its name in /etc/passwd) as a
 * member: what supplementalGroupsPolicy Merge adds, as containerd's WithAdditionalGIDs.
 */
export function imageGroups(image: ImageRecord, uid: number): number[] {
  const name = [...entries(readImageFile(image, 'etc/passwd')).entries()].find(([, [id]]) => id === uid)?.[0];
  if (name === undefined) return [];
  const out: number[] = [];
  for (const line of (readImageFile(image, 'etc/group') ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    if (f[3]!.split(',').map((m) => m.trim()).includes(name)) out.push(Number(f[2]));
  }
  return out;
}

/** `user` (the image's User, or the pod's runAsUser[:runAsGroup]) against the image's files. */
export function resolveUser(image: ImageRecord, user: string | undefined, field: string): ImageUser | undefined {
  if (!user) return undefined;
  const [u = '', g] = user.split(':');
  let passwd: Map<string, [number, number]> | undefined;
  const users = () => (passwd ??= entries(readImageFile(image, 'etc/passwd')));
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    gid = [...users().values()].find(([id]) => id === uid)?.[1] ?? 0;
  } else {
    const e = users().get(u) ?? (u === 'root' ? ([0, 0] as [number, number]) : undefined);
    if (!e) throw new PodrunError('Invalid', `${field}: unable to find user ${u}: no matching entries in the image's /etc/passwd`);
    [uid, gid] = e;
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const e = entries(readImageFile(image, 'etc/group')).get(g);
      if (!e) throw new PodrunError('Invalid', `${field}: unable to find group ${g}: no matching entries in the image's /etc/group`);
      gid = e[0];
    }
  }
  return { uid, gid, named: !/^\d+$/.test(u) };
}
