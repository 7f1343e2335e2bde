// Pods outlive `podrun serve`, seen through the CLI only: with the serve the CLI started for
// the root SIGKILLed, the pod's shim and containers keep running and exits are still recorded;
// the next CLI command starts a new serve, which re-attaches and reports what happened
// meanwhile (exit code, logs). Teardown stops the serve started for the root.
import t from 'tap';
import { cliEnv, missingCli, servePids } from './cli-harness';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { alive, IMAGE, readOr, sleep } from './harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}


/** The pids /proc/locks names as holding a lock on FILE (flock records the locking pid). */
function lockHolders(file: string): number[] {
  let ino: number;
  try {
    ino = fs.statSync(file).ino;
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of readOr('/proc/locks').split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    const f = line.trim().split(/\s+/);
    const dev = f.findIndex((x) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(x));
    if (dev < 1) continue;
    if (Number(f[dev]!.split(':')[2]) === ino) out.push(Number(f[dev - 1]));
  }
  return out;
}


const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

t.test('SIGKILL of podrun serve leaves the pod running; the next CLI command re-attaches', async (t) => {
  const env = await cliEnv(t, 'podrun-clidur-');
  const file = path.join(env.dir, 'pod.yaml');
  fs.writeFileSync(file, `apiVersion: v1
kind: Pod
metadata:
  name: clidurable
spec:
  restartPolicy: Never
  containers:
  - name: quits
    image: ${IMAGE}
    command: ["/payload", "sleep", "1", "--then", "echo", "leaving with 3", "--then", "exit", "3"]
  - name: stays
    image: ${IMAGE}
    command: ["/payload", "sleep", "3600"]
`);
  const applied = env.run(['apply', '-f', file]);
  t.equal(applied.status, 0, `apply exits 0 (${applied.stderr.trim()})`);
  t.match(applied.stdout, /pod\/clidurable created/, 'apply says created');

  // The pod folder and its records.
  const podsDir = path.join(env.root, 'pods');
  const ids = fs.readdirSync(podsDir);
  t.equal(ids.length, 1, 'one pod folder');
  const podDir = path.join(podsDir, ids[0]!);
  const startPid = (name: string) => readJson<{ pid: number }>(path.join(podDir, 'containers', name, '0.start.json'))?.pid;
  for (let i = 0; i < 100 && !(startPid('quits') && startPid('stays')); i++) await sleep(20);
  const shim = readJson<{ pid: number }>(path.join(podDir, 'sandbox.json'))?.pid ?? 0;
  const stays = startPid('stays') ?? 0;
  const quits = startPid('quits') ?? 0;
  t.ok(shim && alive(shim), `the shim runs (pid ${shim})`);
  t.ok(stays && alive(stays), `container stays runs (pid ${stays})`);

  // The serve the CLI started: found by its command line, and it holds serve.lock.
  const serves = servePids(env.root);
  t.equal(serves.length, 1, `one podrun serve for the root (${serves.join(' ')})`);
  const serve = serves[0]!;
  t.ok(lockHolders(path.join(env.root, 'serve.lock')).includes(serve), 'it holds serve.lock');
  const quitsRanAtKill = alive(quits) && !fs.existsSync(path.join(podDir, 'containers', 'quits', '0.exit.json'));
  process.kill(serve, 'SIGKILL');
  for (let i = 0; i < 100 && alive(serve); i++) await sleep(20);
  t.notOk(alive(serve), 'serve is dead');
  t.ok(quitsRanAtKill, 'container quits was still running when serve was killed');

  await sleep(2000);
  t.ok(alive(shim), 'the shim survived serve');
  t.ok(alive(stays), 'the sleeping container survived serve');
  t.notOk(alive(quits), 'container quits exited meanwhile');
  const exit = readJson<{ exitCode: number }>(path.join(podDir, 'containers', 'quits', '0.exit.json'));
  t.equal(exit?.exitCode, 3, 'its exit (code 3) was recorded without an engine');
  t.same(servePids(env.root), [], 'no serve runs for the root now');

  // The next command starts a new serve, which re-attaches.
  const got = env.run(['get', 'pod', 'clidurable', '-o', 'json']);
  t.equal(got.status, 0, `get -o json exits 0 (${got.stderr.trim()})`);
  let p: Pod | undefined;
  try {
    p = JSON.parse(got.stdout) as Pod;
  } catch {
    t.fail(`get -o json prints JSON: ${JSON.stringify(got.stdout)}`);
  }
  const byName = Object.fromEntries((p?.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  t.equal(byName.quits?.state?.terminated?.exitCode, 3, 'quits: terminated with exit code 3');
  t.ok(byName.stays?.state?.running, 'stays: running');
  t.equal(p?.status?.phase, 'Running', 'the pod is still Running');
  const newServes = servePids(env.root);
  t.equal(newServes.length, 1, 'a new serve runs for the root');
  t.not(newServes[0], serve, 'and it is not the killed one');
  t.ok(lockHolders(path.join(env.root, 'serve.lock')).includes(newServes[0]!), 'the new serve holds serve.lock');
  t.ok(alive(stays) && alive(shim), 'the same shim and container still run (not restarted)');

  const logs = env.run(['logs', 'clidurable', '-c', 'quits']);
  t.equal(logs.status, 0, `logs exits 0 (${logs.stderr.trim()})`);
  t.equal(logs.stdout, 'leaving with 3\n', 'the line logged without an engine is there');

  const del = env.run(['delete', 'pod', 'clidurable', '--now']);
  t.equal(del.status, 0, `delete --now exits 0 (${del.stderr.trim()})`);
  t.match(del.stdout, /pod "clidurable" deleted/, 'delete says deleted');
  t.notOk(alive(stays), 'deleting through the new serve stops the container');
  t.notOk(alive(shim), 'and the shim');
  t.same(fs.readdirSync(podsDir), [], 'pods/ is empty after delete');
});
