// Controllers (issue 13), through the CLI as a user runs it: the time from `apply` of an
// N-replica Deployment (BENCH_REPLICAS, default 100) to all N Ready (`podrun wait`, pushed by
// the watch), and the median time from SIGKILL of a pod's shim to that pod Running and Ready
// again, its container started anew (the kubelet makes its sandbox again). Beside it podman: N pods made one by one
// (`podman pod create` + `podman run -d --pod`), and `podman kube play` of the same Deployment,
// which podman caps at one replica.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CLI = path.resolve(__dirname, '..', 'bin', 'podrun');
const now = () => Number(process.hrtime.bigint()) / 1e6;

function deployment(n, image) {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: ${n}
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: c
        image: ${image}
        command: ["/bin/sleep", "100000"]
`;
}

/** The shim pid of a pod (its sandbox record). */
function shimPid(dir, pod) {
  const id = pod.metadata.uid.replace(/-/g, '').slice(0, 16);
  return JSON.parse(fs.readFileSync(path.join(dir, 'state', 'pods', id, 'sandbox.json'), 'utf8')).pid;
}

async function controllerRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const n = Number(process.env.BENCH_REPLICAS || 100);
  const dir = ctx.lib.tempDir('podrun-bench-controllers-');
  const cli = ctx.lib.podrunCli(dir);
  const rows = [];
  try {
    cli(['image', 'import', ctx.rootfs, 'bench:1']);
    cli(['version']);
    const file = path.join(dir, 'deploy.yaml');
    fs.writeFileSync(file, deployment(n, 'bench:1'));
    // serve up first: its start is not the controllers' time.
    cli(['get', 'pods']);
    const t0 = now();
    cli(['apply', '-f', file]);
    cli(['wait', `--for=jsonpath={.status.readyReplicas}=${n}`, 'deploy/bench', '--timeout=10m']);
    const ready = now() - t0;
    rows.push({ name: `podrun Deployment of ${n}: apply to all Ready`, unit: 'ms', median: ready, note: `${(ready / n).toFixed(1)} ms a pod` });

    // SIGKILL of a pod's shim: the kubelet makes the sandbox again and restarts the containers.
    const samples = [];
    const { Podrun } = require('../dist/podrun');
    const client = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data'), engine: 'spawn' });
    for (let k = 0; k < Number(process.env.BENCH_KILLS || 10); k++) {
      const pods = (await client.listPods()).filter((p) => p.status?.phase === 'Running');
      const victim = pods[k % pods.length];
      const name = victim.metadata.name;
      const pid = shimPid(dir, victim);
      const ac = new AbortController();
      let killedAt = 0;
      const startedBefore = victim.status?.containerStatuses?.[0]?.state?.running?.startedAt;
      const back = (async () => {
        for await (const ev of client.watch({ kinds: ['Pod'], signal: ac.signal, allowBookmarks: true })) {
          if (ev.type === 'BOOKMARK' && !killedAt) {
            killedAt = now();
            process.kill(pid, 'SIGKILL');
            continue;
          }
          if (!killedAt || ev.type === 'EVENT' || ev.type === 'BOOKMARK' || ev.object.metadata.name !== name) continue;
          // Back: Ready, its container started again (after the kill).
          const ready = (ev.object.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
          const started = ev.object.status?.containerStatuses?.[0]?.state?.running?.startedAt;
          if (ready && started && started !== startedBefore) return now() - killedAt;
        }
        return NaN;
      })();
      const timer = setTimeout(() => ac.abort(), 60_000);
      samples.push(await back);
      clearTimeout(timer);
      ac.abort();
    }
    samples.sort((a, b) => a - b);
    rows.push({ name: 'podrun SIGKILL of a pod to Ready again', unit: 'ms', median: samples[Math.floor(samples.length / 2)], note: `${samples.length} kills; p90 ${samples[Math.floor(samples.length * 0.9)]?.toFixed(1)} ms` });
    // The watch: from an apply (one request to serve) to the change arriving at a watcher.
    const lat = [];
    const ac = new AbortController();
    const arrived = new Map();
    const stream = (async () => {
      for await (const ev of client.watch({ kinds: ['ConfigMap'], signal: ac.signal })) {
        const k = ev.object?.data?.k;
        if (k !== undefined && !arrived.has(k)) arrived.get(k + '!')?.(now());
      }
    })();
    for (let i = 0; i < 50; i++) {
      const k = String(i);
      const got = new Promise((r) => arrived.set(k + '!', r));
      const t0 = now();
      await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { k } });
      lat.push((await got) - t0);
    }
    ac.abort();
    await stream.catch(() => undefined);
    lat.sort((a, b) => a - b);
    rows.push({ name: 'podrun watch: apply of a change to the watcher having it (over serve.sock)', unit: 'ms', median: lat[25], note: `50 changes; p90 ${lat[45].toFixed(2)} ms; includes the apply request` });
    await client.close();
    const td = now();
    cli(['delete', 'deploy', 'bench']);
    rows.push({ name: `podrun delete the Deployment (${n} pods go in the background)`, unit: 'ms', median: now() - td });
  } catch (err) {
    rows.push({ name: `podrun Deployment of ${n}`, unit: 'ms', skipped: String(err.message).slice(0, 160) });
  } finally {
    spawnSync(process.execPath, [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'system', 'reset', '--force'], { stdio: 'ignore' });
    spawnSync('pkill', ['-f', `serve --root ${path.join(dir, 'state')}`]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push(...podmanRows(ctx, n));
  return rows;
}

/** podman making the same pods: one by one, and by kube play (one replica: podman's cap). */
function podmanRows(ctx, n) {
  const podman = ctx.lib.which('podman');
  if (!podman) return [{ name: 'podman', unit: 'ms', skipped: 'not installed' }];
  const rows = [];
  const store = ctx.lib.tempDir('podrun-bench-podman-');
  const base = ['--root', path.join(store, 'root'), '--runroot', path.join(store, 'run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  const pm = (args, opts = {}) => {
    const r = spawnSync(podman, [...base, ...args], { encoding: 'utf8', ...opts });
    // The runtime's own complaint is more telling than podman's last line ("internal libpod error").
    const lines = (r.stderr || '').trim().split('\n');
    if (r.status !== 0) throw new Error(`podman ${args.slice(0, 2).join(' ')}: ${(lines.find((l) => /crun:|runc:/.test(l)) ?? lines.pop() ?? '').replace(/^time="[^"]*" level=error msg=/, '')}`);
    return r.stdout;
  };
  try {
    // The same busybox root as an image podman can run.
    pm(['import', '--change', 'CMD ["/bin/sh"]', '-'], { input: spawnSync('tar', ['-C', ctx.rootfs, '-c', '.'], { maxBuffer: 256 << 20 }).stdout });
    const image = pm(['images', '-q']).trim().split('\n')[0];
    pm(['tag', image, 'localhost/bench:1']);
    let t0 = now();
    for (let i = 0; i < n; i++) {
      pm(['pod', 'create', '--name', `bench-${i}`, '--network', 'none']);
      pm(['run', '-d', '--pod', `bench-${i}`, 'localhost/bench:1', '/bin/sleep', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const made = now() - t0;
    rows.push({ name: `podman ${n} pods: pod create + run -d, one by one`, unit: 'ms', median: made, note: `${(made / n).toFixed(1)} ms a pod; no network` });
    pm(['pod', 'rm', '-a', '-f', '-t', '0']);
    const file = path.join(store, 'deploy.yaml');
    fs.writeFileSync(file, deployment(n, 'localhost/bench:1'));
    t0 = now();
    pm(['kube', 'play', '--network', 'none', file]);
    rows.push({ name: `podman kube play of the Deployment`, unit: 'ms', median: now() - t0, note: `podman makes 1 replica of ${n}: it caps Deployments at one` });
    pm(['kube', 'down', file]);
  } catch (err) {
    rows.push({ name: 'podman', unit: 'ms', skipped: String(err.message).slice(0, 160) });
  } finally {
    spawnSync(podman, [...base, 'pod', 'rm', '-a', '-f', '-t', '0'], { stdio: 'ignore' });
    spawnSync(podman, [...base, 'system', 'reset', '-f'], { stdio: 'ignore' });
    fs.rmSync(store, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { controllerRows };
