// podrun's rows for the benchmark table, measured on the same busybox rootfs as the peers:
//  - pod start through the Node API: sandbox + one container running /bin/true, until the pod
//    is Succeeded (what `crun run` of /bin/true amounts to), seen through podrun's watch;
//  - container start into an already running pod (the shim's start request, until the shim
//    reports the exit);
// Every wait is on an event, as the peers' rows wait in spawnSync: a poll loop here would take
// a core's share from the pod's own processes, most of all in the loaded column.
//  - resident memory of an idle pod's podrun processes (the shim; the workload excluded, as for the peers).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { runningPod } = require('./running-pod');

const dist = path.resolve(__dirname, '..', 'dist');

function stats(name, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { name, unit: 'ms', runs: samples.length, samples, median: at(50), p90: at(90) };
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function podrunRows(ctx) {
  // As root, pods' bridge and veths go to a sandbox network namespace, not the host's.
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const { Podrun } = require(dist);

  const dir = ctx.lib.tempDir('podrun-bench-pr-');
  const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  await podrun.images.importImage(ctx.rootfs, 'bench:1');
  const rows = [];
  const pod = (name, command) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'bench:1', command }] },
  });

  try {
    // 1. Pod start.
    const samples = [];
    for (let i = -1; i < ctx.runs; i++) {
      const t0 = now();
      await podrun.createPod(pod(`start-${i + 1}`, ['/bin/true']));
      await podrun.waitFor(`start-${i + 1}`, (p) => p.status?.phase === 'Succeeded');
      if (i >= 0) samples.push(now() - t0);
      await podrun.deletePod(`start-${i + 1}`, { gracePeriodSeconds: 0 });
    }
    rows.push({ ...stats('podrun pod start (Node API)', samples), note: 'sandbox + /bin/true' });

    // 2. Container start into a running pod, through the pod's shim.
    const idle = await runningPod(podrun);
    const cs = [];
    for (let i = -1; i < ctx.runs; i++) {
      const { run } = idle.prepare(`extra${i + 1}`);
      const t0 = now();
      await run();
      if (i >= 0) cs.push(now() - t0);
    }
    rows.push({ ...stats('podrun container start in running pod', cs), note: 'shim start request' });

    // 3. Idle memory: the shim (the sleeping workload is excluded, as for the peers).
    rows.push({ name: 'podrun idle pod (shim)', unit: 'MiB', median: rssKiB(idle.sandbox.pid) / 1024, note: '1 process' });
    await idle.close();
  } finally {
    await podrun.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { podrunRows, stats };
