// A cross-process exclusive lock made of a directory: mkdir either creates it or fails with
// EEXIST, atomically, on every local filesystem, and needs no native code (Node has no flock).
// The holder writes `{pid, startTime}` inside, so a lock left by a process that died is noticed
// and broken: a bare pid could have been reused by an unrelated process since.
//
// The critical sections that use this lock are synchronous and short (an index rewrite, a
// rename), so the waiting is synchronous too; that also keeps two async importers in one
// process from interleaving inside the section.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { processStartTime } from '../state/process';

interface Owner {
  pid: number;
  startTime: string;
}

const OWNER_FILE = 'owner';
// A lock dir without an owner file is being set up; only after this long is its creator presumed dead.
const ORPHAN_AGE_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function readOwner(lockDir: string): Owner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(lockDir, OWNER_FILE), 'utf8')) as Partial<Owner>;
    if (typeof o.pid === 'number' && typeof o.startTime === 'string') return { pid: o.pid, startTime: o.startTime };
  } catch {
    // missing or half-written: treated as "being set up"
  }
  return undefined;
}

function isStale(lockDir: string): boolean {
  const owner = readOwner(lockDir);
  if (owner) return processStartTime(owner.pid) !== owner.startTime;
  try {
    return Date.now() - fs.statSync(lockDir).mtimeMs > ORPHAN_AGE_MS;
  } catch {
    return false; // vanished: the next mkdir will tell
  }
}

// Move the stale lock aside before deleting it, so a waiter that judged the same lock stale
// cannot delete a lock that a third process has taken in the meantime.
function breakStale(lockDir: string): void {
  const aside = `${lockDir}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockDir, aside);
  } catch {
    return;
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

/** Run `fn` while holding the lock `lockDir`; waits up to `timeoutMs` for another holder. */
export function withLockSync<T>(lockDir: string, fn: () => T, timeoutMs = 30_000): T {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      fs.mkdirSync(lockDir, { mode: 0o700 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lockDir)) {
      breakStale(lockDir);
      continue;
    }
    if (Date.now() > deadline) {
      const owner = readOwner(lockDir);
      throw new PodrunError(
        'Timeout',
        `lock \`${lockDir}\` still held after ${timeoutMs} ms${owner ? ` by pid ${owner.pid}` : ''}`,
        'another podrun process is using the image store; if none is running, remove the lock directory',
      );
    }
    sleepSync(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  const me: Owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
  fs.writeFileSync(path.join(lockDir, OWNER_FILE), JSON.stringify(me), { mode: 0o600 });
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
