// Target: the registry client (src/image/registry.ts). A server on 127.0.0.1 answers each
// request as the input says: any status, redirects (to itself, in loops, to nowhere), auth
// challenges (garbage, Basic, Bearer with a token service that misbehaves too), wrong
// content-length, garbage or JSON bodies, bodies that never end, drip a byte at a time, stop
// half-way, or no answer at all. The client pings, reads a manifest by tag or by digest, and
// downloads a blob (to a file, and as a stream). Each call must end with an Error within the
// idle timeout (here 100 ms of silence) or succeed with the right bytes; a finding is a hang
// (10 s), a programming error (TypeError, RangeError, ReferenceError), a crash, a blob kept
// with bytes other than its digest's, or a file left beside it.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const { RegistryClient } = require(path.join(dist, 'image', 'registry'));
const { parseRemoteRef } = require(path.join(dist, 'image', 'remote-ref'));
const { pullImage } = require(path.join(dist, 'image', 'pull'));
const { ImageStore } = require(path.join(dist, 'image', 'store'));
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const tar = require(require.resolve('tar-stream', { paths: [dist] }));
const { FuzzFinding, within } = require('../fuzz-lib');

// FUZZ_REGISTRY_IDLE_MS shortens it for long runs: most inputs end on it, and any value is a valid test.
const IDLE_MS = Number(process.env.FUZZ_REGISTRY_IDLE_MS) || 100;
const sha256 = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const BLOB = Buffer.from('a small blob\n'.repeat(40));
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha256(BLOB), size: BLOB.length }, layers: [] }));

/** A whole small image (one gzip layer holding one file), for the `pull` call. */
async function image() {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (c) => chunks.push(c));
  const ended = new Promise((r) => pack.on('end', r));
  pack.entry({ name: 'hello', mode: 0o644 }, 'hello\n');
  pack.finalize();
  await ended;
  const layerTar = Buffer.concat(chunks);
  const layer = zlib.gzipSync(layerTar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] } }));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }] };
  return { blobs: new Map([[sha256(config), config], [sha256(layer), layer]]), manifest };
}

/** Sets `at` (a path of keys) in a copy of `o`. */
function setPath(o, at, value) {
  const copy = structuredClone(o);
  let parent = copy;
  for (const k of at.slice(0, -1)) {
    if (typeof parent[k] !== 'object' || parent[k] === null) return copy;
    parent = parent[k];
  }
  parent[at[at.length - 1]] = value;
  return copy;
}

/** The registry of a pull: the manifest as the input changed it, blobs as they are or broken. */
function answerPull(req, res, input, state) {
  const url = req.url;
  if (url === '/v2/') return res.end();
  if (url.includes('/manifests/')) {
    const m = setPath(state.image.manifest, input.at, input.value);
    const body = Buffer.from(input.garbage ? input.garbage : JSON.stringify(m));
    return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(body);
  }
  const digest = url.split('/blobs/')[1];
  const blob = state.image.blobs.get(digest);
  if (!blob) return res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"no"}]}');
  if (input.blob === 'endless') return answer(res, { status: 200, kind: 'endless', body: 'bytes', bytes: [] }, state, req);
  if (input.blob === 'half') return answer(res, { status: 200, kind: 'half', body: 'bytes', bytes: [...blob] }, state, req);
  if (input.blob === 'flipped') {
    const b = Buffer.from(blob);
    b[input.where % b.length] ^= 0x55;
    return res.end(b);
  }
  return res.end(blob);
}

function answer(res, a, state, req) {
  const headers = {};
  if (a.contentType !== undefined) headers['content-type'] = a.contentType;
  if (a.location !== undefined) headers.location = a.location.replace('SELF', `http://127.0.0.1:${state.port}${req.url}`).replace('OTHER', `http://127.0.0.1:${state.port}/elsewhere`);
  if (a.auth !== undefined) headers['www-authenticate'] = a.auth.replace('REALM', `http://127.0.0.1:${state.port}/token`);
  const body = a.body === 'manifest' ? MANIFEST : a.body === 'blob' ? BLOB : a.body === 'json' ? Buffer.from(JSON.stringify(a.json)) : Buffer.from(a.bytes);
  if (a.length === 'wrong') headers['content-length'] = String(body.length + a.delta);
  else if (a.length === 'right') headers['content-length'] = String(body.length);
  if (a.kind === 'hang') return; // never answers: the client's idle timeout must end it
  try {
    res.writeHead(a.status, headers);
  } catch {
    res.writeHead(500);
  }
  if (a.kind === 'endless') {
    const chunk = Buffer.alloc(64 << 10, 0x61);
    // One chunk a turn of the event loop (a 1xx or 204 answer takes no body: write() then
    // returns true without sending anything, and a loop on it would never yield).
    let sent = 0;
    const more = () => {
      if (res.destroyed || sent > 1 << 30) return undefined;
      sent += chunk.length;
      return res.write(chunk) ? setImmediate(more) : res.once('drain', more);
    };
    return more();
  }
  if (a.kind === 'drip') {
    let i = 0;
    const t = setInterval(() => {
      if (res.destroyed || i >= Math.min(body.length + a.delta, 64)) {
        clearInterval(t);
        return res.destroyed ? undefined : res.end();
      }
      res.write(body.subarray(i % Math.max(body.length, 1), (i % Math.max(body.length, 1)) + 1));
      i++;
    }, 2);
    state.timers.add(t);
    return undefined;
  }
  if (a.kind === 'half') {
    res.write(body.subarray(0, body.length >> 1));
    return setTimeout(() => res.destroy(), 10);
  }
  if (a.kind === 'stall') {
    res.write(body.subarray(0, body.length >> 1));
    return undefined; // silent from here: the idle timeout
  }
  res.end(body);
}

module.exports = {
  name: 'registry',
  async setup() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-fuzz-registry-'));
    const state = { dir, n: 0, answers: [], asked: 0, timers: new Set(), sockets: new Set() };
    state.image = await image();
    state.server = http.createServer((req, res) => {
      if (state.pull) return answerPull(req, res, state.pull, state);
      const a = state.answers[Math.min(state.asked++, state.answers.length - 1)];
      return answer(res, a, state, req);
    });
    state.server.on('connection', (s) => {
      state.sockets.add(s);
      s.on('close', () => state.sockets.delete(s));
    });
    await new Promise((r) => state.server.listen(0, '127.0.0.1', r));
    state.port = state.server.address().port;
    return state;
  },
  input(fc) {
    const status = fc.oneof(fc.constantFrom(200, 200, 200, 206, 301, 302, 307, 401, 401, 403, 404, 416, 429, 500, 503), fc.integer({ min: 100, max: 599 }));
    const a = fc.record({
      status,
      kind: fc.constantFrom('full', 'full', 'full', 'endless', 'drip', 'hang', 'half', 'stall'),
      body: fc.constantFrom('manifest', 'blob', 'json', 'bytes'),
      json: fc.jsonValue({ maxDepth: 3 }),
      bytes: fc.uint8Array({ maxLength: 200 }),
      length: fc.constantFrom('none', 'right', 'wrong'),
      delta: fc.integer({ min: -5, max: 5 }),
      contentType: fc.option(fc.oneof(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/json', 'text/html', ';;;'), fc.string({ maxLength: 20 })), { nil: undefined }),
      location: fc.option(fc.constantFrom('SELF', 'OTHER', 'http://127.0.0.1:1/x', '//', 'http://[::1', 'ftp://x', ''), { nil: undefined }),
      auth: fc.option(fc.oneof(fc.constantFrom('Bearer realm="REALM",service="s",scope="x"', 'Basic realm="r"', 'Bearer', 'Bearer realm="http://127.0.0.1:1/t"', 'Negotiate', 'Bearer realm=', 'Bearer realm="::"'), fc.string({ maxLength: 30 })), { nil: undefined }),
    });
    const hostile = fc.oneof(
      fc.constantFrom('sha256:../../../escape', `sha256:../${'0'.repeat(61)}`, 'sha256:/etc/passwd', 'sha512:abc', '', null, 5, -1, 1e300, [], {}, 'x'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const at = fc.constantFrom(['config', 'digest'], ['layers', 0, 'digest'], ['config', 'size'], ['layers', 0, 'size'], ['layers'], ['config'], ['layers', 0], ['layers', 0, 'mediaType'], ['schemaVersion'], ['mediaType'], ['layers', 1]);
    const pull = fc.record({ at, value: hostile, garbage: fc.option(fc.string({ maxLength: 40 }), { nil: undefined, freq: 10 }), blob: fc.constantFrom('right', 'right', 'endless', 'half', 'flipped'), where: fc.nat() });
    return fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          call: fc.constantFrom('ping', 'manifestTag', 'manifestDigest', 'blob', 'blobBody'),
          answers: fc.array(a, { minLength: 1, maxLength: 4 }),
          size: fc.oneof(fc.constant(BLOB.length), fc.constant(undefined), fc.nat(1000)),
        }),
      },
      { weight: 1, arbitrary: pull.map((p) => ({ call: 'pull', pull: p })) },
    );
  },
  async run(input, state) {
    state.answers = input.answers;
    state.asked = 0;
    state.pull = input.pull;
    const client = new RegistryClient(parseRemoteRef(`127.0.0.1:${state.port}/fuzz/x:tag`), { insecure: true, idleTimeoutMs: IDLE_MS, credentials: { username: 'u', password: 'p' } });
    const dest = path.join(state.dir, `blob-${state.n++}`);
    const call = async () => {
      switch (input.call) {
        case 'ping':
          return client.ping();
        case 'manifestTag':
          return client.manifest('tag');
        case 'manifestDigest':
          return client.manifest(sha256(MANIFEST));
        case 'blob': {
          await client.blob(sha256(BLOB), input.size, dest);
          const got = fs.readFileSync(dest);
          if (!got.equals(BLOB)) throw new FuzzFinding(`a blob was kept with digest ${sha256(got)}, not ${sha256(BLOB)}`);
          return undefined;
        }
        case 'pull': {
          // A whole pull into a data root of its own: whatever the manifest says, nothing is
          // written outside it (a digest `sha256:../../x` names a file; the fuzz folder is watched).
          const data = path.join(state.dir, `data-${state.n}`);
          try {
            // Retries after 10 ms, not 500: a broken blob is tried three times, and the wait tests nothing.
            await pullImage(new ImageStore(data), `127.0.0.1:${state.port}/fuzz/img:tag`, { insecure: true, retryDelayMs: 10 });
          } finally {
            spawnSync('chmod', ['-R', 'u+rwx', data]);
            fs.rmSync(data, { recursive: true, force: true });
          }
          return undefined;
        }
        case 'blobBody': {
          const body = await client.blobBody(sha256(BLOB));
          let n = 0;
          // The caller hashes and bounds what it reads; here it stops after 1 MiB.
          for await (const c of body) if ((n += c.length) > 1 << 20) return body.destroy();
          return undefined;
        }
      }
      return undefined;
    };
    try {
      await within(
        call().catch((e) => {
          if (e instanceof FuzzFinding) throw e;
          if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw new FuzzFinding(`untyped failure: ${e && e.stack ? e.stack : e}`);
        }),
        10_000,
        `${input.call}`,
      );
    } finally {
      for (const t of state.timers) clearInterval(t);
      state.timers.clear();
      for (const s of state.sockets) s.destroy();
      // The client's pooled keep-alive sockets learn of the close on the next turn: without this,
      // the next input's first request met a reset socket (and a pull retried it).
      await new Promise((r) => setTimeout(r, 1));
      const left = fs.readdirSync(state.dir).filter((f) => f !== path.basename(dest) && !f.endsWith('.partial'));
      fs.rmSync(dest, { force: true });
      fs.rmSync(`${dest}.partial`, { force: true });
      if (left.length) throw new FuzzFinding(`files left: ${left.join(', ')}`);
    }
  },
  async teardown(state) {
    for (const s of state.sockets) s.destroy();
    await new Promise((r) => state.server.close(r));
    fs.rmSync(state.dir, { recursive: true, force: true });
  },
};
