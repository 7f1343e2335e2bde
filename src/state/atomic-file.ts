// Replace a file so that readers see the old content or the new, never a torn write, and the
// new content survives a crash once we return: temp file in the same directory (rename is
// atomic only within one filesystem), fsync the data, rename, fsync the directory entry.

import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

/**
 * `durable`: also fsync, so the content survives a machine crash (the image store). Runtime state
 * only has to survive the death of a process, and skipping the fsyncs keeps pod start fast.
 */
export function writeFileAtomicSync(file: string, data: string | Buffer, mode = 0o600, durable = true): void {
  const dir = path.dirname(file);
  // pid and a counter: unique among processes and within this one, without the cost of randomness.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
  let fd: number;
  try {
    fd = fs.openSync(tmp, flags, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Left by a crashed process that had our pid: it is gone, and so can its file be.
    fs.rmSync(tmp, { force: true });
    fd = fs.openSync(tmp, flags, mode);
  }
  try {
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (durable) fsyncDir(dir);
}

/** Make a rename or unlink in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runtime state (the state root): atomic, owner-only, not fsynced (see writeFileAtomicSync). */
export function writeStateFile(file: string, data: string): void {
  writeFileAtomicSync(file, data, 0o600, false);
}
