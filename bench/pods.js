// Many pods at once (issue 12): one apply of N idle pods until every one is Running, then one
// delete of all of them (kubectl's way: every deletion asked for, then waited for), through the
// CLI as a user runs it. Beside them, runc starting and deleting the same number of detached
// containers one after another, as a script would. N: BENCH_PODS (default 200).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CLI = path.resolve(__dirname, '..', 'bin', 'podrun');

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function manifest(n) {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\nspec:\n  containers:\n  - name: c\n    image: bench:1\n    command: ["/bin/sleep", "100000"]\n---\n`;
  }
  return out;
}

/** Until n pods are listed and every one is Running (a look every 100 ms; 10 min at most). */
async function allRunning(list, n) {
  for (const end = Date.now() + 600_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const pods = list();
    if (pods.length === n && pods.every((p) => p.status?.phase === 'Running')) return;
  }
  throw new Error(`the ${n} pods were not all Running within 10 min`);
}

async function podRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const n = Number(process.env.BENCH_PODS || 200);
  const dir = ctx.lib.tempDir('podrun-bench-pods-');
  const cli = ctx.lib.podrunCli(dir);
  const rows = [];
  try {
    cli(['image', 'import', ctx.rootfs, 'bench:1']);
    const file = path.join(dir, 'pods.yaml');
    fs.writeFileSync(file, manifest(n));
    for (const [how, flags] of [
      ['--grace-period=0 --force', ['--grace-period=0', '--force']],
      ['--grace-period=0 (1 s; sleep ignores SIGTERM)', ['--grace-period=0']],
    ]) {
      let t0 = now();
      cli(['apply', '-f', file]);
      await allRunning(() => JSON.parse(cli(['get', 'pods', '-o', 'json'])).items, n);
      const create = now() - t0;
      t0 = now();
      cli(['delete', '-f', file, ...flags]);
      const del = now() - t0;
      rows.push({ name: `podrun apply ${n} pods, all Ready`, unit: 'ms', median: create, note: `${(create / n).toFixed(1)} ms a pod` });
      rows.push({ name: `podrun delete ${n} pods ${how}`, unit: 'ms', median: del, note: `${(del / n).toFixed(1)} ms a pod` });
    }
  } catch (err) {
    rows.push({ name: `podrun ${n} pods`, unit: 'ms', skipped: String(err.message).slice(0, 160) });
  } finally {
    spawnSync('pkill', ['-f', `serve --root ${path.join(dir, 'state')}`]);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const runc = ctx.lib.which('runc');
  if (!runc || !ctx.asRoot) {
    rows.push({ name: `runc ${n} containers`, unit: 'ms', skipped: runc ? 'as root only here' : 'not installed' });
    return rows;
  }
  const st = ctx.lib.tempDir('podrun-bench-runc-');
  try {
    let t0 = now();
    for (let i = 0; i < n; i++) ctx.lib.run(runc, ['--root', st, 'run', '-d', '-b', ctx.sleepBundle, `bench-${process.pid}-${i}`], { stdio: 'ignore' }); // a detached container would hold a stderr pipe open
    const create = now() - t0;
    t0 = now();
    for (let i = 0; i < n; i++) ctx.lib.run(runc, ['--root', st, 'delete', '-f', `bench-${process.pid}-${i}`]);
    const del = now() - t0;
    rows.push({ name: `runc run -d ${n} containers, one by one`, unit: 'ms', median: create, note: `${(create / n).toFixed(1)} ms each` });
    rows.push({ name: `runc delete -f ${n} containers, one by one`, unit: 'ms', median: del, note: `${(del / n).toFixed(1)} ms each` });
  } catch (err) {
    rows.push({ name: `runc ${n} containers`, unit: 'ms', skipped: String(err.message).slice(0, 160) });
  } finally {
    fs.rmSync(st, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { podRows };
