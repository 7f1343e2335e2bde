// The images section of `npm run bench` (issue 5): pulling one image from a registry on
// 127.0.0.1 (Debian's docker-registry, filled by skopeo) with podrun against `skopeo copy` of the
// same image to an OCI layout (which only stores the blobs; podrun also unpacks the layers), and
// a container's root filesystem from that image: podrun's overlay over the stored layers (the
// whole container start) against copying the image's files, which a copy-based runtime does.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');
const tar = require('tar-stream');

const dist = path.resolve(__dirname, '..', 'dist');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

async function tarOfDir(dir) {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (c) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  const walk = async (d, prefix) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const base = { name: prefix + name, mode: st.mode & 0o7777, mtime: new Date(0) };
      if (st.isDirectory()) {
        await new Promise((r) => pack.entry({ ...base, type: 'directory' }, r));
        await walk(p, `${prefix}${name}/`);
      } else if (st.isSymbolicLink()) await new Promise((r) => pack.entry({ ...base, type: 'symlink', linkname: fs.readlinkSync(p) }, r));
      else await new Promise((r) => pack.entry(base, fs.readFileSync(p), r));
    }
  };
  await walk(dir, '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An OCI layout: the busybox rootfs as one layer, and a layer of incompressible data. */
async function buildLayout(ctx, dir) {
  const data = path.join(dir, 'data');
  fs.mkdirSync(path.join(data, 'srv'), { recursive: true });
  fs.writeFileSync(path.join(data, 'srv', 'blob'), crypto.randomBytes(32 << 20));
  return writeLayout(path.join(dir, 'layout'), [await tarOfDir(ctx.rootfs), await tarOfDir(data)], 1);
}

/** An OCI layout at `dir` of these uncompressed layers, gzip at `level`, tagged `1`. */
function writeLayout(dir, raws, level) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b) => {
    const d = sha(b);
    fs.writeFileSync(path.join(blobs, d.slice(7)), b);
    return d;
  };
  const gz = raws.map((r) => zlib.gzipSync(r, { level }));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: raws.map(sha) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
    layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(g), size: g.length })),
  }));
  const md = put(manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': '1' } }] }));
  return { layout: dir, bytes: gz.reduce((n, g) => n + g.length, 0) };
}

/**
 * An image of many small files, as real images are (a distribution's /usr): 4000 files of
 * 1-8 KiB of half-compressible text in 200 directories, in one gzip layer over busybox.
 */
async function buildManyFilesLayout(ctx, dir) {
  const data = path.join(dir, 'many');
  for (let d = 0; d < 200; d++) {
    const sub = path.join(data, 'usr', 'share', `pkg${d}`);
    fs.mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 20; f++) {
      const n = 1024 + ((d * 20 + f) * 2654435761) % 7168;
      const text = Buffer.from(`package ${d} file ${f} `.repeat(Math.ceil(n / 40))).subarray(0, n >> 1);
      fs.writeFileSync(path.join(sub, `file${f}.txt`), Buffer.concat([text, crypto.randomBytes(n - text.length)]));
    }
  }
  return writeLayout(path.join(dir, 'many-layout'), [await tarOfDir(ctx.rootfs), await tarOfDir(data)], 6);
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function imageRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const rows = [];
  for (const cmd of ['docker-registry', 'skopeo']) {
    if (!ctx.lib.which(cmd)) return [{ name: 'image pull', unit: 'pull ms', skipped: `${cmd} is not installed` }];
  }
  const dir = ctx.lib.tempDir('podrun-bench-img-');
  /** What to undo if a step fails half-way (pods, engines). */
  const cleanups = [];
  const { layout, bytes } = await buildLayout(ctx, dir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\nhttp:\n  addr: ${host}\n`);
  const registry = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  ctx.lib.onExit(() => registry.kill('SIGKILL'));
  try {
    for (let i = 0; i < 100 && !(await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)); i++) await sleep(50);
    const policy = path.join(dir, 'policy.json');
    fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const push = spawnSync('skopeo', ['--policy', policy, 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${host}/bench/img:1`], { encoding: 'utf8' });
    if (push.status !== 0) throw new Error(`skopeo copy (push): ${push.stderr.trim()}`);
    const mib = (bytes / 1048576).toFixed(1);
    const runs = Math.max(3, Math.min(ctx.runs, 10));
    const { Podrun } = require(dist);
    // podrun, skopeo (blobs only) and podman (pull into containers-storage, layers unpacked as
    // podrun does) pulling `ref` `n` times each, after one warm-up. podrun's last pull stays in
    // `podrun-<tag>` when `keep` (the root filesystem rows start containers from it).
    const pullRows = async (ref, n, unit, note, tag, keep) => {
      const skopeo = [];
      const podman = [];
      const pulls = [];
      for (let i = -1; i < n; i++) {
        const dest = path.join(dir, `skopeo-${i + 1}`);
        const t0 = process.hrtime.bigint();
        const r = spawnSync('skopeo', ['--policy', policy, 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:1`], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`skopeo copy: ${r.stderr.trim()}`);
        if (i >= 0) skopeo.push(Number(process.hrtime.bigint() - t0) / 1e6);
        fs.rmSync(dest, { recursive: true, force: true });
      }
      const podmanBin = ctx.lib.which('podman');
      for (let i = -1; podmanBin && ctx.asRoot && i < n; i++) {
        const store = path.join(dir, `podman-${i + 1}`);
        const t0 = process.hrtime.bigint();
        const r = spawnSync(podmanBin, ['--root', `${store}/root`, '--runroot', `${store}/run`, '--storage-driver', 'overlay', 'pull', '-q', '--tls-verify=false', ref], { encoding: 'utf8', env: { ...process.env, CONTAINERS_REGISTRIES_CONF: regConf } });
        if (r.status !== 0) throw new Error(`podman pull: ${r.stderr.trim()}`);
        if (i >= 0) podman.push(Number(process.hrtime.bigint() - t0) / 1e6);
        spawnSync(podmanBin, ['--root', `${store}/root`, '--runroot', `${store}/run`, '--storage-driver', 'overlay', 'system', 'reset', '-f'], { stdio: 'ignore' });
        fs.rmSync(store, { recursive: true, force: true });
      }
      for (let i = -1; i < n; i++) {
        const d = path.join(dir, i === n - 1 && keep ? `podrun-${tag}` : `podrun-${tag}-${i + 1}`);
        const podrun = new Podrun({ root: path.join(d, 'state'), dataRoot: path.join(d, 'data') });
        const t0 = process.hrtime.bigint();
        await podrun.pull(ref);
        if (i >= 0) pulls.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await podrun.close();
        if (i < n - 1 || !keep) fs.rmSync(d, { recursive: true, force: true });
      }
      return [
        { ...ctx.stats('skopeo copy docker:// -> oci: (blobs only)', skopeo, note), unit },
        podmanBin && ctx.asRoot
          ? { ...ctx.stats('podman pull (layers unpacked)', podman, note), unit }
          : { name: 'podman pull (layers unpacked)', unit, skipped: podmanBin ? 'run as root (rootless podman needs its own setup)' : 'podman is not installed (Debian package podman)' },
        { ...ctx.stats('podrun pull (blobs verified + layers unpacked)', pulls, note), unit },
      ];
    };
    const regConf = path.join(dir, 'registries.conf');
    fs.writeFileSync(regConf, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
    rows.push(...(await pullRows(`${host}/bench/img:1`, runs, 'pull ms', `${mib} MiB in 2 layers`, 'img', true)));
    const many = await buildManyFilesLayout(ctx, dir);
    const pushMany = spawnSync('skopeo', ['--policy', policy, 'copy', '--quiet', '--dest-tls-verify=false', `oci:${many.layout}:1`, `docker://${host}/bench/many:1`], { encoding: 'utf8' });
    if (pushMany.status !== 0) throw new Error(`skopeo copy (push): ${pushMany.stderr.trim()}`);
    rows.push(...(await pullRows(`${host}/bench/many:1`, 5, 'pull ms (many files)', `4000 files, ${(many.bytes / 1048576).toFixed(1)} MiB`, 'many', false)));

    // Root filesystem setup from the pulled image: podrun's container start (overlay over the
    // two stored layers, the rest of the start included) against copying the image's files.
    const keep = path.join(dir, 'podrun-img');
    const podrun = new Podrun({ root: path.join(keep, 'state'), dataRoot: path.join(keep, 'data') });
    const img = podrun.images.get(`${host}/bench/img:1`);
    const { PodPaths } = require(path.join(dist, 'state/paths'));
    const { podDirId } = require(path.join(dist, 'kubelet/engine'));
    const copies = [];
    for (let i = -1; i < ctx.runs; i++) {
      const dest = path.join(dir, `copy-${i + 1}`);
      const t0 = process.hrtime.bigint();
      for (const l of img.layers) spawnSync('cp', ['-a', `${l}/.`, dest]);
      if (i >= 0) copies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      fs.rmSync(dest, { recursive: true, force: true });
    }
    // The overlay itself: container start into a running pod through its shim (the mount of the
    // two layers, pivot_root and exec of /bin/true), as bench/podrun.js measures for one layer.
    const { ShimClient } = require(path.join(dist, 'runtime/shim-client'));
    const { buildContainerPlan, KUBELET_LOG_LIMITS } = require(path.join(dist, 'plan/container'));
    const { prepareContainerFiles } = require(path.join(dist, 'kubelet/container-files'));
    const idle = await podrun.createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'idle' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: `${host}/bench/img:1`, imagePullPolicy: 'IfNotPresent', command: ['/bin/sleep', '100000'] }] } });
    // A failure below must not leave the pod's shim running after its folder is gone.
    cleanups.push(async () => {
      await podrun.deletePod('idle', { gracePeriodSeconds: 0 }).catch(() => undefined);
      await podrun.close();
    });
    const paths = new PodPaths(podrun.root.podDir(podDirId(idle.metadata.uid)));
    await podrun.waitFor('idle', (p) => !!p.status?.containerStatuses?.[0]?.state?.running);
    const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8'));
    const shim = await ShimClient.connect(paths.shimSocket);
    // The exit comes as the shim's event (no poll taking a core's share from the container).
    await shim.subscribe();
    const exitOf = (name) =>
      new Promise((r) => {
        const onExit = (e) => {
          if (e.name !== name) return;
          shim.off('exit', onExit);
          r();
        };
        shim.on('exit', onExit);
      });
    const startsWith = async (prefix, rootfsDriver) => {
      const starts = [];
      for (let i = -1; i < ctx.runs; i++) {
        const plan = buildContainerPlan({
          pod: idle, container: { name: `${prefix}${i + 1}`, image: `${host}/bench/img:1`, command: ['/bin/true'] }, field: 'bench', attempt: 0, image: img, rootfsDriver,
          volumes: new Map(), paths, idmap: sandbox.idmap, envSources: { configMap: () => undefined, secret: () => undefined, fieldRef: () => undefined },
          logs: KUBELET_LOG_LIMITS,
        });
        // The container's folders as the engine makes them (its writable layer among them).
        await prepareContainerFiles(paths, `${prefix}${i + 1}`, 0, plan, img, () => undefined);
        const t0 = process.hrtime.bigint();
        const exited = exitOf(`${prefix}${i + 1}`);
        await shim.start(plan);
        await exited;
        if (i >= 0) starts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return starts;
    };
    const starts = await startsWith('x', 'overlay');
    // fuse-overlayfs, the middle fallback: needs /dev/fuse, which is root's only here.
    const fuse = ctx.lib.which('fuse-overlayfs');
    let fuseRow = { name: 'podrun container start on the layers (fuse-overlayfs)', unit: 'rootfs ms', skipped: 'fuse-overlayfs is not installed (Debian package fuse-overlayfs)' };
    if (fuse && !ctx.asRoot) fuseRow.skipped = '/dev/fuse is not open to this user';
    else if (fuse) fuseRow = { ...ctx.stats(fuseRow.name, await startsWith('f', { fuseOverlayfs: fuse }), 'fuse mount + pivot_root + /bin/true'), unit: 'rootfs ms' };
    shim.close();
    await cleanups.pop()();
    rows.push({ ...ctx.stats('cp -a of the image (a copied rootfs)', copies, `${mib} MiB`), unit: 'rootfs ms' });
    rows.push({ ...ctx.stats('podrun container start on the layers (overlay)', starts, 'overlay of 2 layers + pivot_root + /bin/true'), unit: 'rootfs ms' });
    rows.push(fuseRow);
  } finally {
    for (const c of cleanups.reverse()) await c();
    registry.kill('SIGKILL');
  }
  return rows;
}

module.exports = { imageRows, buildLayout, buildManyFilesLayout };
