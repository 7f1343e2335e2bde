// Processes are identified by {pid, start time}: a bare pid may have been reused since it was
// written down. Opening a pidfd first and checking the start time second pins the right one
// (crun's libcrun_kill_linux order).
import * as fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat, clock ticks since boot, as a decimal string. */
  startTime: string;
}

/** Field 22 of /proc/PID/stat; undefined when the process is gone (or, unless asked, a zombie). */
export function processStartTime(pid: number, includeZombies = false): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (!includeZombies && (state === 'Z' || state === 'X')) return undefined;
    return rest[22 - 3];
  } catch {
    return undefined;
  }
}

export function isAlive(id: ProcessIdentity): boolean {
  return processStartTime(id.pid) === id.startTime;
}

/** Still there, as a zombie too: its exit has not been collected and recorded yet. */
export function notYetReaped(id: ProcessIdentity): boolean {
  return processStartTime(id.pid, true) === id.startTime;
}
