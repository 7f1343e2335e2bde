// Shared pieces of the benchmark: timing, percentiles, the result table, a busybox rootfs,
// and the resident memory of an idle process tree. Plain CommonJS so that `node bench/run.js`
// needs no build; podrun's own rows (bench/podrun.js) use the same helpers, so every figure in
// the table is taken the same way on the same machine in the same run.
'use strict';

const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** @returns {number} runs per measurement: env BENCH_RUNS, default 20. */
function defaultRuns() {
  const n = Number(process.env.BENCH_RUNS);
  return Number.isInteger(n) && n > 0 ? n : 20;
}

function isRoot() {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

/** Absolute path of an executable on PATH (plus the sbin dirs, where runc lives), or undefined. */
function which(cmd) {
  const dirs = (process.env.PATH || '').split(':').concat(['/usr/local/sbin', '/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function median(sorted) {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * Time `fn` (sync or async) `runs` times, after `warmup` untimed runs that fill the page cache
 * and the dynamic loader's caches, which would otherwise land on whichever row runs first.
 * @returns {Promise<{name: string, unit: 'ms', runs: number, samples: number[], median: number, p90: number}>}
 */
async function measure(name, fn, runs = defaultRuns(), { warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { name, unit: 'ms', runs, samples, median: median(sorted), p90: percentile(sorted, 90) };
}

/**
 * Run a command to completion and throw, with its stderr, unless it exited 0. Meant to be
 * the body of a `measure` callback: spawnSync keeps the event loop out of the timing.
 */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || '').trim()}`);
  }
  return r;
}

function fmt(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/**
 * Render rows as text tables, one per unit ('ms' timings, 'MiB' memory), each with a ratio to
 * the row named `baselineName` of the same unit. A row with `skipped` set prints its reason.
 * @param {Array<{name: string, unit?: string, median?: number, p90?: number, skipped?: string, note?: string}>} rows
 * @param {string} baselineName
 */
function table(rows, baselineName) {
  const units = [...new Set(rows.map((r) => r.unit || 'ms'))];
  const out = [];
  for (const unit of units) {
    const group = rows.filter((r) => (r.unit || 'ms') === unit);
    const base = group.find((r) => r.name === baselineName && !r.skipped);
    const header = unit === 'ms'
      ? ['name', 'median ms', 'p90 ms', `ratio to ${baselineName}`]
      : ['name', unit === 'MiB' ? 'idle RSS MiB' : unit, `ratio to ${baselineName}`];
    const body = group.map((r) => {
      if (r.skipped) return unit === 'ms' ? [r.name, '-', '-', `skipped: ${r.skipped}`] : [r.name, '-', `skipped: ${r.skipped}`];
      const ratio = base && base.median > 0 ? `${fmt(r.median / base.median)}x` : '-';
      const cells = unit === 'ms' ? [r.name, fmt(r.median), fmt(r.p90), ratio] : [r.name, fmt(r.median, 1), ratio];
      if (r.note) cells[cells.length - 1] += `  (${r.note})`;
      return cells;
    });
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(i === cells.length - 1 ? 0 : widths[i]))).join(' | ');
    out.push(line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '');
  }
  return out.join('\n');
}

const cleanups = [];
let cleanupHooked = false;
/** Run `fn` when the process exits (normally or by SIGINT/SIGTERM). */
function onExit(fn) {
  cleanups.push(fn);
  if (cleanupHooked) return;
  cleanupHooked = true;
  const runAll = () => {
    while (cleanups.length) {
      try {
        cleanups.pop()();
      } catch {
        // best effort
      }
    }
  };
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      runAll();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
}

/** A fresh temporary directory, removed at exit. */
function tempDir(prefix = 'podrun-bench-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onExit(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function findBusybox() {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', '/usr/sbin/busybox']) {
    if (fs.existsSync(p)) return p;
  }
  throw new Error('busybox not found: install busybox-static');
}

/**
 * A minimal root filesystem: a static busybox and the applets the benchmark runs, plus the
 * mount points a runtime expects. Made once in a temp dir (removed at exit), readable by all
 * so that a rootless run can use it too.
 * @returns {string} absolute path of the rootfs
 */
function busyboxRootfs(dir = path.join(tempDir(), 'rootfs')) {
  const bb = findBusybox();
  const file = spawnSync('file', ['-b', bb], { encoding: 'utf8' });
  if (file.status === 0 && !/statically linked|static-pie/.test(file.stdout)) {
    throw new Error(`${bb} is dynamically linked; the rootfs needs busybox-static`);
  }
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(bb, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'true', 'sleep']) fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\n');
  return dir;
}

function readProcTable() {
  const byPid = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${name}/status`, 'utf8'));
      byPid.set(Number(name), { pid: Number(name), ppid, comm, rssKiB: m ? Number(m[1]) : 0 });
    } catch {
      // exited meanwhile
    }
  }
  return byPid;
}

function descendants(root) {
  const procs = readProcTable();
  const tree = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs.values()) {
      if (!want.has(p.pid) && want.has(p.ppid)) {
        want.add(p.pid);
        grew = true;
      }
    }
  }
  for (const pid of want) if (procs.has(pid)) tree.push(procs.get(pid));
  return tree;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start `cmd args` (which must end up running a `sleep` payload), wait until the payload runs,
 * and return the summed RSS of the processes that stay alive around it: the runtime's own
 * cost while a container idles, with the payload itself left out.
 * @returns {Promise<{rssMiB: number, processes: string[]}>}
 */
async function idleRss(cmd, args, { settleMs = 300, timeoutMs = 10000 } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new Error(`${cmd} exited before its payload idled: ${stderr.trim()}`);
      if (descendants(child.pid).some((p) => p.comm === 'sleep')) break;
      if (Date.now() > deadline) throw new Error(`${cmd}: payload did not start within ${timeoutMs} ms`);
      await sleep(20);
    }
    await sleep(settleMs);
    const tree = descendants(child.pid);
    const runtime = tree.filter((p) => p.comm !== 'sleep');
    return {
      rssMiB: runtime.reduce((s, p) => s + p.rssKiB, 0) / 1024,
      processes: runtime.map((p) => `${p.comm}:${(p.rssKiB / 1024).toFixed(1)}`),
    };
  } finally {
    // Every process of the tree, not only the group: a container's init may have its own session.
    for (const p of [{ pid: -child.pid }, ...descendants(child.pid)]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!exited) await new Promise((r) => child.once('exit', r));
  }
}

/** bin/podrun with a private state and data root under `dir`: stdout, or a throw with its stderr. */
function podrunCli(dir) {
  const cli = path.resolve(__dirname, '..', 'bin', 'podrun');
  return (args, input) => {
    const r = spawnSync(process.execPath, [cli, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), ...args], { encoding: 'utf8', input, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`podrun ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
}

module.exports = {
  busyboxRootfs,
  podrunCli,
  defaultRuns,
  descendants,
  idleRss,
  isRoot,
  measure,
  median,
  onExit,
  percentile,
  run,
  table,
  tempDir,
  which,
};
