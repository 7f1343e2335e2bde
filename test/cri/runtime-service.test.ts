// CRI's RuntimeService on `podrun cri` (bin/podrun, defaults but the socket's and roots' place),
// as a kubelet drives it: a sandbox, a container in it created, started, exec'd into, logged,
// stopped and removed; what survives `podrun cri` being killed; and the status codes a kubelet
// reads for bad input. Real namespaces, shims and processes; root and rootless alike.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { Cgroups } from '../../src/cgroups/manager';
import { Podrun } from '../../src/podrun';
import { CLI, missingCli } from '../integration/cli-harness';
import { buildBusyboxRootfs, IMAGE, tempDir, until, type Test } from '../integration/harness';
import { call, failure, startCri, type Cri } from './cri-harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const rootless = process.getuid!() !== 0;

/** A folder with busybox imported into its data root, for `podrun cri` to start on. */
async function withImage(t: Test): Promise<string> {
  const dir = tempDir(t, 'podrun-cri-rt-');
  await new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') }).images.importImage(buildBusyboxRootfs(dir), IMAGE);
  return dir;
}

function sandboxConfig(name: string, logDir: string, extra: object = {}) {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    hostname: name,
    log_directory: logDir,
    dns_config: { servers: ['10.0.0.53'], searches: ['example.test'], options: ['ndots:2'] },
    labels: { app: name },
    ...extra,
  };
}

function containerConfig(name: string, args: string[], extra: object = {}) {
  return { metadata: { name, attempt: 0 }, image: { image: IMAGE }, command: ['/bin/sh', '-c'], args, log_path: `${name}/0.log`, labels: { c: name }, ...extra };
}

function readCmdline(pid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The PIDs of pod shims whose command line names a folder under `dir` (the rootless network host is a shim too, elsewhere). */
function shimsUnder(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[0]?.endsWith('podrun-shim') && argv.some((a) => a.startsWith(dir));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function statusOf(cri: Cri, id: string): Promise<Record<string, unknown>> {
  return (await call(cri.runtime, 'ContainerStatus', { container_id: id })).status as Record<string, unknown>;
}

t.test('a sandbox and a container through their whole life, over CRI', async (t) => {
  const dir = await withImage(t);
  const logDir = path.join(dir, 'logs');
  const cri = await startCri(t, {}, dir);
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('web', logDir) })) as { pod_sandbox_id: string };
  t.match(sid, /^[0-9a-f]{64}$/, 'RunPodSandbox: a 64-hex id');

  const list = (await call(cri.runtime, 'ListPodSandbox', {})).items as { id: string; state: string; metadata: { name: string }; labels: Record<string, string> }[];
  t.same(
    list.map((s) => [s.id, s.state, s.metadata.name, s.labels.app]),
    [[sid, 'SANDBOX_READY', 'web', 'web']],
    'ListPodSandbox: the sandbox, ready, with its labels',
  );
  const st = (await call(cri.runtime, 'PodSandboxStatus', { pod_sandbox_id: sid, verbose: true })) as { status: { state: string; network: { ip: string }; linux: { namespaces: { options: { pid: string } } } }; info: Record<string, string> };
  t.equal(st.status.state, 'SANDBOX_READY');
  if (!rootless) t.match(st.status.network.ip, /^\d+\.\d+\.\d+\.\d+$/, 'a pod address');
  t.equal(st.status.linux.namespaces.options.pid, 'POD', 'one PID namespace for the sandbox (none asked otherwise)');
  t.match(JSON.parse(st.info.info ?? '{}'), { pid: Number, config: { name: 'web' } }, 'verbose: the shim process and the config');

  const script = 'echo hello from $HOSTNAME; cat /etc/resolv.conf; id -u; exec sleep 1000';
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', [script], { envs: [{ key: 'GREETING', value: 'hi $(HOME)' }] }), sandbox_config: sandboxConfig('web', logDir) })) as { container_id: string };
  t.match(cid, /^[0-9a-f]{64}$/, 'CreateContainer: a 64-hex id');
  t.not(cid.slice(0, 13), sid.slice(0, 13), "not the sandbox's");
  t.match(await statusOf(cri, cid), { state: 'CONTAINER_CREATED', started_at: 0, log_path: path.join(logDir, 'app/0.log'), image: { image: IMAGE } }, 'created, not started');

  await call(cri.runtime, 'StartContainer', { container_id: cid });
  const running = await statusOf(cri, cid);
  t.match(running, { state: 'CONTAINER_RUNNING', exit_code: 0, user: { linux: { uid: 0 } } }, 'StartContainer: running');
  t.ok((running.started_at as number) > (running.created_at as number) - 1e9, 'started_at set');

  const exec = (await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['sh', '-c', 'echo out; echo err >&2; echo "$GREETING"; exit 3'], timeout: 10 })) as { stdout: Buffer; stderr: Buffer; exit_code: number };
  t.same([exec.stdout.toString(), exec.stderr.toString(), exec.exit_code], ['out\nhi $(HOME)\n', 'err\n', 3], 'ExecSync: both streams and the exit code; a config env is taken literally');
  t.match(await failure(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['sleep', '30'], timeout: 1 }), { code: grpc.status.DEADLINE_EXCEEDED }, 'ExecSync past its timeout: DeadlineExceeded');
  const bytes = (await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['sh', '-c', "printf '\\377\\000\\376'"], timeout: 10 })) as { stdout: Buffer };
  t.same([...bytes.stdout], [0xff, 0x00, 0xfe], 'ExecSync: output that is not UTF-8 comes back byte for byte');

  const logFile = path.join(logDir, 'app', '0.log');
  t.ok(await until(() => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('ndots:2'), 10_000), 'the log file under log_directory');
  const log = fs.readFileSync(logFile, 'utf8');
  t.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F hello from web$/m, 'in the CRI log format the kubelet reads, with the sandbox hostname');
  t.match(log, /stdout F nameserver 10\.0\.0\.53$/m, 'resolv.conf from dns_config');
  t.match(log, /stdout F search example\.test$/m);

  const listed = (await call(cri.runtime, 'ListContainers', { filter: { pod_sandbox_id: sid, state: { state: 'CONTAINER_RUNNING' } } })).containers as { id: string }[];
  t.same(listed.map((c) => c.id), [cid], 'ListContainers by sandbox and state');
  t.same(((await call(cri.runtime, 'ListContainers', { filter: { label_selector: { c: 'other' } } })).containers as unknown[]).length, 0, 'a label selector that matches none');

  // A second container in the sandbox shares its network: localhost between them.
  const { container_id: peer } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('peer', ['mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 8080 -h /www']) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: peer });
  let pong = '';
  await until(() => false, 300);
  for (let i = 0; i < 20 && !pong.includes('pong'); i++) {
    pong = ((await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['sh', '-c', "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc 127.0.0.1 8080"], timeout: 5 })) as { stdout: Buffer }).stdout.toString();
    if (!pong.includes('pong')) await until(() => false, 200);
  }
  t.match(pong, /pong/, 'containers of one sandbox reach each other on localhost');

  // `podrun get pods` on the same root: the engine in `podrun cri` answers, CRI sandboxes included.
  const get = spawnSync(process.execPath, [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'get', 'pods'], { encoding: 'utf8', timeout: 30_000 });
  t.match(get.stdout, /^web\s+2\/2\s+Running\s+0\s/m, 'podrun get pods shows the sandbox with its two running containers');
  const del = spawnSync(process.execPath, [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'delete', 'pods', '--all'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(del.status, 0, 'podrun delete pods --all leaves it alone: the kubelet that made it removes it');
  t.match((await call(cri.runtime, 'PodSandboxStatus', { pod_sandbox_id: sid })) as object, { status: { state: 'SANDBOX_READY' } });

  await call(cri.runtime, 'StopContainer', { container_id: cid, timeout: 0 });
  const stopped = await statusOf(cri, cid);
  t.match(stopped, { state: 'CONTAINER_EXITED', exit_code: 137, reason: 'Error' }, 'StopContainer with timeout 0: SIGKILL, 137');
  t.ok((stopped.finished_at as number) >= (stopped.started_at as number), 'finished_at after started_at');
  t.same(await failure(cri.runtime, 'StopContainer', { container_id: cid, timeout: 5 }), 'ok', 'stopping it again is no error');
  t.match(await failure(cri.runtime, 'StartContainer', { container_id: cid }), { code: grpc.status.FAILED_PRECONDITION }, 'an exited container is not started again');

  // A graceful stop: SIGTERM reaches a shell that traps it, and it exits by itself.
  const { container_id: graceful } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('graceful', ["trap 'exit 7' TERM; while :; do sleep 0.1; done"]) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: graceful });
  await until(() => false, 300);
  await call(cri.runtime, 'StopContainer', { container_id: graceful, timeout: 30 });
  t.match(await statusOf(cri, graceful), { state: 'CONTAINER_EXITED', exit_code: 7 }, 'StopContainer with a timeout: the stop signal first');

  await call(cri.runtime, 'RemoveContainer', { container_id: cid });
  t.match(await failure(cri.runtime, 'ContainerStatus', { container_id: cid }), { code: grpc.status.NOT_FOUND }, 'RemoveContainer: gone');
  t.same(await failure(cri.runtime, 'RemoveContainer', { container_id: cid }), 'ok', 'removing it again is no error');

  await call(cri.runtime, 'StopPodSandbox', { pod_sandbox_id: sid });
  t.match((await call(cri.runtime, 'PodSandboxStatus', { pod_sandbox_id: sid })) as object, { status: { state: 'SANDBOX_NOTREADY', network: { ip: '' } } }, 'StopPodSandbox: not ready, no address');
  t.match(await statusOf(cri, peer), { state: 'CONTAINER_EXITED' }, 'its containers exited');
  t.same(shimsUnder(path.join(dir, 'state', 'cri')), [], 'no shim left');
  t.same(await failure(cri.runtime, 'StopPodSandbox', { pod_sandbox_id: sid }), 'ok', 'stopping it again is no error');
  await call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
  t.same((await call(cri.runtime, 'ListPodSandbox', {})).items, [], 'RemovePodSandbox: not listed');
  t.same(fs.readdirSync(path.join(dir, 'state', 'cri')), [], 'its folder is gone');
  t.same(await failure(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid }), 'ok', 'removing it again is no error');
});

t.test('sandboxes and containers survive podrun cri killed, with the same ids', async (t) => {
  const dir = await withImage(t);
  const first = await startCri(t, {}, dir);
  const { pod_sandbox_id: sid } = (await call(first.runtime, 'RunPodSandbox', { config: sandboxConfig('kept', path.join(dir, 'logs')) })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(first.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', ['exec sleep 1000']) })) as { container_id: string };
  await call(first.runtime, 'StartContainer', { container_id: cid });
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  t.equal(shimsUnder(path.join(dir, 'state', 'cri')).length, 1, 'the shim outlives podrun cri');

  fs.rmSync(first.socket, { force: true });
  const second = await startCri(t, {}, dir);
  t.match((await call(second.runtime, 'ListPodSandbox', {})).items, [{ id: sid, state: 'SANDBOX_READY' }], 'the sandbox, ready, same id');
  t.match(await statusOf(second, cid), { state: 'CONTAINER_RUNNING' }, 'the container, running, same id');
  const out = (await call(second.runtime, 'ExecSync', { container_id: cid, cmd: ['echo', 'still here'], timeout: 10 })) as { stdout: Buffer };
  t.equal(out.stdout.toString(), 'still here\n', 'and exec reaches it');
  await call(second.runtime, 'StopContainer', { container_id: cid, timeout: 0 });
  t.match(await statusOf(second, cid), { state: 'CONTAINER_EXITED', exit_code: 137 }, 'its exit is seen by the new process');
  await call(second.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
  t.same(shimsUnder(path.join(dir, 'state', 'cri')), [], 'no shim left');
});

t.test("a sandbox in the host's PID namespace (HostPID): its leftovers end with it, nothing else does", async (t) => {
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const bystander = spawn('/bin/sleep', ['4247'], { stdio: 'ignore' });
  t.teardown(() => void bystander.kill('SIGKILL'));
  const hostPid = { linux: { security_context: { namespace_options: { pid: 'NODE' } } } };
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('host-pid', path.join(dir, 'logs'), hostPid) })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', ['( ( ( /bin/sleep 4246; true ); true ); true ) & exec /bin/sleep 1000'], hostPid) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  const seen = (await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['cat', `/proc/${bystander.pid}/cmdline`], timeout: 10 })) as { stdout: Buffer };
  t.equal(seen.stdout.toString().replace(/\0/g, ' ').trim(), '/bin/sleep 4247', "the container sees the host's processes");
  const ns = (await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['readlink', '/proc/self/ns/pid'], timeout: 10 })) as { stdout: Buffer };
  t.equal(ns.stdout.toString().trim(), fs.readlinkSync('/proc/self/ns/pid'), "it is in the host's PID namespace");
  const daemons = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(p) === '/bin/sleep\x004246\x00');
  // Three subshells deep: each comes back to the shim only once the one above it has died, which
  // one sweep of the shim's children at the stop does not see (nginx's workers under its master).
  t.equal(daemons().length, 1, 'a descendant of its main process, which outlives it in the host PID namespace');
  // A second container, stopped alone: what its main process left goes with it, by its cgroup (as containerd's kill --all).
  if (Cgroups.detect().available) {
    const { container_id: other } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('other', ['( ( /bin/sleep 4248; true ); true ) & exec /bin/sleep 1000'], hostPid) })) as { container_id: string };
    await call(cri.runtime, 'StartContainer', { container_id: other });
    const others = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(p) === '/bin/sleep\x004248\x00');
    t.ok(await until(() => others().length === 1, 5_000), "the other container's descendant runs");
    await call(cri.runtime, 'StopContainer', { container_id: other, timeout: 0 });
    t.ok(await until(() => others().length === 0, 5_000), 'StopContainer ended it with the container');
  }
  await call(cri.runtime, 'StopPodSandbox', { pod_sandbox_id: sid });
  t.same(daemons(), [], 'StopPodSandbox ended the daemon');
  t.ok(fs.existsSync(`/proc/${bystander.pid}`) && bystander.exitCode === null, "and nothing of the host's");
  await call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
});

t.test('masked and read-only paths that are symlinks: what they name inside the root is masked', async (t) => {
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const data = path.join(dir, 'data-vol');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'secret'), 'hidden\n');
  fs.writeFileSync(path.join(data, 'kept'), 'kept\n');
  fs.symlinkSync('secret', path.join(data, 'link'));
  fs.symlinkSync('/etc/../../../../data/kept', path.join(data, 'ro-link'));
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('masks', path.join(dir, 'logs')) })) as { pod_sandbox_id: string };
  const sc = { masked_paths: ['/data/link'], readonly_paths: ['/data/ro-link'] };
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', ['exec sleep 1000'], { mounts: [{ container_path: '/data', host_path: data }], linux: { security_context: sc } }) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  const run = async (cmd: string) => (await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['sh', '-c', cmd], timeout: 10 })) as { stdout: Buffer; exit_code: number };
  t.equal((await run('cat /data/secret')).stdout.toString(), '', 'the masked link names the file, which reads empty');
  t.not((await run('echo x > /data/kept')).exit_code, 0, 'the read-only link, followed inside the root only, names /data/kept: read-only');
  t.equal(fs.readFileSync(path.join(data, 'secret'), 'utf8'), 'hidden\n', 'the host file itself is untouched');
});

t.test("cgroup_parent: the sandbox's cgroups under the kubelet's, and gone with it (the parent stays the kubelet's)", async (t) => {
  const cgroups = Cgroups.detect();
  if (rootless || !cgroups.available) return t.skip(rootless ? 'rootless: not used (said on the terminal)' : `no cgroups: ${cgroups.reason}`);
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const parent = `/podrun-test-kubepods-${process.pid}/pod-cg`;
  const controllers = ['memory', 'cpu', 'pids'] as const;
  // The hierarchy's root: podrun's tree is one level below it.
  const hostDir = (c: (typeof controllers)[number], rel: string) => path.join(path.dirname(path.dirname(cgroups.dir('x', c)!)), rel);
  const hierarchies = path.dirname(path.dirname(path.dirname(cgroups.dir('x', 'memory')!)));
  t.teardown(() => {
    // The parent is made in every hierarchy podrun uses; as the kubelet would, the test removes it.
    for (const h of fs.readdirSync(hierarchies)) {
      for (const rel of [parent, path.dirname(parent)]) {
        try {
          fs.rmdirSync(path.join(hierarchies, h, rel));
        } catch {
          /* not made there, or reached already through another name (cpu,cpuacct) */
        }
      }
    }
  });
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('cg', path.join(dir, 'logs'), { linux: { cgroup_parent: parent } }) })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', ['exec sleep 1000'], { linux: { resources: { memory_limit_in_bytes: 64 << 20 } } }) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  const info = JSON.parse(((await call(cri.runtime, 'ContainerStatus', { container_id: cid, verbose: true })) as { info: { info: string } }).info.info) as { pid: number };
  const memoryLine = fs.readFileSync(`/proc/${info.pid}/cgroup`, 'utf8').split('\n').find((l) => /:memory:/.test(l)) ?? '';
  t.equal(memoryLine.split(':')[2], `${parent}/podrun/app`, "the container's memory cgroup is under the parent");
  t.equal(fs.readFileSync(path.join(hostDir('memory', `${parent}/podrun/app`), 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20), 'with its limit');
  await call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
  t.notOk(fs.existsSync(hostDir('memory', `${parent}/podrun`)), "the sandbox's cgroups are gone");
  t.ok(fs.existsSync(hostDir('memory', parent)), "the parent is the kubelet's: left");
  t.match(await failure(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('cg-bad', path.join(dir, 'logs'), { linux: { cgroup_parent: '/a/../b' } }) }), { code: grpc.status.INVALID_ARGUMENT, details: /config\.linux\.cgroup_parent: Invalid value/ }, 'a parent with .. is refused');
});

t.test('podrun system reset removes CRI sandboxes too, with podrun cri gone', async (t) => {
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('reset-me', path.join(dir, 'logs')) })) as { pod_sandbox_id: string };
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('app', ['exec sleep 1000']) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  cri.child.kill('SIGKILL');
  await new Promise((r) => cri.child.once('exit', r));
  const r = spawnSync(process.execPath, [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'system', 'reset', '--force'], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, `system reset: ${r.stderr}`);
  t.match(r.stdout, /1 CRI pod sandbox\(es\)/, 'says it removed the sandbox');
  t.same(shimsUnder(path.join(dir, 'state', 'cri')), [], 'no shim left');
  t.same(fs.existsSync(path.join(dir, 'state', 'cri')) ? fs.readdirSync(path.join(dir, 'state', 'cri')) : [], [], 'no sandbox folder left');
});

t.test('bad input: the status codes a kubelet reads, naming the field', async (t) => {
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const logDir = path.join(dir, 'logs');
  const r = cri.runtime;
  t.match(await failure(r, 'RunPodSandbox', {}), { code: grpc.status.INVALID_ARGUMENT, details: /^config: Required value/ }, 'no config');
  t.match(await failure(r, 'RunPodSandbox', { config: { metadata: { name: 'x', namespace: 'default' } } }), { code: grpc.status.INVALID_ARGUMENT, details: /^config\.metadata\.uid: Required value/ }, 'no uid');
  t.match(await failure(r, 'RunPodSandbox', { config: sandboxConfig('bad', logDir), runtime_handler: 'kata' }), { code: grpc.status.NOT_FOUND, details: /runtime_handler/ }, 'an unknown runtime handler');
  t.match(await failure(r, 'RunPodSandbox', { config: sandboxConfig('bad', logDir, { port_mappings: [{ protocol: 'SCTP', container_port: 80, host_port: 8080 }] }) }), { code: grpc.status.INVALID_ARGUMENT, details: /config\.port_mappings\[0\]\.protocol/ }, 'SCTP');
  if (rootless) t.match(await failure(r, 'RunPodSandbox', { config: sandboxConfig('bad', logDir, { linux: { security_context: { privileged: true } } }) }), { code: grpc.status.INVALID_ARGUMENT, details: /security_context\.privileged: a privileged sandbox needs root/ }, 'privileged, rootless');
  t.same((await call(r, 'ListPodSandbox', {})).items, [], 'nothing half-made by the refusals');

  const { pod_sandbox_id: sid } = (await call(r, 'RunPodSandbox', { config: sandboxConfig('ok', logDir) })) as { pod_sandbox_id: string };
  t.match(await failure(r, 'RunPodSandbox', { config: sandboxConfig('ok', logDir) }), { code: grpc.status.ALREADY_EXISTS }, 'the same sandbox (name, uid, attempt) again');
  t.match(await failure(r, 'PodSandboxStatus', { pod_sandbox_id: 'f'.repeat(64) }), { code: grpc.status.NOT_FOUND }, 'an unknown sandbox');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: 'f'.repeat(64), config: containerConfig('a', ['true']) }), { code: grpc.status.NOT_FOUND }, 'a container in an unknown sandbox');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('', ['true']) }), { code: grpc.status.INVALID_ARGUMENT, details: /^config\.metadata\.name: Required value/ }, 'an empty name');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { image: { image: 'nothere:1' } }) }), { code: grpc.status.NOT_FOUND, details: /config\.image\.image: image "nothere:1" not found/ }, 'an image not pulled');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { mounts: [{ container_path: 'relative', host_path: dir }] }) }), { code: grpc.status.INVALID_ARGUMENT, details: /config\.mounts\[0\]\.container_path/ }, 'a relative mount path');
  if (rootless) t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { mounts: [{ container_path: '/data', host_path: dir, propagation: 'PROPAGATION_BIDIRECTIONAL' }] }) }), { code: grpc.status.INVALID_ARGUMENT, details: /config\.mounts\[0\]\.propagation: .*needs root/ }, 'bidirectional propagation, rootless');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { devices: [{ container_path: '/dev/x', host_path: '/etc/passwd', permissions: 'rw' }] }) }), { code: grpc.status.INVALID_ARGUMENT, details: /config\.devices\[0\]\.host_path/ }, 'a device that is none');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { linux: { security_context: { capabilities: { add_capabilities: ['CAP_NOPE'] } } } }) }), { code: grpc.status.INVALID_ARGUMENT, details: /capabilities/ }, 'an unknown capability');
  const missingDir = path.join(dir, 'made-on-create');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { mounts: [{ container_path: '/m', host_path: missingDir }], linux: { security_context: { capabilities: { add_capabilities: ['CAP_NOPE'] } } } }) }), { code: grpc.status.INVALID_ARGUMENT, details: /capabilities/ }, 'a refused config with a missing host path');
  t.notOk(fs.existsSync(missingDir), 'leaves the missing host path unmade');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { linux: { security_context: { run_as_group: { value: 1002 } } } }) }), { code: grpc.status.INVALID_ARGUMENT, details: /^config\.linux\.security_context\.run_as_group: a group needs a user/ }, 'a group without a user');
  const { container_id: cid } = (await call(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true'], { mounts: [{ container_path: '/m', host_path: missingDir }] }) })) as { container_id: string };
  t.ok(fs.statSync(missingDir).isDirectory(), 'an accepted one makes its missing host path, a folder (as containerd)');
  t.match(await failure(r, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('a', ['true']) }), { code: grpc.status.ALREADY_EXISTS }, 'the same name and attempt again');
  t.same(((await call(r, 'ListContainers', {})).containers as { id: string }[]).map((c) => c.id), [cid], 'only the one created');
  for (const m of ['StartContainer', 'ContainerStatus', 'StopContainer'] as const) {
    t.match(await failure(r, m, { container_id: 'e'.repeat(64) }), { code: grpc.status.NOT_FOUND }, `${m} of an unknown container`);
    t.match(await failure(r, m, { container_id: '' }), { code: grpc.status.INVALID_ARGUMENT, details: /^container_id: Required value/ }, `${m} without an id`);
  }
  t.match(await failure(r, 'ExecSync', { container_id: cid, cmd: ['true'], timeout: 1 }), { code: grpc.status.FAILED_PRECONDITION }, 'exec in a container not running');
  await call(r, 'RemovePodSandbox', { pod_sandbox_id: sid });
  t.match(await failure(r, 'ContainerStatus', { container_id: cid }), { code: grpc.status.NOT_FOUND }, 'a removed sandbox takes its containers along');
});

t.test('resources, stats, a rotated log, the event stream, the pod CIDR', async (t) => {
  const dir = await withImage(t);
  const logDir = path.join(dir, 'logs');
  const cri = await startCri(t, {}, dir);
  const events: { container_id: string; container_event_type: string; pod_sandbox_status?: { state: string } | null }[] = [];
  const stream = (cri.runtime as unknown as Record<string, (req: object) => grpc.ClientReadableStream<(typeof events)[number]>>).GetContainerEvents!({});
  stream.on('data', (e: (typeof events)[number]) => events.push(e));
  stream.on('error', () => undefined);
  t.teardown(() => stream.cancel());
  t.same(await call(cri.runtime, 'UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.244.0.0/24' } } }), {}, 'UpdateRuntimeConfig takes the pod CIDR');

  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('res', logDir) })) as { pod_sandbox_id: string };
  const resources = { cpu_shares: 512, cpu_quota: 50_000, cpu_period: 100_000, memory_limit_in_bytes: 64 * 1024 * 1024, oom_score_adj: 500 };
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig('ticker', ['echo oom $(cat /proc/self/oom_score_adj); i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done'], { linux: { resources } }) })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  t.ok(await until(() => events.filter((e) => e.container_id === cid).length >= 2, 10_000), 'events arrive');
  t.same(events.filter((e) => e.container_id === cid).map((e) => e.container_event_type).slice(0, 2), ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT'], 'created, then started');
  t.match(events.find((e) => e.container_event_type === 'CONTAINER_STARTED_EVENT'), { pod_sandbox_status: { state: 'SANDBOX_READY' } }, "with the sandbox's status");

  const cgroups = Cgroups.detect();
  const stats = ((await call(cri.runtime, 'ContainerStats', { container_id: cid })) as { stats: { attributes: { id: string }; cpu?: { usage_core_nano_seconds: { value: number } }; memory?: { working_set_bytes: { value: number } }; writable_layer: { used_bytes: { value: number } } } }).stats;
  t.equal(stats.attributes.id, cid, 'ContainerStats names it');
  t.ok(stats.writable_layer.used_bytes.value >= 0, 'the writable layer is measured');
  const listed = (await call(cri.runtime, 'ListPodSandboxStats', {})) as { stats: { attributes: { id: string }; linux: { containers: { attributes: { id: string } }[] } }[] };
  t.same(listed.stats.map((s) => [s.attributes.id, s.linux.containers.map((c) => c.attributes.id)]), [[sid, [cid]]], 'ListPodSandboxStats: the sandbox and its container');
  const one = (await call(cri.runtime, 'PodSandboxStats', { pod_sandbox_id: sid })) as { stats: { attributes: { metadata: { name: string } } } };
  t.equal(one.stats.attributes.metadata.name, 'res', 'PodSandboxStats');
  const byLabel = (await call(cri.runtime, 'ListContainerStats', { filter: { pod_sandbox_id: sid, label_selector: { c: 'ticker' } } })) as { stats: { attributes: { id: string } }[] };
  t.same(byLabel.stats.map((x) => x.attributes.id), [cid], 'ListContainerStats by sandbox and label');
  t.same(((await call(cri.runtime, 'ListContainerStats', { filter: { label_selector: { c: 'none' } } })) as { stats: unknown[] }).stats, [], 'and none for a label nobody has');
  const memoryFile = () => path.join(cgroups.dir(Cgroups.containerRel('uid-res', 'ticker'), 'memory') ?? '/nonexistent', 'memory.limit_in_bytes');
  if (cgroups.available && cgroups.version === 'v1') {
    t.ok(stats.cpu!.usage_core_nano_seconds.value > 0, 'CPU time from its cgroup');
    t.ok(stats.memory!.working_set_bytes.value > 0, 'and its working set');
    t.equal(fs.readFileSync(memoryFile(), 'utf8').trim(), String(64 * 1024 * 1024), 'the memory limit asked for');
    await call(cri.runtime, 'UpdateContainerResources', { container_id: cid, linux: { ...resources, memory_limit_in_bytes: 128 * 1024 * 1024 } });
    t.equal(fs.readFileSync(memoryFile(), 'utf8').trim(), String(128 * 1024 * 1024), 'UpdateContainerResources changes it');
  } else if (!cgroups.available) {
    t.match(await failure(cri.runtime, 'UpdateContainerResources', { container_id: cid, linux: resources }), { code: grpc.status.UNIMPLEMENTED, details: /resources cannot change/ }, 'without cgroups: said why');
  }
  t.match(await failure(cri.runtime, 'UpdateContainerResources', { container_id: cid, linux: { cpuset_cpus: '0' } }), { code: grpc.status.INVALID_ARGUMENT, details: /^linux\.cpuset_cpus/ }, 'what podrun cannot set is named');

  // The kubelet's rotation: it renames the file, then asks for a new one.
  const log = path.join(logDir, 'ticker', '0.log');
  t.ok(await until(() => fs.existsSync(log) && fs.statSync(log).size > 0, 10_000));
  t.match(fs.readFileSync(log, 'utf8'), /stdout F oom 500$/m, 'oom_score_adj as the resources ask');
  fs.renameSync(log, `${log}.20261207-000000`);
  await call(cri.runtime, 'ReopenContainerLog', { container_id: cid });
  t.ok(await until(() => fs.existsSync(log) && /stdout F tick \d+/.test(fs.readFileSync(log, 'utf8')), 10_000), 'ReopenContainerLog: output goes on in a new file at the path');

  await call(cri.runtime, 'StopContainer', { container_id: cid, timeout: 0 });
  t.match(await failure(cri.runtime, 'ReopenContainerLog', { container_id: cid }), { code: grpc.status.FAILED_PRECONDITION }, 'no reopening for a stopped container');
  await call(cri.runtime, 'RemoveContainer', { container_id: cid });
  t.ok(await until(() => events.some((e) => e.container_id === cid && e.container_event_type === 'CONTAINER_DELETED_EVENT'), 10_000));
  t.same(events.filter((e) => e.container_id === cid).map((e) => e.container_event_type), ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'], 'stopped, then deleted');
  await call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
});

t.test('mount propagation: host-to-container and bidirectional, from a source made shared after the sandbox', { skip: rootless ? 'mounting on the host needs root' : false }, async (t) => {
  const dir = await withImage(t);
  const cri = await startCri(t, {}, dir);
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: sandboxConfig('prop', path.join(dir, 'logs')) })) as { pod_sandbox_id: string };
  t.teardown(() => call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid }).catch(() => undefined));
  // As critest does it: the source made a shared mount point of its own once the sandbox exists.
  const shared = path.join(dir, 'shared');
  fs.mkdirSync(path.join(shared, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(shared, 'back'), { recursive: true });
  t.equal(sh(`mount --bind ${shared} ${shared} && mount --make-rshared ${shared}`).status, 0);
  t.teardown(() => void sh(`umount -R ${shared}`));
  const mount = (propagation: string) => ({ mounts: [{ container_path: '/mnt', host_path: shared, propagation }], linux: { security_context: { privileged: true } } });
  const start = async (name: string, propagation: string) => {
    const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: containerConfig(name, ['exec sleep 1000'], mount(propagation)) })) as { container_id: string };
    await call(cri.runtime, 'StartContainer', { container_id: cid });
    return cid;
  };
  const slave = await start('slave', 'PROPAGATION_HOST_TO_CONTAINER');
  const both = await start('both', 'PROPAGATION_BIDIRECTIONAL');
  const priv = await start('private', 'PROPAGATION_PRIVATE');
  t.match(await statusOf(cri, slave), { mounts: [{ container_path: '/mnt', host_path: shared, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }] }, 'ContainerStatus reports the propagation asked');
  t.equal(sh(`mount -t tmpfs tmpfs ${shared}/sub && echo later > ${shared}/sub/f`).status, 0, 'a mount on the host after the starts');
  const cat = async (cid: string, file: string) => ((await call(cri.runtime, 'ExecSync', { container_id: cid, cmd: ['cat', file], timeout: 10 })) as { stdout: Buffer }).stdout.toString();
  t.equal(await cat(slave, '/mnt/sub/f'), 'later\n', 'host-to-container: reaches the container');
  t.equal(await cat(both, '/mnt/sub/f'), 'later\n', 'bidirectional: reaches the container too');
  t.equal(await cat(priv, '/mnt/sub/f'), '', 'private: does not');
  const made = (await call(cri.runtime, 'ExecSync', { container_id: both, cmd: ['sh', '-c', 'mount -t tmpfs tmpfs /mnt/back && echo from-container > /mnt/back/g'], timeout: 10 })) as { exit_code: number; stderr: Buffer };
  t.equal(made.exit_code, 0, `a mount in the bidirectional container (${made.stderr.toString()})`);
  t.equal(fs.readFileSync(path.join(shared, 'back', 'g'), 'utf8'), 'from-container\n', 'reaches the host');
  t.equal(await cat(slave, '/mnt/back/g'), 'from-container\n', 'and, through the host, the host-to-container one');
  await call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid });
  t.equal(sh(`umount ${shared}/back`).status, 0, "the container's mount stays the host's to remove, as on the kubelet");
});
