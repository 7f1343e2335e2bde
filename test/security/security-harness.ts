// The escape suite's helpers: attempts made inside a container through `podrun exec` (many in
// one exec, chained with the payload's --then), each answering `ok`, `empty` or an errno's name
// (native/payload/attempts.c), and the defences a case still waits for.
import * as fs from 'node:fs';
import type { E2e } from '../e2e/e2e-harness';
import { readOr } from '../integration/harness';

/**
 * The defences being built beside this suite (issue 15): while one has not landed, the cases
 * that need it are `todo` with this reason. Set an entry to undefined once it has landed.
 */
export const WAITING: Record<'seccomp' | 'devices' | 'pids' | 'sharedPid1', string | undefined> = {
  seccomp: undefined,
  devices: undefined,
  pids: undefined,
  sharedPid1: undefined,
};

/** One attempt: the payload's `try` arguments. */
export type Attempt = string[];

/**
 * Runs the attempts in one exec of POD's CONTAINER and returns each one's verdict, in order
 * (a multi-line answer such as scan-exe's is not allowed here). A failed exec fails the test.
 */
export function attempt(e: E2e, pod: string, container: string, attempts: Attempt[]): string[] {
  const argv: string[] = [];
  for (const a of attempts) argv.push(...(argv.length ? ['--then'] : []), 'try', ...a);
  const r = e.run(['exec', pod, '-c', container, '--', '/payload', ...argv]);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (r.status !== 0 || lines.length !== attempts.length) {
    throw new Error(`exec ${pod}/${container} ${argv.join(' ')}: exit ${r.status}, ${lines.length} answers for ${attempts.length} attempts: ${r.stdout}${r.stderr}`);
  }
  return lines;
}

/** The answers of several attempts by name, e.g. { 'unshare-user': 'EPERM' }. */
export function byName(attempts: Attempt[], answers: string[]): Map<string, string> {
  return new Map(attempts.map((a, i) => [a.join(' '), answers[i]!]));
}

/** Does this host have the file (some kernels lack /proc/kcore or /proc/sysrq-trigger)? */
export const hostHas = (p: string) => fs.existsSync(p);

/** The host pids whose command line is exactly argv. */
export function pidsOf(argv: string[]): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    if (readOr(`/proc/${p}/cmdline`) === argv.join('\0') + '\0') out.push(Number(p));
  }
  return out;
}

/** The mount points of the host (this process's mount namespace). */
export function hostMountPoints(): string[] {
  return readOr('/proc/self/mountinfo')
    .split('\n')
    .filter((l) => l)
    .map((l) => l.split(' ')[4]!.replace(/\\040/g, ' '));
}
