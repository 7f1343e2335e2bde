// Rootless outbound network through pasta, through bin/podrun with defaults only: where this user
// can open /dev/net/tun, one pasta per network host carries pods' traffic out, and a pod reaches
// a server on the host's 127.0.0.1 (in this test process) through pasta's gateway mapping; it
// ends with the network host, however that goes. Where the user cannot, the notice says so once
// and pods still run. Nothing here leaves the host: the only destination is the host's loopback.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { CLI, cliEnv, missingCli, servePids, signalServes, type CliEnv } from './cli-harness';
import { asRoot, coveredBySubidRun, until, type Test } from './harness';
import { tunUnusable } from '../../src/network/pasta';
import { which } from '../../src/which';

const missing = asRoot
  ? "root's pods use the host's own network (its bridge and nftables NAT): pasta is for rootless pods"
  : (missingCli() ?? (which('pasta') ? undefined : 'pasta is not installed (apt-get install passt)') ?? (which('nft') ? undefined : 'nft is not installed (apt-get install nftables)'));
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const tun = tunUnusable();

const podYaml = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: host
    command: ["/bin/busybox", "sleep", "3600"]
`;

/** The host's first default gateway (/proc/net/route): pasta gives the network host the same. */
function hostGateway(): string | undefined {
  for (const line of fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== '00000000' || !f[2]) continue;
    const n = parseInt(f[2], 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  return undefined;
}

/** The pasta processes serving this root's network host (found by their netns file). */
function pastas(root: string): number[] {
  const file = path.join(root, 'network', 'host', 'netns');
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(Number(p)).includes(file)).map(Number);
}

function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** bin/podrun without blocking this process (its server must answer meanwhile). */
function runAsync(env: CliEnv, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, '--root', env.root, '--data-root', env.dataRoot, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Applies a pod and waits until it runs; what the two commands said on stderr. */
function apply(t: Test, env: CliEnv, name: string): string {
  const r = env.run(['apply', '-f', '-'], podYaml(name));
  t.equal(r.status, 0, `apply ${name}: ${r.stderr}`);
  const w = env.run(['wait', `pod/${name}`, '--for=condition=Ready', '--timeout=30s']);
  t.equal(w.status, 0, `${name} runs`);
  return r.stderr + w.stderr;
}

const gateway = hostGateway();
const usableSkip = tun ? `/dev/net/tun cannot be opened by this user (${tun}): CI opens it for the rootless-pasta run` : gateway ? false : 'the host has no default route: pasta has no gateway to give the network host';

t.test('tun usable: one pasta per network host carries pods to the host loopback, and ends with it', { skip: usableSkip }, async (t) => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.socket.remoteAddress ?? '');
    res.end('hello from the host loopback\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://${gateway}:${(server.address() as { port: number }).port}/`;
  const env = await cliEnv(t, 'podrun-pasta-');

  const said = apply(t, env, 'a') + apply(t, env, 'b');
  t.notMatch(said, /no outbound network/, 'no notice: pods have outbound network');
  const running = pastas(env.root);
  t.equal(running.length, 1, 'one pasta for two pods');
  const holder = JSON.parse(fs.readFileSync(path.join(env.root, 'network', 'host', 'sandbox.json'), 'utf8')) as { pid: number };
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${running[0]}/status`, 'utf8'))?.[1]);
  t.equal(ppid, holder.pid, 'pasta is a child of the network host (PID 1 of its namespace: pasta cannot outlive it)');

  for (const name of ['a', 'b']) {
    const r = await runAsync(env, ['exec', name, '--', 'curl', '-sS', '-m', '10', url]);
    t.equal(r.stdout, 'hello from the host loopback\n', `pod ${name} reaches the host's 127.0.0.1 through ${gateway}: ${r.stderr}`);
  }
  t.same(seen, ['127.0.0.1', '127.0.0.1'], "the server saw both as the host's loopback");

  // A new engine finds the network host and its pasta, and makes no second one.
  signalServes(env.root, 'SIGTERM');
  t.ok(await until(() => servePids(env.root).length === 0, 10_000), 'the engine stopped, pods left running');
  t.same(pastas(env.root), running, 'pasta kept running with the network host');
  apply(t, env, 'c');
  t.same(pastas(env.root), running, 'the next engine re-attached to it: still one pasta');
  const c = await runAsync(env, ['exec', 'c', '--', 'curl', '-sS', '-m', '10', url]);
  t.equal(c.stdout, 'hello from the host loopback\n', `a pod of the new engine reaches out too: ${c.stderr}`);

  // A pasta that died is started again by the next pod, in the same network host.
  process.kill(running[0], 'SIGKILL');
  t.ok(await until(() => pastas(env.root).length === 0, 10_000), 'pasta killed');
  apply(t, env, 'e');
  const restarted = pastas(env.root);
  t.equal(restarted.length, 1, 'the next pod started pasta again');
  t.not(restarted[0], running[0], 'a new one');
  // Not retried: pod a knew the gateway by another pod's veth MAC, which the bridge gave up when
  // e's lower one came, until the bridge got a MAC of its own (pod-network.test.ts).
  const e = await runAsync(env, ['exec', 'a', '--', 'curl', '-sS', '-m', '10', url]);
  t.equal(e.stdout, 'hello from the host loopback\n', `and the pods made before reach out again: ${e.stderr}`);

  // However the network host goes, pasta goes with it: killed here, then stopped by podrun.
  t.equal(env.run(['delete', 'pods', '--all', '--grace-period=0', '--force']).status, 0, 'delete every pod');
  process.kill(holder.pid, 'SIGKILL');
  t.ok(await until(() => pastas(env.root).length === 0, 10_000), 'the network host killed: no pasta left');
  apply(t, env, 'd');
  const again = pastas(env.root);
  t.equal(again.length, 1, 'a new network host, a new pasta');
  t.not(again[0], running[0], 'not the old one');
  const d = await runAsync(env, ['exec', 'd', '--', 'curl', '-sS', '-m', '10', url]);
  t.equal(d.stdout, 'hello from the host loopback\n', `and it carries pods out: ${d.stderr}`);
  t.equal(env.run(['delete', 'pods', '--all', '--grace-period=0', '--force']).status, 0, 'delete every pod');
  signalServes(env.root, 'SIGTERM');
  t.ok(await until(() => servePids(env.root).length === 0 && pastas(env.root).length === 0, 10_000), 'the engine stopped with no pod: no pasta left');
});

t.test('tun unusable: the notice says so once, and pods still run', { skip: tun ? coveredBySubidRun() ?? false : 'this user can open /dev/net/tun (the rootless-pasta run): the other test covers it' }, async (t) => {
  const env = await cliEnv(t, 'podrun-nopasta-');
  const first = apply(t, env, 'a');
  const notice = first.split('\n').filter((l) => /no outbound network/.test(l));
  t.equal(notice.length, 1, 'the first pod says it once');
  t.match(notice[0] ?? '', /^Warning: rootless pods have no outbound network: \/dev\/net\/tun cannot be opened by this user \(EACCES\).*chmod 0666 \/dev\/net\/tun/, 'naming /dev/net/tun, why and the fix');
  t.notMatch(apply(t, env, 'b'), /no outbound network/, 'the second pod does not say it again');
  t.match(env.run(['get', 'pods']).stdout, /^a\s+1\/1\s+Running[\s\S]*^b\s+1\/1\s+Running/m, 'both pods run');
  t.same(pastas(env.root), [], 'and no pasta was started');
});
