// Records that change often (a pod's decisions, its events) kept as a log of JSON lines.
// Appending a line is one write into an existing file, where replacing a file atomically costs a
// new inode and a rename: on the ext4 of the machines podrun is measured on, ~0.5 ms of kernel
// time each, several times per pod start. A line is written with one write(2), which a dying
// process cannot tear; a line torn by a machine crash does not parse and is skipped. Once a log
// outgrows its limit (COMPACT_BYTES unless the caller says) it is replaced, atomically, by what
// it says now; a limit well above the compacted size keeps compactions rare.
import * as fs from 'node:fs';
import { writeStateFile } from './atomic-file';

/** By default, a log longer than this is rewritten by its `compact()` on the next append. */
export const COMPACT_BYTES = 64 * 1024;

/**
 * Appends `value` as one JSON line (creating the file owner-only). `compact` gives the lines
 * that say everything the log says (its latest state), for when the log has grown too long.
 */
export function appendRecord(file: string, value: unknown, compact: () => unknown[], limit = COMPACT_BYTES): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600); // libuv adds O_CLOEXEC
  let size: number;
  try {
    fs.writeSync(fd, JSON.stringify(value) + '\n');
    size = fs.fstatSync(fd).size;
  } finally {
    fs.closeSync(fd);
  }
  if (size > limit) writeStateFile(file, compact().map((v) => JSON.stringify(v) + '\n').join(''));
}

/** Every record of the log, oldest first; torn or foreign lines are skipped. Missing file: none. */
export function readRecords(file: string): unknown[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* torn by a crash */
    }
  }
  return out;
}

/** The last record of the log, or undefined when it has none. */
export function readLastRecord(file: string): unknown {
  const all = readRecords(file);
  return all[all.length - 1];
}
