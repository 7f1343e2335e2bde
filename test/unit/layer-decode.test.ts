import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import t from 'tap';
import { LayerDecodeStream } from '../../src/image/layer-decode';

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/** Feeds `blob` in pieces of `piece` bytes; resolves with the output or rejects with the stream's error. */
async function decode(blob: Buffer, piece: number, opts: ConstructorParameters<typeof LayerDecodeStream>[0] = {}) {
  const pieces: Buffer[] = [];
  for (let i = 0; i < blob.length; i += piece) pieces.push(blob.subarray(i, i + piece));
  const d = new LayerDecodeStream(opts);
  Readable.from(pieces).pipe(d);
  const out: Buffer[] = [];
  for await (const c of d) out.push(c as Buffer);
  return { out: Buffer.concat(out), result: d.result! };
}

// Compressible text and incompressible bytes, as real layers mix them.
const tarLike = Buffer.concat([Buffer.from('podrun layer '.repeat(200_000)), crypto.randomBytes(3 << 20)]);

t.test('gzip: the tar comes out whole, with both digests, whatever the chunking', async (t) => {
  const gz = zlib.gzipSync(tarLike);
  for (const piece of [1 << 20, 65536, 4093]) {
    const { out, result } = await decode(gz, piece);
    t.ok(out.equals(tarLike), `the tar, in pieces of ${piece}`);
    t.same(result, { digest: sha(gz), diffId: sha(tarLike), size: gz.length, bytes: tarLike.length }, 'digest of the blob, DiffID of the tar');
  }
  const small = tarLike.subarray(2_000_000, 2_010_000);
  const { out } = await decode(zlib.gzipSync(small), 1);
  t.ok(out.equals(small), 'byte by byte');
});

t.test('concatenated gzip members are one stream; a plain tar passes through', async (t) => {
  const two = Buffer.concat([zlib.gzipSync(tarLike.subarray(0, 1_000_000)), zlib.gzipSync(tarLike.subarray(1_000_000))]);
  const a = await decode(two, 65536);
  t.ok(a.out.equals(tarLike), 'both members');
  t.equal(a.result.diffId, sha(tarLike));
  const plain = await decode(tarLike, 65536);
  t.ok(plain.out.equals(tarLike), 'a plain tar is its own output');
  t.equal(plain.result.diffId, plain.result.digest, 'and its DiffID is its digest');
});

t.test('a cut or damaged gzip stream fails the stream; check() judges the blob first', async (t) => {
  const gz = zlib.gzipSync(tarLike);
  await t.rejects(decode(gz.subarray(0, gz.length - 100), 65536), /gzip: unexpected end of file/);
  const bad = Buffer.from(gz);
  bad[bad.length - 20]! ^= 0xff;
  await t.rejects(decode(bad, 65536), /gzip: /, 'a damaged stream');
  await t.rejects(decode(bad, 65536, { check: (r) => (r.digest === sha(gz) ? undefined : new Error(`digest ${r.digest}: refused`)) }), /digest sha256:[0-9a-f]{64}: refused/, 'the wrong digest is what is said');
});

t.test('the partial file holds what arrived until the end, then goes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-decode-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const gz = zlib.gzipSync(tarLike);
  const partial = path.join(dir, 'blob.partial');
  let seen = 0;
  const { result } = await decode(gz, 65536, { partial, onBytes: (n) => (seen = n) });
  t.equal(result.digest, sha(gz));
  t.equal(seen, gz.length, 'progress counted every byte');
  t.notOk(fs.existsSync(partial), 'a whole blob leaves no partial file');

  // A download that breaks: what arrived stays, for the next pull to resume from.
  const d = new LayerDecodeStream({ partial });
  const src = new Readable({ read() {} });
  src.pipe(d);
  d.resume();
  src.push(gz.subarray(0, 200_000));
  // The bytes reach the file from the threadpool; then the connection breaks.
  for (let i = 0; i < 500 && (fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0) < 200_000; i++) await new Promise((r) => setTimeout(r, 10));
  const failed = new Promise((r) => d.on('error', r));
  src.destroy();
  d.destroy(new Error('connection reset'));
  await failed;
  await d.settled();
  t.ok(fs.readFileSync(partial).equals(gz.subarray(0, 200_000)), 'a broken download keeps its bytes');
});
