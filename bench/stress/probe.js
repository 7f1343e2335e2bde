// What the stress run counts before and after: everything a pod could leave behind on the host
// or in the engine, read from /proc, the network namespace the pods are wired in and the roots'
// files. Each reader returns a number (or undefined when this run cannot see it, with the reason
// in `skip`), so a before/after pair is one row of the leak table.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function readOr(file, fallback = '') {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function procTable() {
  const procs = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`);
    if (!stat) continue;
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    procs.push({ pid: Number(name), ppid: Number(fields[1]), state: fields[0], comm: stat.slice(stat.indexOf('(') + 1, close), argv: readOr(`/proc/${name}/cmdline`).split('\0') });
  }
  return procs;
}

/** The `podrun serve` processes of a state root (by their command line). */
function servePids(root, procs = procTable()) {
  return procs.filter((p) => p.argv.includes('serve') && p.argv[p.argv.indexOf('--root') + 1] === root).map((p) => p.pid);
}

/** Shims of a state root (their argv names a pod directory under it) and everything below them. */
function shimTree(root, procs = procTable()) {
  const prefix = root + path.sep;
  const shims = procs.filter((p) => !p.argv.includes('serve') && p.argv.some((a) => a.startsWith(prefix)));
  const below = new Set(shims.map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (!below.has(p.pid) && below.has(p.ppid)) {
        below.add(p.pid);
        grew = true;
      }
    }
  }
  return { shims, children: [...below].filter((pid) => !shims.some((s) => s.pid === pid)).map((pid) => procs.find((p) => p.pid === pid)) };
}

function countFiles(dir) {
  let n = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      n++;
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return n;
}

function entries(dir) {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

function lines(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length;
}

/** argv that runs `cmd` in the network namespace the pods are wired in (rootful: the sandbox; rootless: the network host). */
function inPodNetwork(ctx, cmd) {
  if (ctx.asRoot) {
    const ns = process.env.PODRUN_NETWORK_NAMESPACE_PID;
    return ns ? ['nsenter', '-t', ns, '-n', ...cmd] : cmd;
  }
  const rec = readOr(path.join(ctx.root, 'network', 'host', 'sandbox.json'));
  if (!rec) return undefined;
  const { pid } = JSON.parse(rec);
  return ['nsenter', '-t', String(pid), '-U', '-n', '--preserve-credentials', ...cmd];
}

function vmRssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readOr(`/proc/${pid}/status`));
  return m ? Number(m[1]) : undefined;
}

/**
 * One look at every counted resource. ctx: { root, dataRoot, base, asRoot }.
 * @returns {Record<string, number | undefined>}
 */
function snapshot(ctx) {
  const procs = procTable();
  const serve = servePids(ctx.root, procs);
  const engine = serve[0];
  const { shims, children } = shimTree(ctx.root, procs);
  const mountinfo = [...new Set([readOr('/proc/self/mountinfo'), engine ? readOr(`/proc/${engine}/mountinfo`) : ''])].join('\n');
  const net = (cmd) => {
    const argv = inPodNetwork(ctx, cmd);
    return argv ? lines(argv[0], argv.slice(1)) : 0; // no network host: nothing wired
  };
  let fds;
  try {
    fds = engine ? fs.readdirSync(`/proc/${engine}/fd`).length : undefined;
  } catch {
    fds = undefined;
  }
  return {
    'engine processes (podrun serve)': serve.length,
    'shim processes': shims.length,
    'container processes (below shims)': children.length,
    'engine children (zombies included)': engine ? procs.filter((p) => p.ppid === engine).length : undefined,
    'host mounts under the roots': mountinfo.split('\n').filter((l) => l.includes(ctx.base)).length,
    'engine open fds': fds,
    'links in the pod network': net(['ip', '-o', 'link', 'show']),
    'nftables ruleset lines': ctx.asRoot ? net(['nft', 'list', 'ruleset']) : undefined,
    'iptables rules': ctx.asRoot ? net(['iptables-save']) : undefined,
    'address records (IPAM files)': countFiles(path.join(ctx.root, 'network', 'ipam')),
    'pod directories': entries(path.join(ctx.root, 'pods')),
    'state root entries': countFiles(ctx.root),
    'data root entries': countFiles(ctx.dataRoot),
    'engine RSS KiB': engine ? vmRssKiB(engine) : undefined,
  };
}

/**
 * The leak table: one row a resource with before, after, delta and ok. Every delta must be 0,
 * except the engine's RSS, which must stay within `rssTolerance` (a fraction) of its value
 * after the warm-up: V8's heap breathes, a leak grows with the cycles.
 */
function leakRows(before, after, { rssTolerance = 0.05, judgeRss = true, rssNote } = {}) {
  return Object.keys(before).map((name) => {
    const b = before[name];
    const a = after[name];
    if (b === undefined || a === undefined) return { name, before: '-', after: '-', delta: '-', ok: true, note: 'not visible in this run' };
    const delta = a - b;
    const rss = name === 'engine RSS KiB';
    const ok = rss ? !judgeRss || Math.abs(delta) <= rssTolerance * b : delta === 0;
    const note = rss ? `${((delta / b) * 100).toFixed(1)}%, ${judgeRss ? `limit ±${rssTolerance * 100}%` : 'not judged in a short run'}${rssNote ? `; ${rssNote}` : ''}` : '';
    return { name, before: String(b), after: String(a), delta: (delta > 0 ? '+' : '') + delta, ok, note };
  });
}

function renderTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

function renderLeakTable(rows) {
  return renderTable(
    ['resource', 'before', 'after', 'delta', 'ok'],
    rows.map((r) => [r.name, r.before, r.after, r.delta, (r.ok ? 'ok' : 'LEAK') + (r.note ? `  (${r.note})` : '')]),
  );
}

module.exports = { procTable, servePids, shimTree, snapshot, leakRows, renderLeakTable, renderTable, readOr, vmRssKiB, countFiles };
