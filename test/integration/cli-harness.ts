// Driving bin/podrun against a private root, shared by the CLI test files: the CLI starts
// `podrun serve` for the root in the background, and teardown stops it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Podrun } from '../../src/podrun';
import { buildBusyboxRootfs, IMAGE, missingBusybox, missingFeature, readOr, REPO, sleep, tempDir, type Test } from './harness';

export const CLI = path.join(REPO, 'bin', 'podrun');
const MAIN = path.join(REPO, 'dist', 'cli', 'main.js');

/** Why the CLI tests cannot run here, if they cannot. */
export function missingCli(): string | undefined {
  return missingFeature() ?? missingBusybox() ?? (fs.existsSync(MAIN) ? undefined : `${path.relative(REPO, MAIN)} is missing: the CLI is not built (npm run build)`);
}

export interface CliEnv {
  root: string;
  dataRoot: string;
  dir: string;
  run(args: string[], input?: string): SpawnSyncReturns<string>;
}

/** The `podrun serve --root ROOT` processes. */
export function servePids(root: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const argv = readOr(`/proc/${p}/cmdline`).split('\0');
    const at = argv.indexOf('--root');
    if (argv.includes('serve') && at >= 0 && argv[at + 1] === root) out.push(Number(p));
  }
  return out;
}

/**
 * Signals every engine serving `root`. One may be gone between the listing and the kill (a
 * second engine that lost the race for the root's lock ends by itself): not an error.
 */
export function signalServes(root: string, signal: NodeJS.Signals): void {
  for (const pid of servePids(root)) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

export async function cliEnv(t: Test, prefix = 'podrun-cli-'): Promise<CliEnv> {
  const dir = tempDir(t, prefix);
  const root = path.join(dir, 'state');
  const dataRoot = path.join(dir, 'data');
  await new Podrun({ root, dataRoot }).images.importImage(buildBusyboxRootfs(dir), IMAGE);
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [CLI, '--root', root, '--data-root', dataRoot, ...args], { encoding: 'utf8', input, timeout: 30_000 });
  t.teardown(() => endRoot(root, run));
  return { root, dataRoot, dir, run };
}

/** A test's end: every pod of the root deleted at once, then its serve stopped. */
export async function endRoot(root: string, run: (args: string[]) => unknown): Promise<void> {
  // What makes pods goes first, or it would make again the pods deleted next.
  run(['delete', 'cronjobs,deployments,statefulsets,daemonsets,jobs,replicasets,replicationcontrollers', '--all']);
  run(['delete', 'pods', '--all', '--grace-period=0', '--force']);
  for (const pid of servePids(root)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 100 && servePids(root).length; i++) await sleep(50);
}
