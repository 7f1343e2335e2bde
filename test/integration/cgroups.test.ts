// Resource limits through bin/podrun with defaults only: one pod whose containers carry the
// kubelet's values in their cgroups (memory, cpu, pids, devices), one that is OOM-killed, one
// fork bomb held at the pids limit, exec sessions charged to their container, `top pod`, an
// in-place resize without a restart, and nothing left in the cgroup trees after delete.
// As root on this cgroup v1 (hybrid) host the v1 controllers are used; rootless here there are
// no cgroups, and podrun says once that limits are not enforced.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { e2e, missingE2e } from '../e2e/e2e-harness';
import { asRoot, coveredBySubidRun, until } from './harness';
import { Cgroups } from '../../src/cgroups/manager';

const missing = missingE2e();
if (missing) {
  t.skip(missing);
  process.exit(0);
}

const cgroups = Cgroups.detect();
const V1 = ['memory', 'cpu', 'cpuacct', 'pids', 'devices'];

/** A cgroup file of a pod (`rel` '' ) or of one of its containers, in one v1 hierarchy. */
function cg(controller: string, uid: string, rel: string, file: string): string {
  return fs.readFileSync(`${cgroups.dir(`${Cgroups.podRel(uid)}${rel ? `/${rel}` : ''}`, controller as 'memory')}/${file}`, 'utf8').trim();
}

const MiB = 1024 * 1024;
const SLEEP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

function limitsPod(): string {
  const spec = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'limits', labels: { app: 'limits' } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'work',
          image: 'busybox:e2e',
          // 20 MiB held, for top to show.
          command: ['/payload', 'try', 'alloc', '20', '--then', 'sleep', '3600'],
          resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
          resizePolicy: [{ resourceName: 'memory', restartPolicy: 'NotRequired' }],
        },
        // 200 MiB touched under a 64 MiB limit: the OOM killer ends it.
        { name: 'oom', image: 'busybox:e2e', command: ['/payload', 'try', 'alloc', '200'], resources: { limits: { memory: '64Mi', cpu: '100m' } } },
        // Forks until fork fails (at most 4096), again and again: the pids limit stops it each time.
        { name: 'bomb', image: 'busybox:e2e', command: ['sh', '-c', 'while :; do /payload try forkbomb 4096; done'], resources: { limits: { memory: '256Mi', cpu: '200m' } } },
      ],
    },
  };
  return JSON.stringify(spec);
}

t.test('resource limits as root on cgroups, through bin/podrun', async (t) => {
  if (!asRoot) return t.skip('rootless on this host: cgroup v1 controllers are root-only, limits are not enforced (the notice is tested below)');
  if (!cgroups.available) return t.skip(`no usable cgroups here: ${cgroups.reason}`);
  const env = await e2e(t);

  const applied = env.run(['apply', '-f', env.file('limits.json', limitsPod())]);
  t.equal(applied.status, 0, applied.stderr);
  t.notMatch(applied.stderr, /not enforced/, 'no notice: limits are enforced here');
  const oomDone = (p: Pod) => !!p.status?.containerStatuses?.find((s) => s.name === 'oom')?.state?.terminated;
  const bombLines = () => env.run(['logs', 'limits', '-c', 'bomb', '--tail', '3']).stdout.trim().split('\n').filter((l) => l);
  const pod = await env.until('limits', (p) => oomDone(p) && !!p.status?.containerStatuses?.find((s) => s.name === 'work')?.state?.running, 60_000);
  t.ok(pod, 'the pod runs and its oom container ended');
  if (!pod) return;
  const uid = pod.metadata!.uid!;

  // OOMKilled from the memory cgroup's OOM kill counter.
  const oom = pod.status!.containerStatuses!.find((s) => s.name === 'oom')!.state!.terminated!;
  t.equal(oom.reason, 'OOMKilled', 'a 64Mi container touching 200 MiB ends OOMKilled');
  t.equal(oom.exitCode, 137, 'killed by SIGKILL');

  // The kubelet's values in the container's cgroup.
  t.equal(Number(cg('memory', uid, 'work', 'memory.limit_in_bytes')), 64 * MiB, 'limits.memory -> memory.limit_in_bytes');
  if (fs.existsSync(`${cgroups.dir(`${Cgroups.podRel(uid)}/work`, 'memory')}/memory.memsw.limit_in_bytes`)) {
    t.equal(Number(cg('memory', uid, 'work', 'memory.memsw.limit_in_bytes')), 64 * MiB, 'no swap: memsw = the limit');
  }
  t.equal(cg('cpu', uid, 'work', 'cpu.shares'), '256', 'requests.cpu 250m -> 256 shares');
  t.equal(cg('cpu', uid, 'work', 'cpu.cfs_quota_us'), '50000', 'limits.cpu 500m -> 50 ms per 100 ms');
  t.equal(cg('cpu', uid, 'work', 'cpu.cfs_period_us'), '100000');
  t.equal(cg('pids', uid, 'work', 'pids.max'), '2048', "podman's default pids limit");
  // The pod's cgroup: sums, as every container has both limits.
  t.equal(Number(cg('memory', uid, '', 'memory.limit_in_bytes')), 384 * MiB, 'pod memory limit = the sum of the containers');
  t.equal(cg('cpu', uid, '', 'cpu.cfs_quota_us'), '80000', 'pod cpu quota = the sum of the limits');
  t.equal(cg('cpu', uid, '', 'cpu.shares'), String(Math.floor(((250 + 100 + 200) * 1024) / 1000)), 'pod shares from the sum of the requests');

  // The container's processes, and an exec session's, are in its cgroups; the shim in the pod's.
  const podDir = `${env.root}/pods/${uid.replace(/-/g, '').slice(0, 16)}`;
  const workPid = (JSON.parse(fs.readFileSync(`${podDir}/containers/work/0.start.json`, 'utf8')) as { pid: number }).pid;
  t.ok(cg('memory', uid, 'work', 'cgroup.procs').split('\n').map(Number).includes(workPid), 'the container process is in its memory cgroup');
  const exec = env.run(['exec', 'limits', '-c', 'work', '--', 'cat', '/proc/self/cgroup']);
  t.equal(exec.status, 0, exec.stderr);
  for (const c of ['memory', 'pids', 'devices']) t.match(exec.stdout, new RegExp(`:${c}:/podrun/pod${uid}/work$`, 'm'), `an exec session is in the container's ${c} cgroup`);
  const sandbox = JSON.parse(fs.readFileSync(`${podDir}/sandbox.json`, 'utf8')) as { pid: number };
  t.match(fs.readFileSync(`/proc/${sandbox.pid}/cgroup`, 'utf8'), new RegExp(`:memory:/podrun/pod${uid}$`, 'm'), 'the shim is in the pod cgroup');

  // The fork bomb hits the pids limit, round after round, while the host stays responsive.
  t.ok(await until(() => bombLines().length >= 2, 60_000), 'the fork bomb went round at least twice');
  for (const line of bombLines()) {
    t.match(line, /^(\d+) EAGAIN$/, 'fork failed with EAGAIN');
    t.ok(Number(/^(\d+)/.exec(line)?.[1]) < 2048, `no more than the limit forked (${line})`);
  }
  t.ok(Number(cg('pids', uid, 'bomb', 'pids.current')) <= 2048, 'pids.current within pids.max');
  t.ok(Number(/^max (\d+)$/m.exec(cg('pids', uid, 'bomb', 'pids.events'))?.[1]) > 0, 'the kernel counted forks refused at the limit');
  for (let k = 0; k < 3; k++) {
    const started = Date.now();
    const r = spawnSync('/bin/true');
    const ms = Date.now() - started;
    // Loose (other test files may load the machine too): a bomb without the limit makes fork
    // fail on the host outright, or stalls it for far longer.
    t.ok(r.status === 0 && ms < 3000, `a host process starts and ends promptly beside the bomb (${ms} ms)`);
  }

  // Devices: the cgroup refuses a device the host's /dev offers (the mount allows it here: a
  // host process moved into the container's devices cgroup), and the pod's cgroup, which allows
  // everything for the shim, lets the same process open it.
  const tryOpen = (rel: string) =>
    spawnSync('/bin/sh', ['-c', `echo $$ > ${cgroups.dir(`${Cgroups.podRel(uid)}${rel}`, 'devices')}/cgroup.procs && exec 3<>/dev/net/tun && echo opened`], { encoding: 'utf8' });
  if (fs.existsSync('/dev/net/tun')) {
    const denied = tryOpen('/work');
    t.notMatch(denied.stdout, /opened/, 'the container cgroup refuses /dev/net/tun');
    t.match(denied.stderr, /Operation not permitted|can't open/, denied.stderr);
    t.match(cg('devices', uid, 'work', 'devices.list'), /^c 1:3 rwm$/m, 'the default nodes are allowed');
    t.notMatch(cg('devices', uid, 'work', 'devices.list'), /^a \*:\* rwm$/m, 'not everything is allowed');
    const allowed = tryOpen('');
    t.match(allowed.stdout, /opened/, `the pod cgroup (everything allowed) lets it open: ${allowed.stderr}`);
  }

  // top pod: kubectl's columns, usage from the cgroups.
  const top = env.run(['top', 'pod', 'limits']);
  t.equal(top.status, 0, top.stderr);
  t.match(top.stdout, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\nlimits\s+\d+m\s+\d+Mi\n$/, top.stdout);
  const perContainer = env.run(['top', 'pod', '--containers', '-l', 'app=limits', '--no-headers']);
  t.equal(perContainer.status, 0, perContainer.stderr);
  const workLine = /^limits\s+work\s+(\d+)m\s+(\d+)Mi$/m.exec(perContainer.stdout);
  t.ok(workLine && Number(workLine[2]) >= 20, `work's working set shows its 20 MiB: ${perContainer.stdout}`);
  const bombLine = /^limits\s+bomb\s+(\d+)m\s+(\d+)Mi$/m.exec(perContainer.stdout);
  t.ok(bombLine && Number(bombLine[1]) > 0 && Number(bombLine[1]) <= 300, `the bomb's CPU is held near its 200m limit: ${perContainer.stdout}`);
  t.notMatch(perContainer.stdout, /\boom\b/, 'an ended container has no usage line');

  // In-place resize (NotRequired): the running container's cgroup changes, no restart.
  const patch = { spec: { containers: [{ name: 'work', resources: { limits: { memory: '96Mi', cpu: '750m' } } }] } };
  const patched = env.run(['patch', 'pod', 'limits', '--subresource', 'resize', '-p', JSON.stringify(patch)]);
  t.equal(patched.status, 0, patched.stderr);
  t.equal(patched.stdout, 'pod/limits patched\n');
  t.equal(Number(cg('memory', uid, 'work', 'memory.limit_in_bytes')), 96 * MiB, 'memory.limit_in_bytes follows the resize');
  t.equal(cg('cpu', uid, 'work', 'cpu.cfs_quota_us'), '75000', 'the cpu quota follows the resize');
  t.equal(Number(cg('memory', uid, '', 'memory.limit_in_bytes')), (96 + 64 + 256) * MiB, "the pod's limit is the new sum");
  t.equal(cg('cpu', uid, '', 'cpu.cfs_quota_us'), '105000', "the pod's quota is the new sum");
  const resized = env.pod('limits')!;
  const work = resized.status!.containerStatuses!.find((s) => s.name === 'work')!;
  t.equal(work.restartCount, 0, 'not restarted');
  t.ok(work.state?.running, 'still running');
  t.same(work.resources?.limits, { cpu: '750m', memory: '96Mi' }, 'status.containerStatuses[].resources reports the new limits');
  t.same(resized.spec!.containers[0]!.resources!.limits, { cpu: '750m', memory: '96Mi' });
  const refused = env.run(['patch', 'pod', 'limits', '--subresource', 'resize', '-p', JSON.stringify({ spec: { containers: [{ name: 'work', resources: { requests: { cpu: '750m', memory: '96Mi' } } }] } })]);
  t.not(refused.status, 0, 'a resize that would change the QoS class is refused');
  t.match(refused.stderr, /Pod QOS Class may not change as a result of resizing/, refused.stderr);
  const huge = env.run(['patch', 'pod', 'limits', '--subresource', 'resize', '-p', JSON.stringify({ spec: { containers: [{ name: 'work', resources: { requests: { memory: '10Ti' }, limits: { memory: '10Ti' } } }] } })]);
  t.not(huge.status, 0, 'a resize past the node is refused');
  t.match(huge.stderr, /Infeasible: Node didn't have enough capacity: memory/, huge.stderr);
  t.equal(Number(cg('memory', uid, 'work', 'memory.limit_in_bytes')), 96 * MiB, 'and nothing changed');

  // Delete: every cgroup of the pod goes, in every hierarchy.
  const del = env.run(['delete', 'pod', 'limits', '--grace-period=1']);
  t.equal(del.status, 0, del.stderr);
  for (const c of V1) t.notOk(fs.existsSync(cgroups.dir(Cgroups.podRel(uid), c as 'memory')!), `no ${c} cgroup left for the pod`);
});

t.test('rootless on a cgroup v1 host: limits not enforced, said once, and top says why', async (t) => {
  if (asRoot) return t.skip('as root the limits are enforced (above)');
  if (cgroups.available) return t.skip('this user has cgroups here: nothing to say');
  const covered = coveredBySubidRun();
  if (covered) return t.skip(covered);
  const env = await e2e(t);
  const small = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'small' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:e2e', command: SLEEP, resources: { limits: { memory: '64Mi' } } }] } };
  const r = env.run(['apply', '-f', env.file('p.json', JSON.stringify(small))]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /Warning: resource limits are not enforced: this host has cgroup v1 \(hybrid\), whose controllers only root may use/, r.stderr);
  const later = env.run(['get', 'pods']);
  t.notMatch(later.stderr, /not enforced/, 'said once: not again by the next command');
  const top = env.run(['top', 'pod']);
  t.not(top.status, 0);
  t.match(top.stderr, /Metrics API not available: pod usage is read from cgroups, and this host has cgroup v1/, top.stderr);
});
