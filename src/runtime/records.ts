// Reading what the shim wrote: per container and attempt, a start record and an exit record.
// These files, not any process's memory, are the truth about what ran.
import * as fs from 'node:fs';
import type { PodPaths } from '../state/paths';

export interface StartRecord {
  name: string;
  attempt: number;
  pid: number;
  startTime: number;
  startedAt: string;
}

export interface ExitRecord extends StartRecord {
  exitCode: number;
  signal: number;
  finishedAt: string;
  /** StartError when the container never reached execve. */
  reason?: string;
  message?: string;
}

export interface AttemptRecord {
  attempt: number;
  start?: StartRecord;
  exit?: ExitRecord;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** All attempts of one container, oldest first. */
export function readAttempts(paths: PodPaths, name: string): AttemptRecord[] {
  let files: string[];
  try {
    files = fs.readdirSync(paths.containerDir(name));
  } catch {
    return [];
  }
  const attempts = new Set<number>();
  for (const f of files) {
    const m = /^(\d+)\.(start|exit)\.json$/.exec(f);
    if (m) attempts.add(Number(m[1]));
  }
  return [...attempts]
    .sort((a, b) => a - b)
    .map((attempt) => ({
      attempt,
      start: readJson<StartRecord>(paths.startRecord(name, attempt)),
      exit: readJson<ExitRecord>(paths.exitRecord(name, attempt)),
    }));
}

export function latestAttempt(paths: PodPaths, name: string): AttemptRecord | undefined {
  const all = readAttempts(paths, name);
  return all[all.length - 1];
}
