// The fuzz targets (test/fuzz/targets, also run at any length by `npm run fuzz`), each for a
// couple of seconds with a fixed seed (PODRUN_FUZZ_SEED replays another): manifests of every
// kind, the image unpacker, the registry client, the pod shim's protocol, seccomp profiles
// (parsed, compiled and the filter's answers checked against the rules). Then the registry
// client's findings, one case each: a redirect to a Location that is no URL ended the whole
// process (an uncaught TypeError in the response callback), one to ftp:// or a token realm that
// is no URL threw bare TypeErrors; an endless manifest or error body filled the heap; a registry
// that stops answering hung the pull forever; an endless blob filled the disk; a manifest's
// digest `sha256:../../../x` named a file outside the data root.
import t from 'tap';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fuzzTest } from './fuzz-harness';
// The built registry client, as the targets use it: loading src/ through the TypeScript loader
// would cost this file more than its fuzzing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PullError, RegistryClient } = require('../../dist/image/registry') as typeof import('../../src/image/registry');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseRemoteRef } = require('../../dist/image/remote-ref') as typeof import('../../src/image/remote-ref');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pullImage } = require('../../dist/image/pull') as typeof import('../../src/image/pull');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ImageStore } = require('../../dist/image/store') as typeof import('../../src/image/store');

/** Why the shim target cannot start a pod here, or undefined. */
function missingPod(): string | undefined {
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox is missing: install Debian\'s busybox-static';
  if (!fs.existsSync(path.resolve(__dirname, '..', '..', 'build', 'Release', 'podrun-shim'))) return 'the shim is not built: run npm run build';
  if (process.geteuid?.() !== 0 && fs.readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim() === '0') return 'user namespaces are unavailable (user.max_user_namespaces=0)';
  return undefined;
}

const BUDGET = { runs: 1000, budgetMs: 2000 };

for (const name of ['manifest', 'unpack', 'registry', 'shim', 'seccomp']) {
  t.test(`fuzz: ${name}`, async (t) => {
    const missing = name === 'shim' ? missingPod() : undefined;
    if (missing) return t.skip(missing);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await fuzzTest(t, require(`./targets/${name}.js`) as unknown, BUDGET);
  });
}

t.test('what the fuzzer found, one case each', async (t) => {
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-registry-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const client = (idleTimeoutMs = 200) => new RegistryClient(parseRemoteRef(`127.0.0.1:${port}/x/y:t`), { insecure: true, idleTimeoutMs });
  const endless = (res: http.ServerResponse) => {
    const chunk = Buffer.alloc(1 << 16, 0x61);
    const more = (): void => {
      if (!res.destroyed) res.write(chunk) ? setImmediate(more) : res.once('drain', more);
    };
    more();
  };

  for (const location of ['//', 'http://[::1', 'ftp://x/y']) {
    handler = (_, res) => res.writeHead(302, { location }).end();
    await t.rejects(client().ping(), PullError, `a redirect to ${location}`);
  }
  handler = (_, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="::"' }).end();
  await t.rejects(client().ping(), { message: /token service "::" is not a URL/ });

  handler = (_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    endless(res);
  };
  await t.rejects(client().manifest('t'), { message: /the registry's answer is over 4194304 bytes: refused/ }, 'an endless manifest');
  handler = (_, res) => {
    res.writeHead(404);
    endless(res);
  };
  await t.rejects(client().manifest('t'), { message: /over 4194304 bytes/ }, 'an endless error body');

  handler = () => undefined; // never answers
  const t0 = Date.now();
  await t.rejects(client(300).ping(), { message: /no bytes for 0.3 s/ }, 'a registry that says nothing');
  t.ok(Date.now() - t0 < 5000, `given up after the idle timeout (${Date.now() - t0} ms)`);

  handler = (_, res) => {
    res.writeHead(200);
    endless(res);
  };
  const dest = path.join(dir, 'blob');
  await t.rejects(client().blob(`sha256:${'0'.repeat(64)}`, 1000, dest), { message: /sent more than the 1000 bytes the manifest gives the blob: refused/ }, 'an endless blob');
  t.same(fs.readdirSync(dir), [], 'nothing kept of it');

  // A manifest whose digest climbs out of blobs/: its partial file was written outside the data
  // root, and a file already there was read as the image config.
  fs.writeFileSync(path.join(dir, 'escape'), 'root:x:0:0:secret\n');
  handler = (req, res) => {
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:../../../escape', size: 5 }, layers: [] }));
    } else res.end('{}');
  };
  await t.rejects(pullImage(new ImageStore(path.join(dir, 'data')), `127.0.0.1:${port}/x/y:t`, { insecure: true }), { message: /"sha256:..\/..\/..\/escape" is not a sha256 digest/ });
  t.same(fs.readdirSync(dir).sort(), ['data', 'escape'], 'nothing written beside the data root');
});
