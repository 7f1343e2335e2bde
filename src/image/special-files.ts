// Device nodes and FIFOs. Node has no mknod(2)/mkfifo(3) binding, and these entries are rare in
// images, so the coreutils commands do it; the caller has already checked that `file` does not
// exist and that no parent is a symlink, and mknod(2) never follows a final symlink anyway.

import { spawnSync } from 'node:child_process';
import { PodrunError } from '../errors';

export type SpecialKind = 'char' | 'block' | 'fifo';

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

export function makeSpecial(file: string, kind: SpecialKind, mode: number, major = 0, minor = 0): void {
  const m = (mode & 0o7777).toString(8);
  const args =
    kind === 'fifo'
      ? ['mkfifo', ['-m', m, '--', file]]
      : ['mknod', ['-m', m, '--', file, kind === 'char' ? 'c' : 'b', String(major), String(minor)]];
  const [cmd, argv] = args as [string, string[]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim();
    throw new PodrunError('System', `${cmd} \`${file}\`: ${why}`);
  }
}

/** Split a Linux dev_t (as fs.Stats.rdev) into major and minor, the way glibc's gnu_dev_major/minor do. */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return {
    major: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0),
    minor: ((lo & 0xff) | (((lo >>> 12) | (hi << 20)) & 0xffffff00)) >>> 0,
  };
}
