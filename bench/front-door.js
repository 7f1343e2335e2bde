// The front door (issue 14): what a Node.js developer waits for with podrun.run() — a busybox
// HTTP server started, published on a free host port and answering (Wait.forHttp), then
// stopped and removed — and what a CLI user waits for on every command (`get pods` against a
// running serve, and `version`, which starts no engine). Beside them the peers a user would
// otherwise reach for: podman (`podman run -d -p` + the same HTTP wait, `podman rm -f`; `podman
// ps`), which is what testcontainers drives without Docker, and `npx podrun`. Nothing here
// touches the host's firewall: podman's port goes through slirp4netns.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'bin', 'podrun');

/** Resolves once GET http://127.0.0.1:port/path answers 200 (a try every 10 ms, 30 s at most). */
async function httpReady(port, p) {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 1000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return;
  }
  throw new Error(`no answer on 127.0.0.1:${port}${p} within 30 s`);
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function podrunRunRows(ctx, dir) {
  const { Podrun, Wait } = require(path.join(REPO, 'dist', 'index.js'));
  const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  await podrun.images.importImage(ctx.rootfs, 'bench:1');
  const stopTimes = [];
  const row = await ctx.lib.measure('podrun.run(): busybox httpd answering on mappedPort (Wait.forHttp)', async () => {
    const web = await podrun.run('bench:1', { command: ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/'], ports: [8080], waitFor: Wait.forHttp('/bin/busybox', 8080) });
    const t0 = process.hrtime.bigint();
    await web.stop();
    stopTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
  await podrun.close();
  return [row, ctx.stats('podrun: stop() of it (SIGTERM, pod removed)', stopTimes)];
}

/** True when cgroup v2 is mounted beside v1 controllers: crun (podman's runtime) refuses that mode. */
function hybridCgroups() {
  const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return /\s\/sys\/fs\/cgroup\/unified\s.*\scgroup2\s/.test(info) && /\scgroup\s/.test(info);
}

/**
 * podman as this machine lets it run (as root): in a mount namespace where the cgroup2 mount is
 * covered (hybrid cgroups), and with rlimits within the current ones (podman raises NOFILE and
 * NPROC, which needs CAP_SYS_RESOURCE, not in this host's bounding set).
 */
function podmanRows(ctx, dir) {
  const podman = ctx.lib.which('podman');
  if (!podman) return [{ name: 'podman', unit: 'ms', skipped: 'not installed' }];
  if (!ctx.asRoot) return [{ name: 'podman', unit: 'ms', skipped: 'run as root (rootless podman needs a user session here)' }];
  const base = ['--root', path.join(dir, 'podman'), '--runroot', path.join(dir, 'podman-run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  const argv = (args) => (hybridCgroups() ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"', podman, ...base, ...args] : [podman, ...base, ...args]);
  const pm = (args) => {
    const a = argv(args);
    return ctx.lib.run(a[0], a.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  try {
    const tar = path.join(dir, 'rootfs.tar');
    ctx.lib.run('tar', ['-C', ctx.rootfs, '-cf', tar, '.']);
    pm(['import', tar, 'localhost/bench:1']);
  } catch (err) {
    return [{ name: 'podman', unit: 'ms', skipped: String(err.message).slice(0, 160) }];
  }
  const rows = [];
  const out = { error: undefined };
  const run = async () => {
    const port = await freePort();
    // slirp4netns publishes the port from this network namespace in user space, as for
    // rootless podman: podman's default (CNI) would write iptables rules into the host's.
    const id = pm(['run', '-d', '--network', 'slirp4netns:port_handler=slirp4netns', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '-p', `127.0.0.1:${port}:8080`, 'localhost/bench:1', '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/']).stdout.trim();
    try {
      await httpReady(port, '/bin/busybox');
    } finally {
      pm(['rm', '-f', '-t', '0', id]);
    }
  };
  return (async () => {
    try {
      rows.push(await ctx.lib.measure('podman run -d -p + HTTP answering, then rm -f', run));
    } catch (err) {
      out.error = err;
      rows.push({ name: 'podman run -d -p', unit: 'ms', skipped: String(err.message).replace(/^[\s\S]*?: exit \S+: /, '').split('\n').pop().slice(0, 160) });
    }
    try {
      rows.push(await ctx.lib.measure('podman ps', () => pm(['ps'])));
    } catch (err) {
      rows.push({ name: 'podman ps', unit: 'ms', skipped: String(err.message).replace(/^[\s\S]*?: exit \S+: /, '').split('\n').pop().slice(0, 160) });
    }
    return rows;
  })();
}

async function frontDoorRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const dir = ctx.lib.tempDir('podrun-bench-front-door-');
  const rows = [];
  try {
    rows.push(...(await podrunRunRows(ctx, dir)));
    rows.push(...(await podmanRows(ctx, dir)));
    const cli = ctx.lib.podrunCli(dir);
    cli(['get', 'pods']); // serve up first: its start is not a command's time
    const root = ['--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data')];
    rows.push(await ctx.lib.measure('./bin/podrun get pods (serve running)', () => ctx.lib.run(process.execPath, [CLI, ...root, 'get', 'pods'])));
    rows.push(await ctx.lib.measure('./bin/podrun version', () => ctx.lib.run(process.execPath, [CLI, 'version'])));
    const npx = ctx.lib.which('npx');
    if (npx) {
      const r = spawnSync(npx, ['--yes', 'podrun', 'version'], { cwd: REPO, encoding: 'utf8' });
      if (r.status === 0) rows.push(await ctx.lib.measure('npx podrun version (in the checkout)', () => ctx.lib.run(npx, ['--yes', 'podrun', 'version'], { cwd: REPO }), Math.min(ctx.runs, 5)));
      else rows.push({ name: 'npx podrun version', unit: 'ms', skipped: (r.stderr || '').trim().split('\n').pop().slice(0, 160) });
    }
    cli(['system', 'reset', '--force']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { frontDoorRows };
