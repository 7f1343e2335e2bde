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
const { FuzzFinding, within } = require('../fuzz-lib');

const IDLE_MS = 100;
const sha256 = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const BLOB = Buffer.from('a small blob\n'.repeat(40));
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: sha256(BLOB), size: BLOB.length }, layers: [] }));

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
    state.server = http.createServer((req, res) => {
      const a = state.answers[Math.min(state.asked++, state.answers.length - 1)];
      answer(res, a, state, req);
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
    return fc.record({
      call: fc.constantFrom('ping', 'manifestTag', 'manifestDigest', 'blob', 'blobBody'),
      answers: fc.array(a, { minLength: 1, maxLength: 4 }),
      size: fc.oneof(fc.constant(BLOB.length), fc.constant(undefined), fc.nat(1000)),
    });
  },
  async run(input, state) {
    state.answers = input.answers;
    state.asked = 0;
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
