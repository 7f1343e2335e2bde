// The escape suite's helpers: attempts made inside a container through `podrun exec` (many in
// one exec, chained with the payload's --then), each answering `ok`, `empty` or an errno's name
// (native/payload/attempts.c), and the defences a case still waits for.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { E2e } from '../e2e/e2e-harness';
import { CLI } from '../integration/cli-harness';
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

/** `podrun ARGS...` on the e2e root, without waiting for it: for execs that may run side by side. */
export function runAsync(e: E2e, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PODRUN_') && k !== 'PODRUN_NETWORK_NAMESPACE_PID') delete env[k];
  const child = spawn(process.execPath, [CLI, '--root', e.root, '--data-root', path.join(e.dir, 'data'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

/**
 * Attempts gathered per container and made in one exec each, all containers at once: `add`
 * them, `run` once, then `get` each answer by its container and attempt.
 */
export class Batch {
  private readonly wanted = new Map<string, Attempt[]>();
  private readonly answers = new Map<string, string>();
  constructor(private readonly e: E2e) {}
  add(pod: string, container: string, attempts: Attempt[]): void {
    const k = `${pod}/${container}`;
    const list = this.wanted.get(k) ?? [];
    for (const a of attempts) if (!list.some((b) => b.join(' ') === a.join(' '))) list.push(a);
    this.wanted.set(k, list);
  }
  async run(): Promise<void> {
    await Promise.all(
      [...this.wanted].map(async ([k, list]) => {
        const [pod, container] = k.split('/') as [string, string];
        const argv: string[] = [];
        for (const a of list) argv.push(...(argv.length ? ['--then'] : []), 'try', ...a);
        const r = await runAsync(this.e, ['exec', pod, '-c', container, '--', '/payload', ...argv]);
        const lines = r.stdout.split('\n').filter((l) => l !== '');
        if (r.status !== 0 || lines.length !== list.length) throw new Error(`exec ${k} ${argv.join(' ')}: exit ${r.status}, ${lines.length} answers for ${list.length} attempts: ${r.stdout}${r.stderr}`);
        list.forEach((a, i) => this.answers.set(`${k} ${a.join(' ')}`, lines[i]!));
      }),
    );
  }
  get(pod: string, container: string, a: Attempt): string | undefined {
    return this.answers.get(`${pod}/${container} ${a.join(' ')}`);
  }
}
