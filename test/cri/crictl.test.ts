// crictl (kubernetes-sigs/cri-tools, built from source outside this repository: see the README's
// CRI section) against `podrun cri`, with the pod and container configs of cri-tools' own docs:
// runp, create, start, ps, exec, logs, inspect, stats, stop, stopp, rmp. Skipped, saying so,
// where no crictl is installed (CRICTL, else crictl on PATH, else /opt/cri-tools/bin/crictl).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Podrun } from '../../src/podrun';
import { missingCli } from '../integration/cli-harness';
import { buildBusyboxRootfs, IMAGE, tempDir } from '../integration/harness';
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
  const inspect = JSON.parse(run('inspect', cid).out) as { status: { state: string; logPath: string } };
  t.match(inspect.status, { state: 'CONTAINER_RUNNING', logPath: path.join(logs, 'busybox.0.log') }, 'crictl inspect');
  t.match(JSON.parse(run('inspectp', podId).out), { status: { state: 'SANDBOX_READY', metadata: { name: 'nginx-sandbox' } } }, 'crictl inspectp');
  const stats = run('stats', '-o', 'json');
  t.equal(stats.code, 0, `crictl stats: ${stats.err}`);
  t.match(JSON.parse(stats.out), { stats: [{ attributes: { id: cid } }] }, 'crictl stats lists it');

  t.equal(run('stop', '--timeout', '0', cid).code, 0, 'crictl stop');
  t.match(run('ps', '-a').out, /\sExited\s+busybox\s+0\s/, 'crictl ps -a: Exited');
  t.equal(run('rm', cid).code, 0, 'crictl rm');
  t.equal(run('stopp', podId).code, 0, 'crictl stopp');
  t.match(run('pods').out, /NotReady/, 'NotReady once stopped');
  t.equal(run('rmp', podId).code, 0, 'crictl rmp');
  t.notMatch(run('pods').out, /nginx-sandbox/, 'gone');
});
