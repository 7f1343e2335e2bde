#!/usr/bin/env node
// npm run stress [-- OPTIONS]: the figures issue 15 keeps permanent (not run in CI; the smoke test
// test/integration/stress-smoke.test.ts runs a few cycles of the leak check there).
//  1. The leak table: --cycles N (1000) create+delete cycles of a 2-container pod with an
//     emptyDir and a hostPort, after a warm-up of --warmup N cycles (20) and --warmup-seconds S
//     (90: the engine's watch history spans 75 s); every delta 0, the engine's RSS within 5%
//     (judged from 100 cycles on).
//  2. --concurrent N (50) pods created at once: no failure, no address given twice.
//  3. --kills N (50) SIGKILLs of `podrun serve` during create, exec, logs -f, delete and pull
//     (from a registry in this process), a new engine each time: no exit, log line or pod lost.
// As root it runs as root (pods wired in a sandbox network namespace, never the host's), then
// again rootless as the user `podruntest` (--rootless-user); as another user, rootless only.
// --mode root|rootless picks one; --only leaks,concurrent,kills picks parts; --quick is
// --cycles 20 --warmup 3 --concurrent 10 --kills 10; --seed N repeats a run's kill moments.
// Exits 1 when anything leaked or was lost.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const PAYLOAD = path.join(REPO, 'build', 'Release', 'podrun-payload');

function parseArgs(argv) {
  const o = { cycles: 1000, warmup: 20, concurrent: 50, kills: 50, mode: undefined, only: ['leaks', 'concurrent', 'kills'], seed: Date.now() % 1e9, rootlessUser: 'podruntest', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    const num = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} wants a whole number`);
      return n;
    };
    if (flag === '--cycles') o.cycles = num();
    else if (flag === '--warmup') o.warmup = num();
    else if (flag === '--warmup-seconds') o.warmupSeconds = num();
    else if (flag === '--concurrent') o.concurrent = num();
    else if (flag === '--kills') o.kills = num();
    else if (flag === '--seed') o.seed = num();
    else if (flag === '--mode') o.mode = value();
    else if (flag === '--only') o.only = value().split(',');
    else if (flag === '--rootless-user') o.rootlessUser = value();
    else if (flag === '--json') o.json = true;
    else if (flag === '--quick') Object.assign(o, { cycles: 20, warmup: 3, concurrent: 10, kills: 10 });
    else if (flag === '-h' || flag === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const p of o.only) if (!['leaks', 'concurrent', 'kills'].includes(p)) throw new Error(`--only: unknown part ${p}`);
  if (o.mode && !['root', 'rootless'].includes(o.mode)) throw new Error('--mode is root or rootless');
  return o;
}

const BUSYBOX_LINKS = ['sh', 'sleep', 'echo', 'cat', 'true'];

function buildRootfs(dir) {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) fs.mkdirSync(path.join(rootfs, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const l of BUSYBOX_LINKS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', l));
  fs.copyFileSync(PAYLOAD, path.join(rootfs, 'payload'));
  fs.chmodSync(path.join(rootfs, 'payload'), 0o755);
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  return rootfs;
}

/** Ends whatever of the run is still there: pods' shims (SIGKILL), the serve, the directory. */
function tearDown(ctx) {
  const probe = require('./stress/probe');
  const procs = probe.procTable();
  for (const s of probe.shimTree(ctx.root, procs).shims) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const pid of probe.servePids(ctx.root, procs)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  spawnSync('sh', ['-c', `grep -F ' ${ctx.base}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  fs.rmSync(ctx.base, { recursive: true, force: true });
}

/** One mode's run, in this process, as this process's user. */
async function runHere(o, mode) {
  const asRoot = process.geteuid() === 0;
  if (asRoot) require('../test/support/sandbox-netns.js').useSandboxNetns();
  const { Podrun } = require(path.join(REPO, 'dist'));
  const phases = require('./stress/phases');
  const probe = require('./stress/probe');
  const log = (s) => process.stderr.write(`[${mode}] ${s}\n`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `podrun-stress-${mode}-`));
  fs.chmodSync(base, 0o755);
  const ctx = { base, root: path.join(base, 'state'), dataRoot: path.join(base, 'data'), asRoot };
  let registry;
  const results = { mode, user: os.userInfo().username, idMapping: process.env.PODRUN_ID_MAPPING || 'auto', seed: o.seed };
  const onSignal = () => {
    tearDown(ctx);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const rootfs = buildRootfs(base);
    await new Podrun({ root: ctx.root, dataRoot: ctx.dataRoot }).images.importImage(rootfs, phases.IMAGE);
    // The CLI's way: the engine is a `podrun serve` of its own, which the kills can reach.
    ctx.podrun = new Podrun({ root: ctx.root, dataRoot: ctx.dataRoot, engine: 'spawn', onNotice: (t) => log(`notice: ${t}`) });
    await ctx.podrun.listPods();
    if (o.only.includes('leaks')) {
      log(`leak check: warm-up (${o.warmup} cycles at least${o.cycles >= 100 ? `, ${o.warmupSeconds ?? 90} s at least` : ''}), then ${o.cycles} cycles`);
      results.leaks = await phases.leaks(ctx, { cycles: o.cycles, warmup: o.warmup, warmupSeconds: o.warmupSeconds, log });
    }
    if (o.only.includes('concurrent') && o.concurrent > 0) {
      log(`${o.concurrent} concurrent creations`);
      const before = await settleFor(ctx, probe);
      results.concurrent = await phases.concurrent(ctx, { count: o.concurrent, log });
      const after = await settleFor(ctx, probe, before);
      results.concurrent.leftRows = probe.leakRows(pick(before), pick(after));
      results.concurrent.ok &&= results.concurrent.leftRows.every((r) => r.ok);
    }
    if (o.only.includes('kills') && o.kills > 0) {
      log(`${o.kills} kills of the engine (seed ${o.seed})`);
      registry = await require('./stress/registry').startRegistry(rootfs);
      results.kills = await phases.kills(ctx, { count: o.kills, seed: o.seed, registry, log });
    }
    await ctx.podrun.close();
    const r = await phases.cli(ctx, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
    if (r.code !== 0) log(`cleanup: ${r.stderr.trim()}`);
  } catch (e) {
    results.error = e.stack || String(e);
  } finally {
    await registry?.close();
    tearDown(ctx);
  }
  results.ok = !results.error && ['leaks', 'concurrent', 'kills'].every((p) => !results[p] || results[p].ok);
  return results;
}

const LEFT = ['shim processes', 'container processes (below shims)', 'host mounts under the roots', 'links in the pod network', 'nftables ruleset lines', 'iptables rules', 'address records (IPAM files)', 'pod directories', 'state root entries'];
const pick = (s) => Object.fromEntries(LEFT.map((k) => [k, s[k]]));
async function settleFor(ctx, probe, want) {
  let last = probe.snapshot(ctx);
  for (const end = Date.now() + 3000; Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 100));
    const s = probe.snapshot(ctx);
    if (LEFT.every((k) => s[k] === (want ?? last)[k])) return s;
    last = s;
  }
  return last;
}

function report(r) {
  const probe = require('./stress/probe');
  const out = [`== ${r.mode} (user ${r.user}, id mapping ${r.idMapping}) ==`];
  if (r.error) out.push(`ERROR: ${r.error}`);
  if (r.leaks) {
    out.push(`1. leaks: ${r.leaks.cycles} create+delete cycles of a 2-container pod with an emptyDir and a hostPort (after ${r.leaks.warmup} warm-up), ${r.leaks.msPerCycle.toFixed(0)} ms a cycle`);
    out.push(probe.renderLeakTable(r.leaks.rows));
  }
  if (r.concurrent) {
    const c = r.concurrent;
    out.push('', `2. ${c.count} concurrent creations: ${(c.ms / 1000).toFixed(1)} s until all Running; ${c.failures.length} failures, ${c.collisions} IP collisions, ${c.noIp} without an IP ${c.ok ? 'ok' : 'FAIL'}`);
    for (const f of c.failures.slice(0, 5)) out.push(`   failure: ${f}`);
    out.push('   left after deleting them all:', probe.renderLeakTable(c.leftRows).replace(/^/gm, '   '));
  }
  if (r.kills) {
    const k = r.kills;
    out.push('', `3. ${k.count} kill -9 of the engine at random moments (seed ${k.seed}); a new engine each time through the next CLI command`);
    out.push(
      probe.renderTable(
        ['during', 'kills', 'op still pending', 'retried after re-attach', 'lost'],
        Object.entries(k.tally).map(([op, t]) => [op, t.kills, t.pending, t.retried, t.lost]),
      ),
    );
    for (const [op, t] of Object.entries(k.tally)) for (const n of t.notes.slice(0, 3)) out.push(`   ${op}: ${n}`);
    const fl = k.followers.reduce((s, f) => s + f.lines, 0);
    out.push(
      `   lost exits: ${k.lostExits.length} of ${k.expected} containers that exited${k.lostExits.length ? ` (${k.lostExits.slice(0, 5).join('; ')})` : ''}`,
      `   lost log lines: ticker ${k.tickerLines} lines, ${k.tickerFaults.gaps} missing, ${k.tickerFaults.dups} doubled, ${k.tickerFaults.disorder} out of order; ${k.followers.length} logs -f across a kill saw ${fl} lines, ${k.followers.reduce((s, f) => s + f.gaps + f.dups + f.disorder, 0)} faults`,
      `   orphans: ${k.orphans.length}${k.orphans.length ? ` (${k.orphans.slice(0, 5).join('; ')})` : ''}`,
      ...(k.addresses.length ? [`   addresses still held: ${k.addresses.join(', ')}`] : []),
      '   left after deleting everything (against before the kills):',
      probe.renderLeakTable(k.leftRows).replace(/^/gm, '   '),
    );
  }
  out.push('', r.ok ? `${r.mode}: every delta 0, nothing lost` : `${r.mode}: FAILED`, '');
  return out.join('\n');
}

function passOn(o) {
  const a = ['--cycles', o.cycles, '--warmup', o.warmup, ...(o.warmupSeconds !== undefined ? ['--warmup-seconds', o.warmupSeconds] : []), '--concurrent', o.concurrent, '--kills', o.kills, '--seed', o.seed, '--only', o.only.join(',')];
  return a.map(String);
}

/** The rootless run as another user (started as root): this script again under setpriv. */
function runAs(o, user) {
  const pw = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.trim().split(':');
  if (pw.length < 6) return { mode: 'rootless', user, ok: false, error: `no user ${user} for the rootless run (--rootless-user)` };
  const [, , uid, gid, , home] = pw;
  const env = [`HOME=${home}`, `USER=${user}`, `XDG_RUNTIME_DIR=/run/user/${uid}`, 'PATH=/usr/bin:/bin:/usr/sbin:/sbin', ...(process.env.PODRUN_ID_MAPPING ? [`PODRUN_ID_MAPPING=${process.env.PODRUN_ID_MAPPING}`] : [])];
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--reset-env', 'env', ...env, process.execPath, __filename, '--mode', 'rootless', '--json', ...passOn(o)], {
    cwd: '/',
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { mode: 'rootless', user, ok: false, error: `the rootless run as ${user} ended ${r.status ?? r.signal}: ${r.stdout.slice(-2000)}` };
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(PAYLOAD) || !fs.existsSync(path.join(REPO, 'dist', 'index.js'))) throw new Error('podrun is not built: npm run build');
  const asRoot = process.geteuid() === 0;
  const modes = o.mode ? [o.mode] : asRoot ? ['root', 'rootless'] : ['rootless'];
  const results = [];
  for (const mode of modes) {
    if (mode === 'root' && !asRoot) throw new Error('--mode root needs root');
    const r = mode === 'rootless' && asRoot ? runAs(o, o.rootlessUser) : await runHere(o, mode);
    results.push(r);
    if (!o.json) process.stdout.write(report(r) + '\n');
  }
  if (o.json) process.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results) + '\n');
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`stress: ${e.message}\n`);
  process.exitCode = 2;
});
