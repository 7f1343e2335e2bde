// CRI (issue 16): what a kubelet-less user waits for through crictl, against `podrun cri` and
// against containerd's CRI plugin, on the same machine in the same run: `crictl runp pod.json`,
// `crictl create POD container.json pod.json`, `crictl start CID` (three crictl processes, from
// the start of runp to the end of start), then `crictl stopp` + `crictl rmp` (timed apart). The
// container is the same busybox `sleep 3600` for both; each pod gets its runtime's network
// (podrun's bridge; containerd's CNI bridge + host-local).
//
// Nothing touches the host's network or mounts: as root, podrun's pods go to a sandbox network
// namespace (test/support/sandbox-netns.js), and containerd runs in a network and mount
// namespace of its own (an `unshare` holder, tmpfs over /run/containerd, /run/netns and
// /var/lib/cni), with its root, state, socket, CNI config and IPAM data in a temp folder. Its
// images (busybox, and a pause image whose entrypoint is busybox sleep) are built here as OCI
// archives from the static busybox and imported with ctr: no registry is reached.
// Skipped, saying why, without crictl (CRICTL, else crictl on PATH, else
// /opt/cri-tools/bin/crictl); containerd's rows are skipped when rootless.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'bin', 'podrun');
// containerd's CRI normalizes this to docker.io/library/busybox:podrun-bench; podrun keeps it as is.
const IMAGE = 'busybox:podrun-bench';
const CONTAINERD_IMAGE = 'docker.io/library/busybox:podrun-bench';
const PAUSE_IMAGE = 'registry.k8s.io/pause:podrun-bench';
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];
// Private to containerd's mount namespace (tmpfs there); made, and removed after, where missing.
const PRIVATE_DIRS = ['/run/containerd', '/run/netns', '/var/lib/cni'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function findCrictl() {
  const candidates = [process.env.CRICTL, ...(process.env.PATH || '').split(':').map((d) => path.join(d, 'crictl')), '/opt/cri-tools/bin/crictl'];
  return candidates.find((c) => c && fs.existsSync(c));
}

/** crictl against one socket: its stdout, or a throw with its stderr. */
function crictlFor(crictl, socket) {
  return (...args) => {
    const r = spawnSync(crictl, ['--runtime-endpoint', `unix://${socket}`, '--image-endpoint', `unix://${socket}`, '--timeout', '60s', ...args], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`crictl ${args.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || '').trim()}`);
    return r.stdout.trim();
  };
}

async function until(what, fn, timeoutMs = 30_000) {
  for (const end = Date.now() + timeoutMs; ; await sleep(20)) {
    let last;
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? `: ${String(last.message).slice(0, 300)}` : ''}`);
  }
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child, signal = 'SIGTERM', graceMs = 10_000) {
  if (exited(child)) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  if (await Promise.race([gone.then(() => true), sleep(graceMs).then(() => false)])) return;
  child.kill('SIGKILL');
  await gone;
}

/** The pod and container configs, the same for both runtimes (as cri-tools' docs give them). */
function writeConfigs(dir) {
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const pod = path.join(dir, 'pod.json');
  fs.writeFileSync(pod, JSON.stringify({ metadata: { name: 'bench-sandbox', namespace: 'default', attempt: 1, uid: 'podrun-bench-cri-0001' }, log_directory: logs, linux: {} }));
  const container = path.join(dir, 'container.json');
  fs.writeFileSync(container, JSON.stringify({ metadata: { name: 'busybox' }, image: { image: IMAGE }, command: ['sleep', '3600'], log_path: 'busybox.0.log', linux: {} }));
  return { pod, container };
}

/**
 * One warm-up cycle and `runs` timed ones against a runtime: up (runp + create + start) and
 * down (stopp + rmp), each from the start of its first crictl to the end of its last.
 */
function cycles(cc, cfg, runs) {
  const up = [];
  const down = [];
  for (let i = -1; i < runs; i++) {
    const t0 = now();
    const pod = cc('runp', cfg.pod);
    const cid = cc('create', pod, cfg.container, cfg.pod);
    cc('start', cid);
    const t1 = now();
    cc('stopp', pod);
    cc('rmp', pod);
    const t2 = now();
    if (i >= 0) {
      up.push(t1 - t0);
      down.push(t2 - t1);
    }
  }
  return { up, down };
}

/** Idle rows, then (with ctx.underLoad) the same cycles while every core is busy. */
async function measureRuntime(ctx, name, note, cc, cfg) {
  const rows = [];
  const idle = cycles(cc, cfg, ctx.runs);
  rows.push({ ...ctx.stats(name, idle.up, note), table: 'runp + create + start' });
  rows.push({ ...ctx.stats(name, idle.down, note), table: 'stopp + rmp' });
  if (ctx.underLoad) {
    const loaded = await ctx.underLoad(async () => cycles(cc, cfg, ctx.runs));
    rows.push({ ...ctx.stats(name, loaded.up, note), table: 'loaded: runp + create + start' });
    rows.push({ ...ctx.stats(name, loaded.down, note), table: 'loaded: stopp + rmp' });
  }
  return rows;
}

function skippedRows(name, why, loaded) {
  const tables = ['runp + create + start', 'stopp + rmp', ...(loaded ? ['loaded: runp + create + start', 'loaded: stopp + rmp'] : [])];
  return tables.map((table) => ({ name, unit: 'ms', skipped: why, table }));
}

// ---------------------------------------------------------------- podrun

async function podrunRows(ctx, dir, crictl, cfg) {
  const name = 'podrun cri';
  const { Podrun } = require(path.join(REPO, 'dist', 'index.js'));
  const roots = { root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') };
  const podrun = new Podrun(roots);
  await podrun.images.importImage(ctx.rootfs, IMAGE);
  await podrun.close();
  const socket = path.join(dir, 'run', 'cri.sock');
  const child = spawn(process.execPath, [CLI, '--root', roots.root, '--data-root', roots.dataRoot, 'cri', '--listen', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  try {
    const cc = crictlFor(crictl, socket);
    await until('podrun cri listening', () => {
      if (exited(child)) throw new Error(`podrun cri exited: ${stderr.trim()}`);
      return fs.existsSync(socket) && cc('version');
    });
    const version = /RuntimeVersion:\s*(\S+)/.exec(cc('version'))?.[1] ?? '';
    return await measureRuntime(ctx, name, `${version}, own shim`, cc, cfg);
  } catch (err) {
    console.log(`# podrun cri failed: ${err.message}${stderr ? `\n# its stderr: ${stderr.trim().slice(-800)}` : ''}`);
    return skippedRows(name, String(err.message).split('\n').pop().slice(-160), !!ctx.underLoad);
  } finally {
    await stopChild(child);
    // Pods left by a failed cycle: removed through the engine with the same roots.
    try {
      ctx.lib.podrunCli(dir)(['system', 'reset', '--force']);
    } catch {
      // nothing left, or no engine to ask
    }
  }
}

// ---------------------------------------------------------------- containerd

/** A layer tar of the busybox rootfs (uid/gid 0, fixed mtime). */
function layerTar(rootfs, file) {
  spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@1546300800', '--sort=name', '-C', rootfs, '-cf', file, '.'], { stdio: 'inherit' });
  return file;
}

/** An OCI image-layout archive holding one image, named `ref`, of one layer and `config`. */
function ociArchive(dir, ref, layer, config) {
  const lay = fs.mkdtempSync(path.join(dir, 'oci-'));
  const blobs = path.join(lay, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data, mediaType) => {
    const hex = crypto.createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), data);
    return { mediaType, digest: `sha256:${hex}`, size: data.length };
  };
  const layerData = fs.readFileSync(layer);
  const l = put(layerData, 'application/vnd.oci.image.layer.v1.tar');
  const c = put(Buffer.from(JSON.stringify({
    created: '2019-01-01T00:00:00Z', architecture: 'amd64', os: 'linux', config,
    rootfs: { type: 'layers', diff_ids: [l.digest] },
  })), 'application/vnd.oci.image.config.v1+json');
  const m = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: c, layers: [l] })), 'application/vnd.oci.image.manifest.v1+json');
  fs.writeFileSync(path.join(lay, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(lay, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...m, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref } }],
  }));
  const archive = `${lay}.tar`;
  const r = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', lay, '-cf', archive, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar of ${ref}: ${r.stderr}`);
  fs.rmSync(lay, { recursive: true, force: true });
  return archive;
}

/** containerd, ctr, its runc shim and the CNI plugins: installed (as root) where missing. */
function containerdTools(ctx) {
  const missing = () => [
    ...['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc', 'nsenter', 'unshare'].filter((c) => !ctx.lib.which(c)),
    ...CNI_PLUGINS.map((p) => `/usr/lib/cni/${p}`).filter((p) => !fs.existsSync(p)),
  ];
  if (missing().length && ctx.asRoot) {
    console.log(`# installing containerd containernetworking-plugins (missing: ${missing().join(', ')})`);
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'containerd', 'containernetworking-plugins', 'runc'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  return missing();
}

function nsOf(pid, ns) {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

/** Pids of the processes in the mount namespace `mnt` (containerd, its shims, the pods'). */
function pidsIn(mnt) {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => p !== process.pid && nsOf(p, 'mnt') === mnt);
}

async function containerdRows(ctx, dir, crictl, cfg) {
  const name = 'containerd';
  const loaded = !!ctx.underLoad;
  if (!ctx.asRoot) return skippedRows(name, 'run as root (containerd runs in a network and mount namespace of its own)', loaded);
  const missing = containerdTools(ctx);
  if (missing.length) return skippedRows(name, `not installed: ${missing.join(', ')}`, loaded);

  const socket = path.join(dir, 'containerd.sock');
  const cniConf = path.join(dir, 'cni', 'net.d');
  fs.mkdirSync(cniConf, { recursive: true });
  fs.writeFileSync(path.join(cniConf, '10-bench.conflist'), JSON.stringify({
    cniVersion: '0.4.0',
    name: 'podrun-bench',
    plugins: [{
      type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.0.0/16' }]], dataDir: path.join(dir, 'cni', 'ipam') },
    }],
  }));
  const config = path.join(dir, 'containerd.toml');
  const q = JSON.stringify;
  fs.writeFileSync(config, [
    'version = 2',
    `root = ${q(path.join(dir, 'root'))}`,
    `state = ${q(path.join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '[grpc]',
    `  address = ${q(socket)}`,
    '[ttrpc]',
    `  address = ${q(`${socket}.ttrpc`)}`,
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(dir, 'opt'))}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${q(PAUSE_IMAGE)}`,
    '  disable_apparmor = true',
    // The sandbox's oom_score_adj -998 needs CAP_SYS_RESOURCE, which this host's bounding set may lack.
    '  restrict_oom_score_adj = true',
    '  enable_selinux = false',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '[plugins."io.containerd.grpc.v1.cri".containerd]',
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '  SystemdCgroup = false',
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    '  bin_dir = "/usr/lib/cni"',
    `  conf_dir = ${q(cniConf)}`,
    '  max_conf_num = 1',
    '',
  ].join('\n'));

  // The images: one busybox layer; the pause image's entrypoint sleeps (and is killed by stopp).
  const layer = layerTar(ctx.rootfs, path.join(dir, 'busybox-layer.tar'));
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  const archives = [
    ociArchive(dir, CONTAINERD_IMAGE, layer, { Env: env, Cmd: ['sh'] }),
    ociArchive(dir, PAUSE_IMAGE, layer, { Env: env, Entrypoint: ['/bin/sleep', '2147483647'] }),
  ];

  // The holder: a network and mount namespace for containerd, its shims and its pods.
  const made = PRIVATE_DIRS.filter((d) => !fs.existsSync(d));
  const cgroupsBefore = k8sCgroups();
  for (const d of made) fs.mkdirSync(d, { recursive: true, mode: 0o711 });
  const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c',
    'ip link set lo up && for d in "$@"; do mount -t tmpfs -o mode=0711 tmpfs "$d" || exit 1; done && echo ready && read x', 'sh', ...PRIVATE_DIRS],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  let holderOut = '';
  holder.stdout.setEncoding('utf8').on('data', (d) => (holderOut += d));
  holder.stderr.setEncoding('utf8').on('data', (d) => (holderOut += d));
  let mnt;
  let child;
  const logFile = path.join(dir, 'containerd.log');
  const ctr = (...args) => ctx.lib.run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  try {
    await until('the namespace holder', () => {
      if (exited(holder)) throw new Error(`unshare: ${holderOut.trim()}`);
      return holderOut.includes('ready');
    }, 10_000);
    mnt = nsOf(holder.pid, 'mnt');
    const log = fs.openSync(logFile, 'a');
    child = spawn('nsenter', [`--net=/proc/${holder.pid}/ns/net`, `--mount=/proc/${holder.pid}/ns/mnt`, 'containerd', '--config', config], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const cc = crictlFor(crictl, socket);
    await until('containerd listening', () => {
      if (exited(child)) throw new Error(`containerd exited: ${fs.readFileSync(logFile, 'utf8').trim().slice(-800)}`);
      return fs.existsSync(socket) && ctr('version');
    });
    for (const a of archives) ctr('images', 'import', a);
    await until('containerd CRI ready (RuntimeReady, NetworkReady)', () => {
      const info = JSON.parse(cc('info'));
      return (info.status?.conditions ?? []).filter((c) => c.status).length >= 2;
    });
    const version = /RuntimeVersion:\s*(\S+)/.exec(cc('version'))?.[1] ?? '';
    return await measureRuntime(ctx, name, `${version}, runc ${runcVersion()}, CNI bridge`, cc, cfg);
  } catch (err) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').filter((l) => /level=(error|fatal)/.test(l)).slice(-5).join('\n# ') : '';
    console.log(`# containerd failed: ${err.message}${tail ? `\n# ${tail}` : ''}`);
    return skippedRows(name, String(err.message).split('\n').pop().slice(-160), loaded);
  } finally {
    if (child) await stopChild(child);
    // Shims and pods left behind (a failed cycle), then the holder: its namespaces go with it.
    if (mnt) for (const pid of pidsIn(mnt)) if (pid !== holder.pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await stopChild(holder, 'SIGKILL');
    if (mnt) await until('the processes of containerd\'s namespace gone', () => pidsIn(mnt).length === 0, 10_000).catch((e) => console.log(`# ${e.message}`));
    for (const d of made.reverse()) try { fs.rmdirSync(d); } catch { /* not empty, or gone */ }
    for (const d of k8sCgroups().filter((c) => !cgroupsBefore.includes(c))) removeCgroup(d);
  }
}

/** containerd's cgroup parent in each hierarchy (cgroupfs: /sys/fs/cgroup/CONTROLLER/k8s.io). */
function k8sCgroups() {
  const out = [];
  for (const c of fs.readdirSync('/sys/fs/cgroup')) {
    const d = path.join('/sys/fs/cgroup', c, 'k8s.io');
    if (fs.existsSync(d)) out.push(fs.realpathSync(d));
  }
  return [...new Set(out)];
}

/** rmdir of a cgroup and the ones below it, deepest first (each is empty once its tasks are gone). */
function removeCgroup(d) {
  try {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(path.join(d, e.name));
    fs.rmdirSync(d);
  } catch {
    // still in use, or gone
  }
}

function runcVersion() {
  const r = spawnSync('runc', ['--version'], { encoding: 'utf8' });
  return /runc version (\S+)/.exec(r.stdout || '')?.[1] ?? '?';
}

async function criRows(ctx) {
  const crictl = findCrictl();
  if (!crictl) {
    console.log('# cri: skipped: crictl is not installed: build it from cri-tools v1.26.1 (see the README, CRI section), or set CRICTL');
    return [];
  }
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const dir = ctx.lib.tempDir('podrun-bench-cri-');
  const rows = [];
  try {
    for (const [who, rowsOf] of [['podrun', podrunRows], ['containerd', containerdRows]]) {
      const sub = path.join(dir, who);
      fs.mkdirSync(sub);
      rows.push(...(await rowsOf(ctx, sub, crictl, writeConfigs(sub))));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

module.exports = { criRows };
