// The end-to-end suite's only way in: bin/podrun, as a user runs it. No engine options, no
// PODRUN_* knobs, kubelet timings as they are: what this suite passes is what users get.
// Each test has a private --root and --data-root (ordinary CLI flags) and imports its image
// with `podrun image import`; teardown deletes what is left and stops the root's serve.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { CLI, endRoot, missingCli } from '../integration/cli-harness';
import { buildBusyboxRootfs, sleep, tempDir, type Test } from '../integration/harness';

export { missingCli as missingE2e, sleep };
export const IMAGE = 'busybox:e2e';

/**
 * The environment of a user's shell, less podrun's own knobs (a developer's may be set). One
 * stays: as root, the harness's sandbox network namespace (PODRUN_NETWORK_NAMESPACE_PID), so
 * that pods' bridge and veths never touch the machine's own network. It changes where, not how.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PODRUN_') && k !== 'PODRUN_NETWORK_NAMESPACE_PID') delete env[k];
  return env;
}

export interface E2e {
  dir: string;
  /** The busybox root filesystem the image was imported from. */
  rootfs: string;
  root: string;
  /** Runs `podrun --root R --data-root D ARGS...` to its end. */
  run(args: string[], input?: string): SpawnSyncReturns<string>;
  /** Runs it and fails the test unless it exits 0; its stdout. */
  ok(args: string[], input?: string): string;
  /** `get pod NAME -o json`, or undefined when there is none. */
  pod(name: string): Pod | undefined;
  /** Polls `get pod` until `want` holds; the pod then, or undefined at the timeout. */
  until(name: string, want: (p: Pod) => boolean, timeoutMs: number): Promise<Pod | undefined>;
  /** A running command (logs -f, get -w): its output so far and a stop. */
  start(args: string[]): { output(): string; stop(): Promise<void> };
  /** Writes a manifest into the test's folder; its path. */
  file(name: string, text: string): string;
}

export async function e2e(t: Test): Promise<E2e> {
  const dir = tempDir(t, 'podrun-e2e-');
  const root = path.join(dir, 'state');
  const dataRoot = path.join(dir, 'data');
  const env = userEnv();
  const base = [CLI, '--root', root, '--data-root', dataRoot];
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [...base, ...args], { encoding: 'utf8', input, env, timeout: 120_000, maxBuffer: 256 << 20 });
  const ok = (args: string[], input?: string) => {
    const r = run(args, input);
    if (r.status !== 0) t.fail(`podrun ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const pod = (name: string) => {
    const r = run(['get', 'pod', name, '-o', 'json']);
    return r.status === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
  };
  const children = new Set<ReturnType<typeof spawn>>();
  t.teardown(async () => {
    for (const c of children) c.kill('SIGKILL');
    await endRoot(root, run);
  });
  const rootfs = buildBusyboxRootfs(dir);
  ok(['image', 'import', rootfs, IMAGE]);
  return {
    dir,
    rootfs,
    root,
    run,
    ok,
    pod,
    async until(name, want, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const p = pod(name);
        if (p && want(p)) return p;
        if (Date.now() > end) return undefined;
        await sleep(250);
      }
    },
    start(args) {
      const child = spawn(process.execPath, [...base, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const closed = new Promise<void>((r) => child.once('close', () => r()));
      return {
        output: () => out,
        stop: async () => {
          child.kill('SIGTERM');
          await closed;
          children.delete(child);
        },
      };
    },
    file(name, text) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    },
  };
}

/**
 * A pod manifest of busybox:e2e containers (name: [command...]); `extra` lines go into the
 * spec, `containerExtra` lines into each container.
 */
export function podYaml(name: string, containers: Record<string, string[]>, extra = '', containerExtra = ''): string {
  const list = Object.entries(containers)
    .map(([c, cmd]) => `  - name: ${c}\n    image: ${IMAGE}\n    command: ${JSON.stringify(cmd)}\n${containerExtra}`)
    .join('');
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${extra}  containers:\n${list}`;
}

/** A shell loop that ends at SIGTERM, as a well-behaved server does. */
export const SERVE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];
