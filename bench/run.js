#!/usr/bin/env node
// `npm run bench`: start-up time and idle memory of podrun's peers (crun, runc, bwrap,
// unshare) next to podrun's own rows (bench/podrun.js), measured in one run on one machine,
// printed with ratios to crun. Every peer runs the same static busybox `/bin/true` in the same
// namespaces as a pod (user when rootless, pid, net, ipc, uts, mount). Figures are printed
// only; nothing asserts on them.
//
// Env: BENCH_RUNS (default 20); BENCH_LOADED=0 (no loaded column); BENCH_ONLY=startup|network|images|pods|controllers|front-door|seccomp|cri; BENCH_REPLICAS (default 100); BENCH_NET_MIB (bulk transfer size, default 512);
// BENCH_PODS (how many pods the many-pods section makes, default 200).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');
const { imageRows } = require('./images');
const { networkRows } = require('./network');
const { podrunRows, stats } = require('./podrun');
const { podRows } = require('./pods');
const { controllerRows } = require('./controllers');
const { frontDoorRows } = require('./front-door');
const { seccompRows, seccompSummary } = require('./seccomp');
const { criRows } = require('./cri');

const BASELINES = ['crun', 'runc', 'bwrap'];
const POD_NAMESPACES = ['pid', 'network', 'ipc', 'uts', 'mount'];
// command -> Debian package, for installing what is missing when we are root
const PACKAGES = { crun: 'crun', runc: 'runc', bwrap: 'bubblewrap', unshare: 'util-linux', nft: 'nftables', slirp4netns: 'slirp4netns', pasta: 'passt', ip: 'iproute2', podman: 'podman', 'fuse-overlayfs': 'fuse-overlayfs', catatonit: 'catatonit' };

function ensurePeers(asRoot) {
  const missing = Object.keys(PACKAGES).filter((c) => !lib.which(c));
  if (missing.length === 0) return;
  if (!asRoot) {
    console.log(`# not installed: ${missing.join(', ')} (run as root to install them); their rows are skipped`);
    return;
  }
  const pkgs = missing.map((c) => PACKAGES[c]);
  console.log(`# installing ${pkgs.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) console.log(`# apt-get install failed (exit ${r.status}); the missing peers are skipped`);
}

/** True when cgroup v2 is mounted beside v1 controllers: crun refuses to run in that mode. */
function hybridCgroups() {
  const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return /\s\/sys\/fs\/cgroup\/unified\s.*\scgroup2\s/.test(info) && /\scgroup\s/.test(info);
}

/**
 * An OCI bundle whose config is the runtime's own default (`crun spec`, else `runc spec`) with
 * the pod's namespaces, a read-only busybox root and `args` as the process. Rootless, the user
 * namespace maps container root to `hostId` (the caller's uid, or 0 inside a userns we made).
 */
function makeBundle(rootfs, args, asRoot, hostId) {
  const dir = lib.tempDir('podrun-bench-bundle-');
  const gen = lib.which('crun') || lib.which('runc');
  if (!gen) throw new Error('neither crun nor runc is installed');
  const specArgs = path.basename(gen) === 'crun' ? ['spec', '-b', dir] : ['spec', '--bundle', dir];
  if (!asRoot) specArgs.push('--rootless');
  lib.run(gen, specArgs);
  const file = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  cfg.process.args = args;
  cfg.process.terminal = false;
  cfg.root = { path: rootfs, readonly: true };
  cfg.linux.namespaces = [...(asRoot ? [] : [{ type: 'user' }]), ...POD_NAMESPACES.map((type) => ({ type }))];
  if (!asRoot) {
    // `crun spec --rootless` leaves the maps to crun's run time; runc needs them written out.
    cfg.linux.uidMappings = [{ containerID: 0, hostID: hostId, size: 1 }];
    cfg.linux.gidMappings = [{ containerID: 0, hostID: hostId === 0 ? 0 : process.getgid(), size: 1 }];
  }
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return dir;
}

const bundles = new Map();
/** One bundle per payload and id mapping, made on first use. */
function bundleFor(ctx, args, hostId = process.getuid()) {
  const key = `${args.join(' ')}|${hostId}`;
  if (!bundles.has(key)) bundles.set(key, makeBundle(ctx.rootfs, args, ctx.asRoot, hostId));
  return bundles.get(key);
}

/**
 * The peers, each as a command line for one run, plus a probe run that decides whether the
 * peer works here at all (and why not).
 */
function peers(ctx) {
  const { rootfs, asRoot } = ctx;
  const list = [];
  const stateRoot = lib.tempDir('podrun-bench-state-');
  let seq = 0;
  const id = () => `podrun-bench-${process.pid}-${seq++}`;

  const crun = lib.which('crun');
  if (crun) {
    // crun refuses hybrid cgroups ("drop all controllers from cgroupv2"); with the v2 mount out
    // of its view it uses v1 alone.
    const hybrid = hybridCgroups();
    let hostId = process.getuid();
    let wrap = (argv) => argv;
    let how = '';
    if (hybrid && asRoot) {
      wrap = (argv) => ['unshare', '-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$@"', ...argv];
      how = 'in a mount ns without cgroup2';
    } else if (hybrid) {
      // A userns may not unmount a mount it inherited (it is locked), but it may cover it. Inside
      // that outer userns we are root, so the container's userns maps 0 to the outer root (us).
      wrap = (argv) => ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"', ...argv];
      how = 'nested in unshare -rm, tmpfs over cgroup2';
      hostId = 0;
    }
    const st = path.join(stateRoot, 'crun');
    if (how) {
      // The workaround's own cost, so that the crun row can be read net of it.
      list.push({ name: 'crun workaround alone', note: 'included in the crun row', timingOnly: true, argv: () => wrap(['/bin/true']) });
    }
    list.push({
      name: 'crun',
      note: how,
      argv: (payload) => wrap([crun, '--root', st, 'run', '-b', bundleFor(ctx, payload, hostId), id()]),
      cleanup: (cid) => lib.run(crun, ['--root', st, 'delete', '-f', cid]),
    });
  } else list.push({ name: 'crun', skipped: 'not installed' });

  const runc = lib.which('runc');
  if (runc) {
    const st = path.join(stateRoot, 'runc');
    list.push({
      name: 'runc',
      argv: (payload) => [runc, '--root', st, 'run', '-b', bundleFor(ctx, payload), id()],
      cleanup: (cid) => lib.run(runc, ['--root', st, 'delete', '-f', cid]),
    });
  } else list.push({ name: 'runc', skipped: 'not installed' });

  const bwrap = lib.which('bwrap');
  if (bwrap) {
    list.push({
      name: 'bwrap',
      argv: (payload) => [bwrap, '--unshare-all', '--die-with-parent', '--ro-bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', ...payload],
    });
  } else list.push({ name: 'bwrap', skipped: 'not installed' });

  const unshare = lib.which('unshare');
  if (unshare) {
    const userns = asRoot ? [] : ['--user', '--map-root-user'];
    list.push({
      name: 'unshare',
      note: 'host root, no pivot',
      argv: (payload) => [unshare, ...userns, '--pid', '--net', '--ipc', '--uts', '--mount', '--fork', '--kill-child', ...payload.map((a) => (a.startsWith('/bin/') ? path.join('/bin', path.basename(a)) : a))],
    });
  } else list.push({ name: 'unshare', skipped: 'not installed' });
  return list;
}

/** The start-up timings: the floor, each peer that works here, and podrun's own rows. */
async function timingRows(ctx, list) {
  const { runs } = ctx;
  const rows = [];
  // What spawnSync itself costs: every row below includes it.
  rows.push({ ...(await lib.measure('spawn /bin/true (no namespaces)', () => lib.run('/bin/true', []), runs)), note: 'floor' });
  for (const p of list) {
    if (p.skipped) {
      rows.push({ name: p.name, skipped: p.skipped });
      continue;
    }
    const argv = p.argv(['/bin/true']);
    try {
      lib.run(argv[0], argv.slice(1)); // probe: does it work here at all?
    } catch (err) {
      const why = String(err.message).split('\n').pop().slice(-160);
      console.log(`# ${p.name} skipped: ${err.message.slice(0, 400)}`);
      rows.push({ name: p.name, skipped: why });
      p.skipped = why;
      continue;
    }
    const row = await lib.measure(p.name, () => {
      const a = p.argv(['/bin/true']);
      lib.run(a[0], a.slice(1));
    }, runs);
    rows.push({ ...row, note: p.note });
  }
  try {
    rows.push(...(await podrunRows(ctx)));
  } catch (err) {
    console.log(`# podrun rows failed: ${err.stack || err}`);
    rows.push({ name: 'podrun', skipped: String(err.message || err).slice(0, 160) });
  }
  return rows;
}

/**
 * Two busy processes, one per core of a 2-core machine (as many as there are cores), for as
 * long as `fn` runs: the loaded column, where every wake-up waits for a time slice.
 */
async function underLoad(fn) {
  const { spawn } = require('node:child_process');
  // One per core, pinned there (taskset) so that both cores are busy, not two hogs sharing one
  // before the balancer moves them; each says so once it spins, so the first rows measured are
  // as loaded as the last.
  const taskset = lib.which('taskset');
  const hog = [process.execPath, '-e', "process.stdout.write('x'); for (;;) {}"];
  const hogs = os.cpus().map((_, i) => {
    const argv = taskset ? [taskset, '-c', String(i), ...hog] : hog;
    return spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  });
  await Promise.all(hogs.map((h) => new Promise((r) => h.stdout.once('data', r))));
  try {
    return await fn();
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
}

async function startupSection(ctx) {
  const list = peers(ctx);
  const rows = await timingRows(ctx, list);

  // Idle memory: what stays resident around a sleeping container, payload excluded.
  for (const p of list) {
    if (p.skipped || p.timingOnly) continue;
    const argv = p.argv(['/bin/sleep', '1000']);
    const cid = p.cleanup ? argv[argv.length - 1] : undefined;
    try {
      const { rssMiB, processes } = await lib.idleRss(argv[0], argv.slice(1));
      rows.push({ name: p.name, unit: 'MiB', median: rssMiB, note: processes.join(' ') });
    } catch (err) {
      rows.push({ name: p.name, unit: 'MiB', skipped: String(err.message).slice(0, 160) });
    } finally {
      if (cid) {
        try {
          p.cleanup(cid);
        } catch {
          // already deleted by `run` when its process died
        }
      }
    }
  }

  // Ratios are to crun; where crun cannot run, to the first peer that did.
  const ran = (n) => rows.some((r) => r.name === n && !r.skipped);
  const baseline = BASELINES.find(ran) || BASELINES[0];
  console.log('');
  console.log(lib.table(rows, baseline));

  // Loaded: the same timings with every core busy (BENCH_LOADED=0 leaves it out).
  if (process.env.BENCH_LOADED === '0') return;
  const loaded = await underLoad(() => timingRows(ctx, list.filter((p) => !p.skipped)));
  console.log(`# loaded: the same start-up timings while ${os.cpus().length} busy processes keep every core busy`);
  console.log(lib.table(loaded.filter((r) => (r.unit || 'ms') === 'ms'), baseline));
  // How much worse podrun gets under load, next to the baseline: the figure to keep near 1.
  const pick = (set, name) => set.find((r) => r.name === name && !r.skipped);
  for (const r of rows.filter((x) => x.name.startsWith('podrun') && (x.unit || 'ms') === 'ms' && !x.skipped)) {
    const idle = pick(rows, baseline);
    const busy = pick(loaded, baseline);
    const l = pick(loaded, r.name);
    if (!idle || !busy || !l) continue;
    const a = r.median / idle.median;
    const b = l.median / busy.median;
    console.log(`# ${r.name}: ${a.toFixed(2)}x ${baseline} idle, ${b.toFixed(2)}x loaded (loaded/idle ${(b / a).toFixed(2)})`);
  }
}

async function main() {
  const runs = lib.defaultRuns();
  const asRoot = lib.isRoot();
  console.log(`# podrun bench: ${runs} runs each; ${asRoot ? 'root' : `rootless (uid ${process.getuid()})`}; ` +
    `${os.cpus().length} cpus; kernel ${os.release()}; node ${process.version}`);
  ensurePeers(asRoot);

  const rootfs = lib.busyboxRootfs();
  const ctx = { runs, asRoot, rootfs, lib };
  ctx.trueBundle = bundleFor(ctx, ['/bin/true']);
  ctx.sleepBundle = bundleFor(ctx, ['/bin/sleep', '1000']);

  // BENCH_ONLY=network|images runs one section (while working on it).
  if (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === 'startup') await startupSection(ctx);
  if (process.env.BENCH_ONLY === 'startup') return;

  const withStats = { ...ctx, stats: (name, samples, note) => ({ ...stats(name, samples), note }) };
  // BENCH_ONLY=images or =pods runs only that section.
  if (process.env.BENCH_ONLY === 'images') return imageSection(withStats);
  if (process.env.BENCH_ONLY === 'pods') return podSection(withStats);
  if (process.env.BENCH_ONLY === 'controllers') return controllerSection(withStats);
  if (process.env.BENCH_ONLY === 'front-door') return frontDoorSection(withStats);
  if (process.env.BENCH_ONLY === 'seccomp') return seccompSection(withStats);
  if (process.env.BENCH_ONLY === 'cri') return criSection(withStats);
  // Network (issue 4): traffic compared with host loopback; setup compared with podrun's own.
  const net = await networkRows(withStats);
  console.log('# network: the same client and server (podrun-payload bench-tcp / serve-bench) on every path;');
  console.log('# MiB/s higher is better, latencies lower; ratios to host loopback');
  console.log(lib.table(net.filter((r) => r.unit !== 'setup ms'), 'host loopback'));
  const setup = net.filter((r) => r.unit === 'setup ms');
  console.log('# time to set up one pod\'s network');
  console.log(lib.table(setup, setup.find((r) => !r.skipped)?.name ?? ''));
  await imageSection(withStats);
  await podSection(withStats);
  await controllerSection(withStats);
  await frontDoorSection(withStats);
  await seccompSection(withStats);
  await criSection(withStats);
}

/** CRI (issue 16): crictl runp + create + start, then stopp + rmp, against podrun cri and containerd; loaded too. */
async function criSection(ctx) {
  const rows = await criRows({ ...ctx, underLoad: process.env.BENCH_LOADED === '0' ? undefined : underLoad });
  for (const t of [...new Set(rows.map((r) => r.table))]) {
    const group = rows.filter((r) => r.table === t);
    console.log(`# CRI: crictl ${t} (one crictl process a call) against each runtime's socket; a busybox sleep 3600 in a pod of its own`);
    console.log(lib.table(group, group.find((r) => r.name === 'containerd' && !r.skipped) ? 'containerd' : ''));
  }
}

/** Seccomp (issue 15): pod start under RuntimeDefault beside Unconfined, crun with and without its default profile, the load alone. */
async function seccompSection(ctx) {
  const rows = await seccompRows(ctx);
  console.log('# seccomp: pod start under RuntimeDefault and Unconfined; crun run with podman\'s default profile and without; the filter\'s load alone');
  console.log(lib.table(rows, rows.find((r) => !r.skipped)?.name ?? ''));
  for (const line of seccompSummary(rows)) console.log(`# ${line}`);
}

/** The front door (issue 14): podrun.run() to an answering server beside podman; a CLI command's cost. */
async function frontDoorSection(ctx) {
  const rows = await frontDoorRows(ctx);
  console.log('# front door: podrun.run() of a busybox httpd until it answers on its mapped port, then stop(), beside podman run -d -p; CLI commands');
  console.log(lib.table(rows, rows.find((r) => !r.skipped)?.name ?? ''));
}

/** Controllers (issue 13): a Deployment of N to all Ready, a killed pod back to Ready, beside podman. */
async function controllerSection(ctx) {
  const rows = await controllerRows(ctx);
  console.log('# controllers: a Deployment applied until all replicas are Ready (the CLI); a pod killed (SIGKILL of its shim) until Ready again');
  console.log(lib.table(rows, rows.find((r) => !r.skipped)?.name ?? ''));
}

/** Many pods (issue 12): creating and deleting N at once, beside runc doing the same one by one. */
async function podSection(ctx) {
  const rows = await podRows(ctx);
  console.log('# many pods: one apply of N idle pods until all Running, then one delete of them all (the CLI)');
  console.log(lib.table(rows, rows.find((r) => !r.skipped)?.name ?? ''));
}

/** Images (issue 5): a pull against skopeo copy; a root filesystem on layers against a copy. */
async function imageSection(ctx) {
  let rows;
  try {
    rows = await imageRows(ctx);
  } catch (err) {
    rows = [{ name: 'images', unit: 'pull ms', skipped: String(err.message).slice(0, 160) }];
  }
  console.log('# images: one image (busybox + 32 MiB of random data) from a docker-registry on 127.0.0.1');
  console.log(lib.table(rows.filter((r) => r.unit === 'pull ms'), 'skopeo copy docker:// -> oci: (blobs only)'));
  console.log('# images: busybox + 4000 small files (creating files dominates; 5 runs each)');
  console.log(lib.table(rows.filter((r) => r.unit === 'pull ms (many files)'), 'skopeo copy docker:// -> oci: (blobs only)'));
  console.log(lib.table(rows.filter((r) => r.unit === 'rootfs ms'), 'cp -a of the image (a copied rootfs)'));
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
