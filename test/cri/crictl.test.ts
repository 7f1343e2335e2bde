// crictl (kubernetes-sigs/cri-tools, built from source outside this repository: see the README's
// CRI section) against `podrun cri`, with the pod and container configs of cri-tools' own docs:
// runp, create, start, ps, exec, logs, inspect, stats, stop, stopp, rmp. Skipped, saying so,
// where no crictl is installed (CRICTL, else crictl on PATH, else /opt/cri-tools/bin/crictl).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Podrun } from '../../src/podrun';
import { missingCli } from '../integration/cli-harness';
import { buildBusyboxRootfs, IMAGE, tempDir, until } from '../integration/harness';
import { startCri } from './cri-harness';

function findCrictl(): string | undefined {
  const candidates = [process.env.CRICTL, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'crictl')), '/opt/cri-tools/bin/crictl'];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

const crictl = findCrictl();
const missing = missingCli() ?? (crictl ? undefined : 'crictl is not installed: build it from cri-tools v1.26.1 (see the README, CRI section), or set CRICTL');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** A port on the host's loopback that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/index.html', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

t.test('crictl runp, create, start, exec, logs, stop, stopp, rmp', async (t) => {
  const dir = tempDir(t, 'podrun-crictl-');
  await new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') }).images.importImage(buildBusyboxRootfs(dir), IMAGE);
  const cri = await startCri(t, {}, dir);
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs);
  // As cri-tools' docs/crictl.md gives them, but for the image and the log folder.
  const pod = path.join(dir, 'pod-config.json');
  fs.writeFileSync(pod, JSON.stringify({ metadata: { name: 'nginx-sandbox', namespace: 'default', attempt: 1, uid: 'hdishd83djaidwnduwk28bcsb' }, log_directory: logs, linux: {} }));
  const ctr = path.join(dir, 'container-config.json');
  fs.writeFileSync(ctr, JSON.stringify({ metadata: { name: 'busybox' }, image: { image: IMAGE }, command: ['sh', '-c', 'echo started; exec top -b -d 1 >/dev/null'], log_path: 'busybox.0.log', linux: {} }));
  const run = (...args: string[]) => {
    const r = spawnSync(crictl!, ['--runtime-endpoint', `unix://${cri.socket}`, '--image-endpoint', `unix://${cri.socket}`, '--timeout', '30s', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
  };

  const runp = run('runp', pod);
  t.equal(runp.code, 0, `crictl runp: ${runp.err}`);
  const podId = runp.out;
  t.match(podId, /^[0-9a-f]{64}$/);
  t.match(run('pods').out, /nginx-sandbox\s+default\s+1\s+\(default\)/, 'crictl pods: Ready, namespace, attempt');
  t.match(run('pods').out, /Ready/);

  const create = run('create', podId, ctr, pod);
  t.equal(create.code, 0, `crictl create: ${create.err}`);
  const cid = create.out;
  t.equal(run('start', cid).code, 0, 'crictl start');
  const ps = run('ps').out;
  t.match(ps, new RegExp(`^${cid.slice(0, 13)}\\s+${IMAGE}\\s.*\\sRunning\\s+busybox\\s+0\\s+${podId.slice(0, 13)}\\s`, 'm'), 'crictl ps: Running, in its pod');
  t.not(cid.slice(0, 13), podId.slice(0, 13), 'the short ids of a container and its sandbox differ');
  const exec = run('exec', '--sync', cid, 'sh', '-c', 'echo hi from $(hostname)');
  t.equal(exec.out, 'hi from nginx-sandbox', 'crictl exec --sync: in the sandbox, with its hostname');
  t.match(run('exec', '--sync', cid, 'sh', '-c', 'exit 4'), { code: 1, err: /exited with 4/ }, 'and its exit code, as crictl reports it');
  t.match(run('logs', cid).out, /^started$/m, 'crictl logs: from the file under log_directory');

  // Streaming: exec, attach and port-forward go through the SPDY server behind the URLs.
  const withInput = (input: string, ...args: string[]) => {
    const r = spawnSync(crictl!, ['--runtime-endpoint', `unix://${cri.socket}`, '--timeout', '30s', ...args], { encoding: 'utf8', input, timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  t.match(withInput('', 'exec', cid, 'sh', '-c', 'echo out; echo err >&2'), { code: 0, out: 'out\n', err: /err\n/ }, 'crictl exec: stdout and stderr apart');
  t.match(withInput('hello there\n', 'exec', '-i', cid, 'sh', '-c', 'read line; echo "got: $line"'), { code: 0, out: 'got: hello there\n' }, 'crictl exec -i: stdin reaches the command');
  t.match(withInput('', 'exec', cid, 'sh', '-c', 'exit 3'), { code: 1, err: /command terminated with exit code 3/ }, 'crictl exec: the exit code, as crictl 1.26 reports it (exit 1, naming it)');
  const big = withInput('', 'exec', cid, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done');
  t.equal(big.out.split('\n').length - 1, 20000, 'crictl exec: 20000 lines, none lost');

  // A web server in a second container; crictl port-forward reaches it from the host's loopback.
  const web = path.join(dir, 'web-config.json');
  fs.writeFileSync(web, JSON.stringify({ metadata: { name: 'web' }, image: { image: IMAGE }, command: ['sh', '-c', 'mkdir -p /www; echo served from the pod > /www/index.html; (i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done) & exec httpd -f -p 8080 -h /www'], log_path: 'web.0.log', linux: {} }));
  const webId = run('create', podId, web, pod).out;
  t.equal(run('start', webId).code, 0, 'a second container');
  const local = await freePort();
  const pf = spawn(crictl!, ['--runtime-endpoint', `unix://${cri.socket}`, 'port-forward', podId, `${local}:8080`], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => pf.kill('SIGKILL'));
  let pfOut = '';
  pf.stdout!.setEncoding('utf8').on('data', (d: string) => (pfOut += d));
  pf.stderr!.setEncoding('utf8').on('data', (d: string) => (pfOut += d));
  t.ok(await until(() => pfOut.includes('Forwarding from'), 15_000), `crictl port-forward listens: ${pfOut}`);
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) bodies.push(await httpGet(local));
  t.same(bodies, ['served from the pod\n', 'served from the pod\n', 'served from the pod\n'], 'crictl port-forward: three requests through one SPDY connection reach the pod');
  pf.kill('SIGTERM');

  // crictl attach: the container's own output from now on, until detached.
  const at = spawn(crictl!, ['--runtime-endpoint', `unix://${cri.socket}`, 'attach', webId], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => at.kill('SIGKILL'));
  let atOut = '';
  at.stdout!.setEncoding('utf8').on('data', (d: string) => (atOut += d));
  at.stderr!.setEncoding('utf8').on('data', (d: string) => (atOut += d));
  t.ok(await until(() => /tick \d+/.test(atOut), 15_000), `crictl attach shows the running output: ${atOut.slice(0, 200)}`);
  at.kill('SIGTERM');
  t.equal(run('stop', '--timeout', '0', webId).code, 0);

  const inspect = JSON.parse(run('inspect', cid).out) as { status: { state: string; logPath: string } };
  t.match(inspect.status, { state: 'CONTAINER_RUNNING', logPath: path.join(logs, 'busybox.0.log') }, 'crictl inspect');
  t.match(JSON.parse(run('inspectp', podId).out), { status: { state: 'SANDBOX_READY', metadata: { name: 'nginx-sandbox' } } }, 'crictl inspectp');
  const stats = run('stats', '-o', 'json');
  t.equal(stats.code, 0, `crictl stats: ${stats.err}`);
  t.ok((JSON.parse(stats.out) as { stats: { attributes: { id: string } }[] }).stats.some((x) => x.attributes.id === cid), 'crictl stats lists it');

  t.equal(run('stop', '--timeout', '0', cid).code, 0, 'crictl stop');
  t.match(run('ps', '-a').out, /\sExited\s+busybox\s+0\s/, 'crictl ps -a: Exited');
  t.equal(run('rm', cid).code, 0, 'crictl rm');
  t.equal(run('stopp', podId).code, 0, 'crictl stopp');
  t.match(run('pods').out, /NotReady/, 'NotReady once stopped');
  t.equal(run('rmp', podId).code, 0, 'crictl rmp');
  t.notMatch(run('pods').out, /nginx-sandbox/, 'gone');
});
