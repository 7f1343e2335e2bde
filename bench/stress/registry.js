// A registry for the stress run's pulls, in this process on 127.0.0.1: the distribution API's
// read side (GET /v2/, manifests, blobs with Range) for images `stress/bb:TAG`. Every tag is the
// busybox base layer (stored once, then cached by the engine) plus a layer of its own, sent
// slowly (`bytesPerSecond`), so an engine killed at a random moment is often killed mid-download.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');

const sha = (b) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

/** A one-file ustar archive (the file 0644, owned by 0:0). */
function tarOneFile(name, data) {
  const h = Buffer.alloc(512);
  const put = (s, off, len) => h.write(s, off, len, 'ascii');
  const oct = (n, len) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(data.length, 12), 124, 12);
  put(oct(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(oct(sum, 7) + ' ', 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

/**
 * @param {string} rootfs a directory to serve as the base layer
 * @param {{ bytesPerSecond?: number, extraBytes?: number }} o
 * @returns {Promise<{ host: string, ref(tag: string): string, close(): Promise<void> }>}
 */
async function startRegistry(rootfs, { bytesPerSecond = 2 << 20, extraBytes = 1 << 20 } = {}) {
  const tar = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', '-', '.'], { maxBuffer: 256 << 20 });
  if (tar.status !== 0) throw new Error(`tar of ${rootfs}: ${tar.stderr}`);
  const blobs = new Map();
  const add = (buf) => {
    const d = sha(buf);
    blobs.set(d, buf);
    return d;
  };
  const baseGz = zlib.gzipSync(tar.stdout);
  const base = { digest: add(baseGz), size: baseGz.length, diffId: sha(tar.stdout) };
  const manifests = new Map();
  const manifestFor = (tag) => {
    if (manifests.has(tag)) return manifests.get(tag);
    const raw = tarOneFile(`stress-${tag}`, crypto.randomBytes(extraBytes));
    const gz = zlib.gzipSync(raw, { level: 1 });
    const extra = { digest: add(gz), size: gz.length, diffId: sha(raw) };
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [base.diffId, extra.diffId] } }));
    const m = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: add(config), size: config.length },
        layers: [base, extra].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
      }),
    );
    manifests.set(tag, m);
    return m;
  };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url || '/', 'http://registry');
    let m;
    if (u.pathname === '/v2/' || u.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    } else if ((m = /^\/v2\/stress\/bb\/manifests\/([^/]+)$/.exec(u.pathname))) {
      const body = m[1].startsWith('sha256:') ? [...manifests.values()].find((b) => sha(b) === m[1]) : manifestFor(m[1]);
      if (!body) return notFound(res);
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha(body), 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if ((m = /^\/v2\/stress\/bb\/blobs\/(sha256:[0-9a-f]{64})$/.exec(u.pathname))) {
      const blob = blobs.get(m[1]);
      if (!blob) return notFound(res);
      const range = /^bytes=(\d+)-/.exec(req.headers.range || '');
      const from = range ? Math.min(Number(range[1]), blob.length) : 0;
      res.writeHead(range ? 206 : 200, {
        'content-type': 'application/octet-stream',
        'docker-content-digest': m[1],
        'content-length': blob.length - from,
        ...(range ? { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` } : {}),
      });
      if (req.method === 'HEAD') return res.end();
      // Slowly, in 64 KiB steps: a pull lasts long enough to be interrupted.
      let at = from;
      const step = 64 << 10;
      const tick = () => {
        if (res.destroyed) return;
        if (at >= blob.length) return res.end();
        const n = Math.min(step, blob.length - at);
        res.write(blob.subarray(at, at + n));
        at += n;
        setTimeout(tick, (n / bytesPerSecond) * 1000);
      };
      tick();
    } else notFound(res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${server.address().port}`;
  return {
    host,
    ref: (tag) => `${host}/stress/bb:${tag}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not here' }] }));
}

module.exports = { startRegistry };
