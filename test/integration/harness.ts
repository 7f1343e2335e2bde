// Shared set-up for the integration suite: a private state root and data root per test file
// (under /tmp, reachable by the unprivileged test user), a busybox-static image with the test
// payload at /payload, and teardown that deletes every pod and closes the engine.
//
// Modes (PODRUN_TEST_MODE): `root` runs as root; `rootless` runs as an unprivileged user (the
// test process itself is that user), with PODRUN_ID_MAPPING=single or subid.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { Podrun } from '../../src/podrun';
import { PodPaths } from '../../src/state/paths';
import { podDirId } from '../../src/kubelet/engine';
import { Cgroups } from '../../src/cgroups/manager';
import type { LogOptions, PodrunOptions } from '../../src/types';
import type { Test } from 'tap';

export type { Test };

// Rootful pods get a bridge and veths: in a sandbox network namespace, never the host's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('../support/sandbox-netns.js') as { useSandboxNetns(): void }).useSandboxNetns();

export const REPO = path.resolve(__dirname, '..', '..');
export const PAYLOAD = path.join(REPO, 'build', 'Release', 'podrun-payload');
export const BUSYBOX = '/bin/busybox';
export const IMAGE = 'busybox:test';
export const asRoot = process.geteuid?.() === 0;
export const mode = process.env.PODRUN_TEST_MODE ?? (asRoot ? 'root' : 'rootless');
export const idMapping = process.env.PODRUN_ID_MAPPING ?? 'auto';

const BUSYBOX_LINKS = ['sh', 'ls', 'cat', 'echo', 'sleep', 'hostname', 'id', 'ps', 'touch', 'mkdir', 'wget', 'httpd', 'readlink', 'date', 'stat', 'true', 'false', 'rm', 'test', 'grep', 'tr', 'head', 'wc'];

/**
 * Why a slow test that does not depend on the id mapping skips the rootless run with the single
 * mapping: the run with subordinate ids covers rootless, and CI keeps within its time.
 */
export function coveredBySubidRun(): string | undefined {
  return process.env.PODRUN_TEST_MODE === 'rootless' && process.env.PODRUN_ID_MAPPING === 'single' ? 'covered by the rootless run with subordinate ids (nothing here depends on the id mapping)' : undefined;
}

/**
 * A reason to skip in both rootless runs: files whose subject is the engine's controllers or the
 * CLI's output (schedules, back-off, listings), which are the same code as root and rootless;
 * the pods they make are covered rootless by every other file. CI's 30 minutes go further.
 */
export function coveredByRootRun(): string | undefined {
  return process.env.PODRUN_TEST_MODE === 'rootless' ? 'covered by the root run (controllers and CLI output are the same code rootless; rootless pods are covered by the other files)' : undefined;
}

/** Why this machine cannot run pods at all, or undefined. */
export function missingFeature(): string | undefined {
  if (!fs.existsSync(PAYLOAD)) return `${PAYLOAD} is missing: run npm run build`;
  if (!asRoot) {
    const max = readOr('/proc/sys/user/max_user_namespaces').trim();
    if (max === '0') return 'rootless user namespaces are unavailable (user.max_user_namespaces=0)';
    const clone = readOr('/proc/sys/kernel/unprivileged_userns_clone').trim();
    if (clone === '0') return 'rootless user namespaces are unavailable (kernel.unprivileged_userns_clone=0)';
    const apparmor = readOr('/proc/sys/kernel/apparmor_restrict_unprivileged_userns').trim();
    if (apparmor === '1') return 'rootless user namespaces are restricted by AppArmor';
  }
  return undefined;
}

/** Why the busybox image cannot be built, or undefined. */
export function missingBusybox(): string | undefined {
  try {
    fs.accessSync(BUSYBOX, fs.constants.X_OK);
  } catch {
    return `${BUSYBOX} is missing: install Debian's busybox-static`;
  }
  return undefined;
}

export function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** A fresh directory under /tmp whose parents the unprivileged user can search. */
export function tempDir(t: Test, prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755);
  t.teardown(async () => {
    killLeftoverShims(d);
    removeTree(d);
    for (const uid of leftoverCgroups.splice(0)) await Cgroups.detect().remove(uid).catch(() => undefined);
  });
  return d;
}

/**
 * A safety net for a test that failed half-way: the shims of pods still under DIR (found by
 * their sandbox.json, checked by command line) are killed, so no pod outlives its test.
 */
const leftoverCgroups: string[] = [];

function killLeftoverShims(dir: string): void {
  const roots = [path.join(dir, 'state'), dir];
  for (const root of roots) {
    let ids: string[] = [];
    try {
      ids = fs.readdirSync(path.join(root, 'pods'));
    } catch {
      continue;
    }
    for (const id of ids) {
      const podDir = path.join(root, 'pods', id);
      try {
        const { pid } = JSON.parse(fs.readFileSync(path.join(podDir, 'sandbox.json'), 'utf8')) as { pid: number };
        if (readOr(`/proc/${pid}/cmdline`).split('\0').includes(podDir)) process.kill(pid, 'SIGKILL');
      } catch {
        /* no sandbox, or gone */
      }
      // Its cgroups too (as root on cgroup v1: <hierarchy>/podrun/pod<uid>), once its processes are gone.
      try {
        const { metadata } = JSON.parse(fs.readFileSync(path.join(podDir, 'pod.json'), 'utf8')) as { metadata: { uid: string } };
        leftoverCgroups.push(metadata.uid);
      } catch {
        /* no pod object */
      }
    }
  }
}

function removeTree(d: string): void {
  try {
    fs.rmSync(d, { recursive: true, force: true });
  } catch {
    // read-only directories in the tree: make them writable, then try again
    const fix = (p: string): void => {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        return;
      }
      if (!st.isDirectory()) return;
      try {
        fs.chmodSync(p, 0o700);
      } catch {
        /* not ours */
      }
      for (const n of fs.readdirSync(p)) fix(path.join(p, n));
    };
    fix(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
}

/** A root filesystem directory with busybox, its command links, and the payload at /payload. */
export function buildBusyboxRootfs(dir: string): string {
  const rootfs = path.join(dir, 'busybox-rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) fs.mkdirSync(path.join(rootfs, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const l of BUSYBOX_LINKS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', l));
  fs.copyFileSync(PAYLOAD, path.join(rootfs, 'payload'));
  fs.chmodSync(path.join(rootfs, 'payload'), 0o755);
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(rootfs, 'only-in-image'), 'from the image\n');
  return rootfs;
}

export interface Env {
  podrun: Podrun;
  root: string;
  dataRoot: string;
  /** Where a test may put host files (hostPath sources). */
  scratch: string;
  opts: PodrunOptions;
}

/**
 * Sets up a state root and data root for this test (file), optionally importing the busybox
 * image, and registers teardown. Returns undefined after t.skip... when the machine lacks a feature.
 */
export async function setup(t: Test, o: { image?: boolean; podrun?: Partial<PodrunOptions> } = {}): Promise<Env> {
  const base = tempDir(t, 'podrun-it-');
  const root = path.join(base, 'state');
  const dataRoot = path.join(base, 'data');
  const scratch = path.join(base, 'scratch');
  fs.mkdirSync(scratch, { mode: 0o755 });
  const opts: PodrunOptions = { root, dataRoot, ...o.podrun };
  const podrun = new Podrun(opts);
  t.teardown(async () => {
    await cleanup(podrun);
  });
  if (o.image !== false) await podrun.images.importImage(buildBusyboxRootfs(base), IMAGE);
  return { podrun, root, dataRoot, scratch, opts };
}

/** Kinds whose objects make pods: deleted first, or they would make again the pods cleanup deletes. */
const POD_MAKERS = ['CronJob', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet', 'ReplicationController'];

export async function cleanup(podrun: Podrun): Promise<void> {
  try {
    for (const kind of POD_MAKERS) {
      let objs: { metadata?: { name?: string; namespace?: string } }[] = [];
      try {
        objs = await podrun.list(kind);
      } catch {
        continue; // a kind this build does not know
      }
      for (const o of objs) await podrun.delete(kind, o.metadata!.name!, { namespace: o.metadata!.namespace }).catch(() => undefined);
    }
    for (const p of await podrun.listPods()) {
      await podrun.deletePod(p.metadata!.name!, { namespace: p.metadata!.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  } finally {
    await podrun.close();
  }
}

/** A pod object with defaults filled in for brevity. */
export function pod(name: string, spec: Pod['spec'], extra: Partial<Pod> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec, ...extra };
}

/** A container running the payload (chained with --then). */
export function payload(name: string, ...args: string[]) {
  return { name, image: IMAGE, command: ['/payload', ...args] };
}

export const isRunning = (p: Pod) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => !!c.state?.running);
export const isDone = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export function podPaths(env: Env, p: Pod): PodPaths {
  return new PodPaths(path.join(env.root, 'pods', podDirId(p.metadata!.uid!)));
}

/** Runs argv in a container and collects its output. */
export async function execOut(podrun: Podrun, name: string, argv: string[], o: { container?: string; input?: string } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const s = await podrun.exec(name, argv, { container: o.container, stdin: o.input !== undefined });
  let stdout = '';
  let stderr = '';
  s.stdout.setEncoding('utf8');
  s.stdout.on('data', (d: string) => (stdout += d));
  s.stderr?.setEncoding('utf8');
  s.stderr?.on('data', (d: string) => (stderr += d));
  if (o.input !== undefined) s.stdin.end(o.input);
  const { exitCode } = await s.exit;
  return { stdout, stderr, exitCode };
}

export async function logs(podrun: Podrun, name: string, o: LogOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const l of podrun.logs(name, o)) out.push(l);
  return out;
}

/** The log lines of a container that has finished (waits for the pod to settle first). */
export async function waitLogs(podrun: Podrun, name: string, container: string, want: (lines: string[]) => boolean, timeoutMs = 10_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let lines: string[] = [];
    try {
      lines = await logs(podrun, name, { container });
    } catch {
      /* not started yet */
    }
    if (want(lines) || Date.now() > until) return lines;
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Is a process with this pid alive on the host (not a zombie)? */
export function alive(pid: number): boolean {
  const st = readOr(`/proc/${pid}/stat`);
  if (!st) return false;
  const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The uid range in /etc/subuid for this user, if any. */
export function subuidStart(): number | undefined {
  const user = os.userInfo().username;
  const uid = process.getuid?.() ?? 0;
  for (const line of readOr('/etc/subuid').split('\n')) {
    const [owner, start] = line.trim().split(':');
    if (owner === user || owner === String(uid)) return Number(start);
  }
  return undefined;
}

/** Polls `cond` (every 50 ms, up to `timeoutMs`); true once it holds. */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (cond()) return true;
  return cond();
}
