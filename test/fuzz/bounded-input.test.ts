// Bounded input through the front doors with defaults only: bin/podrun apply -f FILE, -f - and
// delete -f refuse a manifest over 3 MiB or nested too deep at once, in one line, exit 1,
// nothing created; so does the Node API for text and objects.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// The built Node API, as a program that uses podrun loads it (and src/ through the TypeScript
// loader would cost this file more than its checks).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Podrun } = require('../../dist/podrun') as typeof import('../../src/podrun');

// As root, an engine started here keeps its network out of the host's (no pod is made here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('../support/sandbox-netns.js') as { useSandboxNetns(): void }).useSandboxNetns();
const CLI = path.resolve(__dirname, '..', '..', 'bin', 'podrun');

t.test('bounded input through bin/podrun and the Node API, defaults only', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-bounds-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data')];
  const podrun = (args: string[], input?: string) => spawnSync(process.execPath, [...base, ...args], { encoding: 'utf8', input, timeout: 60_000 });

  const big = path.join(dir, 'big.yaml');
  fs.writeFileSync(big, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: "');
  fs.truncateSync(big, 200 * 1024 * 1024); // sparse: 200 MiB to stat, nothing to store
  const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
  const deepFile = path.join(dir, 'deep.yaml');
  fs.writeFileSync(deepFile, deep);
  const cases: [string, string[], string | undefined, RegExp][] = [
    ['apply -f FILE over 3 MiB', ['apply', '-f', big], undefined, /^error: .*big\.yaml: the manifest is 209715200 bytes, over the API server's limit of 3145728 bytes \(3 MiB\)\n$/],
    ['apply -f - over 3 MiB', ['apply', '-f', '-'], 'x'.repeat(4 << 20), /^error: <stdin>: the manifest is over the API server's limit of 3145728 bytes \(3 MiB\)\n$/],
    ['apply -f FILE 100 000 levels deep', ['apply', '-f', deepFile], undefined, /^error: .*deep\.yaml: line 4: nested deeper than 256 levels, the most podrun reads\n$/],
    ['apply -f - 100 000 levels deep', ['apply', '-f', '-'], deep, /^error: <stdin>: line 4: nested deeper than 256 levels, the most podrun reads\n$/],
    ['delete -f FILE over 3 MiB', ['delete', '-f', big], undefined, /the manifest is 209715200 bytes, over/],
  ];
  for (const [what, args, input, want] of cases) {
    const t0 = Date.now();
    const r = podrun(args, input);
    t.equal(r.status, 1, `${what}: exit 1`);
    t.match(r.stderr, want, `${what}: one line`);
    t.ok(Date.now() - t0 < 5000, `${what}: at once (${Date.now() - t0} ms)`);
  }
  t.notOk(fs.existsSync(path.join(dir, 'state', 'store.jsonl')) && /"big"|"deep"/.test(fs.readFileSync(path.join(dir, 'state', 'store.jsonl'), 'utf8')), 'nothing created');

  const api = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  t.teardown(() => api.close());
  await t.rejects(api.apply(deep), { code: 'Invalid', message: /nested deeper than 256 levels/ });
  const obj: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'o' } };
  let at = obj;
  for (let i = 0; i < 100_000; i++) at = (at.data = {}) as Record<string, unknown>;
  await t.rejects(api.apply(obj as never), { code: 'Invalid', message: /nested deeper than 256 levels/ });
  await t.rejects(api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'o' }, data: { a: 'x'.repeat(4 << 20) } }), { code: 'Invalid', message: /over the API server's limit/ });
  t.same(await api.list('ConfigMap'), [], 'nothing created');
});
