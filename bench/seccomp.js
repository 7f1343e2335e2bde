// Seccomp (issue 15): what RuntimeDefault costs at start-up, in one run beside its peers.
//  - podrun pod start (Node API, sandbox + /bin/true until Succeeded) with RuntimeDefault (the
//    default) and with Unconfined, interleaved so that drift falls on both alike; and the same for
//    a container started into a running pod through its shim (less else to drown the filter in);
//  - `crun run` of /bin/true on the bench's bundle with podman's default profile
//    (/usr/share/containers/seccomp.json, resolved for the bundle's capabilities, as podman hands
//    it to crun) and without seccomp, interleaved the same way;
//  - the filter by itself (bench/seccomp-load.c): seccomp(SET_MODE_FILTER) of RuntimeDefault in a
//    fresh process, less the same process without it, and one getppid() under the filter.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { runningPod } = require('./running-pod');

const REPO = path.resolve(__dirname, '..');
const dist = path.join(REPO, 'dist');
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Two measurements taken turn about (which goes first alternates), ctx.runs each after one warm-up of both. */
async function interleaved(ctx, a, b) {
  const sa = [];
  const sb = [];
  for (let i = -1; i < ctx.runs; i++) {
    const pair = [
      [a, sa],
      [b, sb],
    ];
    for (const [fn, out] of i % 2 ? pair.reverse() : pair) {
      const t0 = now();
      await fn(i);
      if (i >= 0) out.push(now() - t0);
    }
  }
  return [sa, sb];
}

async function podrunRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const { Podrun } = require(dist);
  const dir = ctx.lib.tempDir('podrun-bench-seccomp-');
  const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  await podrun.images.importImage(ctx.rootfs, 'bench:1');
  const start = (profile) => async (i) => {
    const name = `${profile ? profile.toLowerCase() : 'default'}-${i + 1}`;
    const sc = profile ? { securityContext: { seccompProfile: { type: profile } } } : {};
    await podrun.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'bench:1', command: ['/bin/true'], ...sc }] },
    });
    await podrun.waitFor(name, (p) => p.status?.phase === 'Succeeded');
    await podrun.deletePod(name, { gracePeriodSeconds: 0 });
  };
  try {
    const [dflt, unconfined] = await interleaved(ctx, start(undefined), start('Unconfined'));
    const rows = [
      { ...ctx.stats('podrun pod start, RuntimeDefault (the default)', dflt), note: 'sandbox + /bin/true, deleted after' },
      { ...ctx.stats('podrun pod start, Unconfined', unconfined), note: 'the same, no filter' },
    ];
    rows.push(...(await containerStartRows(ctx, podrun)));
    return rows;
  } finally {
    await podrun.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Container start into a running pod through its shim (the start request until the exit of
 * /bin/true), RuntimeDefault and Unconfined turn about: the same path as a pod's start without
 * the sandbox, so the filter's share is less drowned in the rest.
 */
async function containerStartRows(ctx, podrun) {
  const pod = await runningPod(podrun);
  let seq = 0;
  const start = (profile) => async () => {
    const plan = await pod.start(`x${seq++}`, profile ? { seccompProfile: { type: profile } } : undefined);
    if ((plan.seccomp === null) !== (profile === 'Unconfined')) throw new Error('the plan does not carry the profile asked for');
  };
  try {
    const [dflt, unconfined] = await interleaved(ctx, start(undefined), start('Unconfined'));
    return [
      { ...ctx.stats('podrun container start in running pod, RuntimeDefault', dflt), note: 'shim start request until exit' },
      { ...ctx.stats('podrun container start in running pod, Unconfined', unconfined), note: 'the same, no filter' },
    ];
  } finally {
    await pod.close();
  }
}

/** True when cgroup v2 is mounted beside v1 controllers: crun refuses to run in that mode. */
function hybridCgroups() {
  const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return /\s\/sys\/fs\/cgroup\/unified\s.*\scgroup2\s/.test(info) && /\scgroup\s/.test(info);
}

/** The OCI linux.seccomp podman gives crun: its profile's rules for these capabilities. */
function ociSeccomp(caps) {
  const { parseProfile } = require(path.join(dist, 'seccomp/profile'));
  const { applicableRules } = require(path.join(dist, 'seccomp/resolve'));
  const { kernelVersion } = require(path.join(dist, 'seccomp/resolve'));
  const text = fs.existsSync(PODMAN_PROFILE) ? fs.readFileSync(PODMAN_PROFILE, 'utf8') : fs.readFileSync(path.join(dist, 'seccomp/runtime-default.json'), 'utf8');
  const p = parseProfile(text);
  const rules = applicableRules(p, { caps: new Set(caps), arch: 'amd64', kernel: kernelVersion(require('node:os').release()) });
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: rules.map((r) => ({ names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args.length ? { args: r.args } : {}) })),
  };
}

function crunRows(ctx) {
  const crun = ctx.lib.which('crun');
  if (!crun) return [{ name: 'crun run', unit: 'ms', skipped: 'not installed' }];
  const hybrid = hybridCgroups();
  let wrap = (argv) => argv;
  let hostId = process.getuid();
  if (hybrid && ctx.asRoot) wrap = (argv) => ['unshare', '-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$@"', ...argv];
  else if (hybrid) {
    wrap = (argv) => ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"', ...argv];
    hostId = 0;
  }
  const base = JSON.parse(fs.readFileSync(path.join(ctx.trueBundle, 'config.json'), 'utf8'));
  if (!ctx.asRoot) {
    base.linux.uidMappings = [{ containerID: 0, hostID: hostId, size: 1 }];
    base.linux.gidMappings = [{ containerID: 0, hostID: hostId === 0 ? 0 : process.getgid(), size: 1 }];
  }
  const bundle = (seccomp) => {
    const dir = ctx.lib.tempDir('podrun-bench-seccomp-bundle-');
    const cfg = JSON.parse(JSON.stringify(base));
    if (seccomp) cfg.linux.seccomp = ociSeccomp(cfg.process.capabilities?.bounding ?? []);
    else delete cfg.linux.seccomp;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    return dir;
  };
  const withProfile = bundle(true);
  const without = bundle(false);
  const st = ctx.lib.tempDir('podrun-bench-seccomp-crun-');
  let seq = 0;
  const run = (b) => () => {
    const id = `podrun-bench-sc-${process.pid}-${seq++}`;
    const argv = wrap([crun, '--root', st, 'run', '-b', b, id]);
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`crun run: ${String(r.stderr).trim().slice(0, 160)}`);
  };
  const note = hybrid ? (ctx.asRoot ? 'in a mount ns without cgroup2' : 'nested in unshare -rm') : '';
  return { run, withProfile, without, st, note };
}

/** bench/seccomp-load.c, built with cc, on the RuntimeDefault filter of Kubernetes' default capabilities. */
function loadRow(ctx) {
  const cc = ctx.lib.which('cc') || ctx.lib.which('gcc');
  if (!cc) return [{ name: 'seccomp(SET_MODE_FILTER) of RuntimeDefault', unit: 'ms', skipped: 'no C compiler' }];
  const dir = ctx.lib.tempDir('podrun-bench-seccomp-load-');
  try {
    const bin = path.join(dir, 'seccomp-load');
    ctx.lib.run(cc, ['-O2', '-o', bin, path.join(__dirname, 'seccomp-load.c')]);
    const { seccompFilter } = require(path.join(dist, 'seccomp/container-profile'));
    const { capabilityMask, DEFAULT_CAPABILITIES } = require(path.join(dist, 'plan/capabilities'));
    const hex = seccompFilter({ spec: { containers: [{ name: 'c' }] } }, { name: 'c' }, capabilityMask(DEFAULT_CAPABILITIES), dir).filter;
    const r = spawnSync(bin, [String(Math.max(200, ctx.runs * 10))], { input: hex, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr.trim());
    const m = JSON.parse(r.stdout);
    return [
      { name: 'seccomp(SET_MODE_FILTER) of RuntimeDefault', unit: 'ms', median: m.load_us / 1000, note: `${m.insns} instructions; fork+exit ${m.fork_us} us without, ${m.fork_load_us} us with` },
      { name: 'one getppid() under RuntimeDefault', unit: 'us', median: m.getppid_filtered_ns / 1000, note: `${m.getppid_ns} ns unfiltered` },
    ];
  } catch (err) {
    return [{ name: 'seccomp(SET_MODE_FILTER) of RuntimeDefault', unit: 'ms', skipped: String(err.message).slice(0, 160) }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function seccompRows(ctx) {
  const rows = [];
  let crun;
  try {
    crun = crunRows(ctx);
    if (!Array.isArray(crun)) {
      const [a, b] = await interleaved(ctx, crun.run(crun.withProfile), crun.run(crun.without));
      rows.push({ ...ctx.stats('crun run /bin/true, podman\'s default profile', a), note: [crun.note, fs.existsSync(PODMAN_PROFILE) ? PODMAN_PROFILE : 'runtime-default.json'].filter(Boolean).join('; ') });
      rows.push({ ...ctx.stats('crun run /bin/true, no seccomp', b), note: crun.note });
    } else rows.push(...crun);
  } catch (err) {
    rows.push({ name: 'crun run', unit: 'ms', skipped: String(err.message).slice(0, 160) });
  } finally {
    if (crun && !Array.isArray(crun)) for (const d of [crun.withProfile, crun.without, crun.st]) fs.rmSync(d, { recursive: true, force: true });
  }
  try {
    rows.push(...(await podrunRows(ctx)));
  } catch (err) {
    rows.push({ name: 'podrun pod start', unit: 'ms', skipped: String(err.message).slice(0, 160) });
  }
  rows.push(...loadRow(ctx));
  return rows;
}

/** The differences the acceptance reads: RuntimeDefault's cost over Unconfined, beside crun's over no seccomp. */
function seccompSummary(rows) {
  const med = (n) => rows.find((r) => r.name === n && !r.skipped)?.median;
  const out = [];
  const pd = med('podrun pod start, RuntimeDefault (the default)');
  const pu = med('podrun pod start, Unconfined');
  if (pd !== undefined && pu !== undefined) out.push(`podrun: RuntimeDefault ${(pd - pu).toFixed(2)} ms over Unconfined (${(pd / pu).toFixed(3)}x)`);
  const sd = med('podrun container start in running pod, RuntimeDefault');
  const su = med('podrun container start in running pod, Unconfined');
  if (sd !== undefined && su !== undefined) out.push(`podrun container start: RuntimeDefault ${(sd - su).toFixed(2)} ms over Unconfined (${(sd / su).toFixed(3)}x)`);
  const cd = rows.find((r) => r.name.startsWith('crun run /bin/true, podman') && !r.skipped)?.median;
  const cu = med('crun run /bin/true, no seccomp');
  if (cd !== undefined && cu !== undefined) out.push(`crun: its default profile ${(cd - cu).toFixed(2)} ms over none (${(cd / cu).toFixed(3)}x)`);
  const l = med('seccomp(SET_MODE_FILTER) of RuntimeDefault');
  if (l !== undefined) out.push(`the filter's load alone: ${(l * 1000).toFixed(0)} us (acceptance: under 300 us)`);
  return out;
}

module.exports = { seccompRows, seccompSummary };
