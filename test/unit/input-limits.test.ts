// Bounded input: a manifest over 3 MiB or nested deeper than podrun reads is refused at once, by
// a typed error on one line, from text, files, pipes, streams and objects handed over parsed.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ValidationError } from '../../src/errors';
import { parseManifests } from '../../src/api/manifest';
import { checkObjectBounds, MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, readManifestFile, readManifestStream } from '../../src/api/input-limits';

const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';
// The top-level mapping is one level: `data` holds `n` more.
const flow = (n: number) => `${head}data: ${'['.repeat(n)}${']'.repeat(n)}\n`;
const json = (n: number) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":${'['.repeat(n)}${']'.repeat(n)}}`;
const block = (n: number) => `${head}data:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`;
const compact = (n: number) => `${head}data:\n${'- '.repeat(n)}1\n`;

function refusal(t: Test, fn: () => unknown, re: RegExp): void {
  const t0 = Date.now();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  t.type(err, ValidationError);
  t.match((err as Error).message, re);
  t.notOk((err as Error).message.includes('\n'), 'one line');
  t.ok(Date.now() - t0 < 3000, `at once (${Date.now() - t0} ms)`);
}

t.test('depth: the limit and one past it, in every way YAML and JSON nest', async (t) => {
  for (const [name, mk] of Object.entries({ flow, json, block, compact })) {
    t.equal(parseManifests(mk(MAX_MANIFEST_DEPTH - 1)).length, 1, `${name}: ${MAX_MANIFEST_DEPTH} levels are read`);
    refusal(t, () => parseManifests(mk(MAX_MANIFEST_DEPTH), 'deep.yaml'), /^deep\.yaml: line \d+: nested deeper than 256 levels, the most podrun reads$/);
  }
});

t.test('depth: 100 000 levels and a 3 MiB run of brackets are refused, not a stack overflow', async (t) => {
  refusal(t, () => parseManifests(flow(100_000)), /nested deeper than 256 levels/);
  refusal(t, () => parseManifests(json(100_000)), /nested deeper than 256 levels/);
  refusal(t, () => parseManifests(`${head}data: ${'['.repeat(MAX_MANIFEST_BYTES - 100)}`), /nested deeper than 256 levels/);
  refusal(t, () => parseManifests('- '.repeat(MAX_MANIFEST_BYTES / 2 - 10)), /nested deeper than 256 levels/);
  // Brackets inside a plain or block scalar are text, not nesting.
  t.equal(parseManifests(`${head}data:\n  a: echo ${'['.repeat(1000)}\n  b: |\n    ${'{'.repeat(100_000)}\n`)[0].kind, 'ConfigMap');
});

t.test('size: over 3 MiB in text, in UTF-8 bytes', async (t) => {
  const at = (n: number) => `${head}data:\n  a: "${'x'.repeat(n - head.length - 14)}"\n`;
  t.equal(Buffer.byteLength(at(MAX_MANIFEST_BYTES)), MAX_MANIFEST_BYTES);
  t.equal(parseManifests(at(MAX_MANIFEST_BYTES)).length, 1, 'exactly 3 MiB is read');
  refusal(t, () => parseManifests(at(MAX_MANIFEST_BYTES + 1), 'big.yaml'), /^big\.yaml: the manifest is 3145729 bytes, over the API server's limit of 3145728 bytes \(3 MiB\)$/);
  // 2 bytes a character in UTF-8: under the limit in characters, over it in bytes.
  refusal(t, () => parseManifests(`${head}data:\n  a: "${'é'.repeat(MAX_MANIFEST_BYTES / 2)}"\n`), /over the API server's limit/);
});

t.test('size: a file is refused by its stat, a pipe or a stream once past the limit', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-limits-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const big = path.join(dir, 'big.yaml');
  // Sparse: 200 MiB on paper, nothing on the disk; read whole it would take seconds and the heap.
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 200 * 1024 * 1024);
  refusal(t, () => readManifestFile(big), /big\.yaml: the manifest is 209715200 bytes, over/);
  fs.writeFileSync(path.join(dir, 'ok.yaml'), head);
  t.equal(readManifestFile(path.join(dir, 'ok.yaml')), head);

  // A source without a size: read until it passes the limit, then refused.
  let sent = 0;
  const endless = new Readable({
    read() {
      sent += 1 << 20;
      this.push(Buffer.alloc(1 << 20, 'x'));
    },
  });
  await t.rejects(readManifestStream(endless, '<stdin>'), { message: "<stdin>: the manifest is over the API server's limit of 3145728 bytes (3 MiB)" });
  t.ok(sent <= 5 << 20, `stopped after ${sent} bytes`);
  t.equal(await readManifestStream(Readable.from([Buffer.from(head)]), '<stdin>'), head);
});

t.test('objects handed over parsed: depth, size and cycles refused without recursion', async (t) => {
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 100_000; i++) at = (at.a = {}) as Record<string, unknown>;
  refusal(t, () => checkObjectBounds({ apiVersion: 'v1', kind: 'ConfigMap', data: deep }, 'api'), /^api: nested deeper than 256 levels/);
  refusal(t, () => checkObjectBounds({ kind: 'ConfigMap', data: { a: 'x'.repeat(MAX_MANIFEST_BYTES) } }), /over the API server's limit/);
  const cyclic: Record<string, unknown> = { kind: 'ConfigMap' };
  cyclic.self = cyclic;
  refusal(t, () => checkObjectBounds(cyclic), /nested deeper/);
  checkObjectBounds({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
});
