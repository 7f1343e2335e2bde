// Pulling from a real registry (issue 5): docker-registry on 127.0.0.1 (plain HTTP, as Docker
// treats loopback registries), filled with skopeo in OCI and Docker schema 2 formats. The
// pulled image runs; a missing tag, a registry that wants credentials, and a blob whose bytes
// do not match its digest fail with the registry's words and leave nothing stored.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUSYBOX, coveredBySubidRun, isDone, logs, missingBusybox, missingFeature, PAYLOAD, pod, setup, tempDir } from './harness';
import { entriesOf, storedLayers, writeOciLayout, type ImageSpec } from './oci-harness';
import { makeTestPki, missingRegistryTools, startCuttingProxy, startRegistry } from './registry-harness';

const missing = missingFeature() ?? missingBusybox() ?? missingRegistryTools() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

function image(dir: string): ImageSpec {
  const root = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(root, 'bin', 'sh'));
  fs.copyFileSync(PAYLOAD, path.join(root, 'payload'));
  fs.chmodSync(path.join(root, 'payload'), 0o755);
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) fs.mkdirSync(path.join(root, d));
  return {
    layers: [entriesOf(root), [{ name: 'srv/', type: 'directory' }, { name: 'srv/hello', body: 'pulled from the registry\n' }]],
    config: { Entrypoint: ['/payload'], Cmd: ['cat', '/srv/hello'], Env: ['PATH=/bin'], WorkingDir: '/srv' },
  };
}

t.test('pull (OCI and Docker schema 2) and run; missing tags and corrupt blobs fail cleanly', async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'test/busybox:1', 'oci');
  await reg.push(layout.dir, '1', 'test/busybox-docker:1', 'v2s2');
  const env = await setup(t, { image: false });

  const ref = `${reg.host}/test/busybox:1`;
  const [a, b] = await Promise.all([env.podrun.pull(ref), env.podrun.pull(ref)]);
  t.equal(a, b, 'two concurrent pulls of one image share the work');
  t.equal(a.id, layout.configDigest, 'the image id is the config digest');
  const docker = await env.podrun.pull(`${reg.host}/test/busybox-docker:1`);
  t.equal(docker.layers?.length, 2, 'the Docker-format image has its two layers');
  t.equal(storedLayers(env.dataRoot).length, 2, 'both formats share the same unpacked layers');
  t.same(fs.readdirSync(path.join(env.dataRoot, 'blobs', 'sha256')).filter((n) => n.endsWith('.partial')), [], 'no partial download is left');

  await env.podrun.createPod(pod('pulled', { restartPolicy: 'Never', containers: [{ name: 'c', image: ref }] }));
  const p = await env.podrun.waitFor('pulled', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded');
  t.same(await logs(env.podrun, 'pulled', { container: 'c' }), ['pulled from the registry'], "the image's ENTRYPOINT and CMD ran over its files");

  await t.rejects(env.podrun.pull(`${reg.host}/test/busybox:nope`), /MANIFEST_UNKNOWN|manifest unknown/i, 'a missing tag: the registry says so');

  // Corrupt one layer in the registry's storage: the registry serves it as stored.
  const blobsDir = path.join(reg.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  const layer = layout.layerDigests[1]!.slice(7);
  const data = path.join(blobsDir, layer.slice(0, 2), layer, 'data');
  const bytes = fs.readFileSync(data);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(data, bytes);
  const fresh = await setup(t, { image: false });
  await t.rejects(fresh.podrun.pull(ref), /has digest sha256:[0-9a-f]{64}.*refused/, 'a blob whose bytes do not match its digest is refused');
  const freshLayers = path.join(fresh.dataRoot, 'layers');
  t.notOk(fs.existsSync(freshLayers) && fs.readdirSync(freshLayers).some((n) => n === layout.diffIds[1]!.slice(7)), 'and its layer is not stored');
  t.equal(fresh.podrun.images.get(ref), undefined, 'nor the image');
});

t.test('a registry that wants credentials: its message without them; with auth.json, the pull works', { skip: spawnSyncOk('htpasswd') ? false : 'needs htpasswd (apache2-utils)' }, async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'), { user: 'tester', password: 's3cret' });
  await reg.push(layout.dir, '1', 'private/app:1');
  const env = await setup(t, { image: false });
  const saved = process.env.REGISTRY_AUTH_FILE;
  const authFile = path.join(dir, 'auth.json');
  process.env.REGISTRY_AUTH_FILE = path.join(dir, 'none.json');
  t.teardown(() => (saved === undefined ? delete process.env.REGISTRY_AUTH_FILE : (process.env.REGISTRY_AUTH_FILE = saved)));
  await t.rejects(env.podrun.pull(`${reg.host}/private/app:1`), /requires authentication.*no credentials/, 'without credentials: the challenge is reported');
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('tester:wrong').toString('base64') } } }));
  process.env.REGISTRY_AUTH_FILE = authFile;
  await t.rejects(env.podrun.pull(`${reg.host}/private/app:1`), /UNAUTHORIZED/, 'wrong credentials: the registry says so');
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('tester:s3cret').toString('base64') } } }));
  const img = await env.podrun.pull(`${reg.host}/private/app:1`);
  t.equal(img.id, layout.configDigest, 'with the right credentials from auth.json');
});

function spawnSyncOk(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

t.test("the kubelet's image pulls: pulled at start, ErrImagePull then ImagePullBackOff, ErrImageNeverPull, imagePullSecrets", async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'), spawnSyncOk('htpasswd') ? { user: 'puller', password: 'pw' } : undefined);
  await reg.push(layout.dir, '1', 'k8s/app:1');
  const saved = process.env.REGISTRY_AUTH_FILE;
  process.env.REGISTRY_AUTH_FILE = path.join(dir, 'none.json'); // only the pod's secret may give credentials
  t.teardown(() => (saved === undefined ? delete process.env.REGISTRY_AUTH_FILE : (process.env.REGISTRY_AUTH_FILE = saved)));
  const env = await setup(t, { image: false, podrun: { backoff: { initialMs: 300, maxMs: 600 } } });
  const dockerconfig = Buffer.from(JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('puller:pw').toString('base64') } } })).toString('base64');
  await env.podrun.apply([
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerconfig } },
    pod('fromreg', { restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'c', image: `${reg.host}/k8s/app:1` }] }),
    pod('notag', { imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'c', image: `${reg.host}/k8s/app:missing` }] }),
    pod('never', { containers: [{ name: 'c', image: `${reg.host}/k8s/other:1`, imagePullPolicy: 'Never' }] }),
  ] as never);
  const done = await env.podrun.waitFor('fromreg', isDone, { timeoutMs: 15_000 });
  t.equal(done.status?.phase, 'Succeeded', 'a pod whose image is not here yet: pulled (with the pod secret), then run');
  t.same(await logs(env.podrun, 'fromreg', { container: 'c' }), ['pulled from the registry']);
  const reasons = (await env.podrun.listEvents({ pod: 'fromreg' })).map((e) => e.reason);
  t.ok(reasons.includes('Pulling') && reasons.includes('Pulled'), `Pulling and Pulled events (${reasons.join(' ')})`);

  const seen = new Set<string>();
  await env.podrun.waitFor(
    'notag',
    (p) => {
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason) seen.add(w.reason);
      return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
    },
    { timeoutMs: 15_000 },
  );
  t.ok(seen.has('ErrImagePull') && seen.has('ImagePullBackOff'), 'a missing tag: ErrImagePull, then ImagePullBackOff');
  const notag = await env.podrun.getPod('notag');
  t.match(notag.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /MANIFEST_UNKNOWN|manifest unknown/i, "with the registry's message");
  t.equal(notag.status?.phase, 'Pending', 'the pod stays Pending');

  const never = await env.podrun.waitFor('never', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull', { timeoutMs: 10_000 });
  t.match(never.status!.containerStatuses![0]!.state!.waiting!.message!, /is not present with pull policy of Never/, 'imagePullPolicy Never and no image: ErrImageNeverPull');
});

t.test('a pod whose image is a digest reference: pulled by digest, kept under sha256-<hex>, imageID set', async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'test/bydigest:1', 'oci');
  const head = await fetch(`http://${reg.host}/v2/test/bydigest/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const digest = head.headers.get('docker-content-digest')!;
  t.match(digest, /^sha256:[0-9a-f]{64}$/, "the registry's digest of the manifest");
  const env = await setup(t, { image: false });
  const ref = `${reg.host}/test/bydigest@${digest}`;
  await env.podrun.createPod(pod('bydigest', { restartPolicy: 'Never', containers: [{ name: 'c', image: ref }] }));
  const p = await env.podrun.waitFor('bydigest', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded', 'pulled and ran');
  t.equal(p.status?.containerStatuses?.[0]?.imageID, layout.configDigest, 'imageID is the config digest');
  const stored = env.podrun.images.list().find((i) => i.name === `${reg.host}/test/bydigest`);
  t.equal(stored?.tag, `sha256-${digest.slice(7)}`, 'stored under the tag sha256-<hex>, as podman names digest pulls');
  t.equal(env.podrun.images.get(ref)?.id, layout.configDigest, 'and found again by the digest reference');
  await env.podrun.deletePod('bydigest', { gracePeriodSeconds: 0 });
  env.podrun.images.remove(ref);
  t.equal(env.podrun.images.get(ref), undefined, 'removed by the digest reference too');
  await t.rejects(env.podrun.pull(`${reg.host}/test/bydigest@sha256:${'0'.repeat(64)}`), /MANIFEST_UNKNOWN|manifest unknown/i, 'a digest the registry does not have');
});

t.test('an interrupted download resumes from its partial file; a bad partial is refused, then fetched afresh', async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'test/resume:1');
  const blobFile = (digest: string) => path.join(layout.dir, 'blobs', 'sha256', digest.slice(7));
  const base = layout.layerDigests[0]!;
  const whole = fs.readFileSync(blobFile(base));

  const env = await setup(t, { image: false });
  const partial = path.join(env.dataRoot, 'blobs', 'sha256', `${base.slice(7)}.partial`);
  fs.mkdirSync(path.dirname(partial), { recursive: true });
  fs.writeFileSync(partial, whole.subarray(0, Math.floor(whole.length / 2)));
  const img = await env.podrun.pull(`${reg.host}/test/resume:1`);
  t.equal(img.id, layout.configDigest, 'the pull completes from the first half already on disk');
  t.notOk(fs.existsSync(partial), 'and the partial file is gone');

  const other = await setup(t, { image: false });
  const bad = path.join(other.dataRoot, 'blobs', 'sha256', `${base.slice(7)}.partial`);
  fs.mkdirSync(path.dirname(bad), { recursive: true });
  fs.writeFileSync(bad, Buffer.alloc(100, 0x41));
  await t.rejects(other.podrun.pull(`${reg.host}/test/resume:1`), /has digest .*refused/, 'a partial file with wrong bytes: the blob is refused');
  t.notOk(fs.existsSync(bad), 'and dropped');
  t.equal((await other.podrun.pull(`${reg.host}/test/resume:1`)).id, layout.configDigest, 'the next pull fetches it afresh');
});

t.test('a flaky network: each try resumes where the last broke off; after three, no layer is half there; the next pull completes', async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'test/flaky:1');
  const proxy = await startCuttingProxy(t, reg.host);
  const base = layout.layerDigests[0]!;
  const size = fs.statSync(path.join(layout.dir, 'blobs', 'sha256', base.slice(7))).size;
  t.ok(size > 800_000, `the base layer is big enough to need many connections (${size} bytes)`);
  proxy.cutAfter = 200_000;

  const env = await setup(t, { image: false });
  const ref = `${proxy.host}/test/flaky:1`;
  await t.rejects(env.podrun.pull(ref), /test\/flaky.*the download broke off after \d+ of \d+ bytes.*resumes/, 'the pull fails after its tries, saying where the download stopped');
  const ranges = proxy.requests.filter((r) => r.includes(`/blobs/${base}`) && /range: bytes=\d+-/i.test(r));
  t.equal(ranges.length, 2, 'the second and third tries asked only for the rest (Range)');
  const layersDir = path.join(env.dataRoot, 'layers');
  const left = fs.existsSync(layersDir) ? fs.readdirSync(layersDir).filter((n) => n !== '.pins') : [];
  t.same(left.filter((n) => !/^[0-9a-f]{64}$/.test(n)), [], 'no unpack in progress is left');
  for (const n of left) t.ok(fs.existsSync(path.join(layersDir, n, 'layer.json')), `layer ${n.slice(0, 12)} is complete`);
  t.notOk(left.includes(layout.diffIds[0]!.slice(7)), 'the broken layer is not stored');
  t.equal(env.podrun.images.get(ref), undefined, 'no image is recorded');
  const partial = path.join(env.dataRoot, 'blobs', 'sha256', `${base.slice(7)}.partial`);
  const first = fs.statSync(partial).size;
  t.ok(first > 300_000 && first < size, `what the three tries brought is kept (${first} of ${size} bytes)`);

  // The CLI says each retry, as podman does, and goes on from what the API's tries kept.
  // Asynchronous: the relay answers from this very process. Shorter connections, so that three
  // more tries cannot finish the layer.
  proxy.cutAfter = 100_000;
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'podrun'), '--root', env.root, '--data-root', env.dataRoot, 'pull', ref], { stdio: ['ignore', 'ignore', 'pipe'] });
  const cli = { stderr: '', status: null as number | null };
  child.stderr.setEncoding('utf8').on('data', (d: string) => (cli.stderr += d));
  cli.status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(cli.status, 1, 'podrun pull fails too');
  t.match(cli.stderr, /Retrying in 0\.5s \.\.\. \(1\/3\): .*broke off[\s\S]*Retrying in 1s \.\.\. \(2\/3\)/, 'saying each retry on stderr');
  const kept = fs.statSync(partial).size;
  t.ok(kept > first, `and its tries resumed further (${kept} bytes)`);

  proxy.cutAfter = Infinity;
  proxy.requests.length = 0;
  const img = await env.podrun.pull(ref);
  t.equal(img.id, layout.configDigest, 'the next pull completes');
  t.ok(proxy.requests.some((r) => r.includes(`/blobs/${base}`) && new RegExp(`range: bytes=${kept}-`, 'i').test(r)), 'asking only for the rest');
  t.notOk(fs.existsSync(partial), 'and the partial file is gone');
});

t.test("an HTTPS registry: its CA and our client certificate come from certs.d, as podman's do", { skip: spawnSyncOk('openssl') ? false : 'needs openssl' }, async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const pki = makeTestPki(path.join(dir, 'pki'));
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'), undefined, { tls: pki });
  await reg.push(layout.dir, '1', 'test/tls:1');
  // Loopback registries are plain HTTP unless registries.conf says otherwise.
  const conf = path.join(dir, 'registries.conf');
  fs.writeFileSync(conf, `[[registry]]\nlocation = "${reg.host}"\ninsecure = false\n`);
  const config = path.join(dir, 'config');
  for (const [k, v] of [['CONTAINERS_REGISTRIES_CONF', conf], ['XDG_CONFIG_HOME', config]] as const) {
    const saved = process.env[k];
    process.env[k] = v;
    t.teardown(() => (saved === undefined ? delete process.env[k] : (process.env[k] = saved)));
  }
  const env = await setup(t, { image: false });
  const ref = `${reg.host}/test/tls:1`;
  await t.rejects(env.podrun.pull(ref), /unable to verify the first certificate \(no certs\.d directory for 127\.0\.0\.1:\d+ in .*certs\.d/, "without the registry's CA, its certificate is not trusted, and the error says where certs.d is looked for");
  const certs = path.join(config, 'containers', 'certs.d', reg.host);
  fs.mkdirSync(certs, { recursive: true });
  fs.copyFileSync(pki.caCrt, path.join(certs, 'ca.crt'));
  await t.rejects(env.podrun.pull(ref), /bad certificate|certificate required|alert|socket hang up|ECONNRESET|EPIPE/i, 'trusted, but without a client certificate the registry refuses us');
  fs.copyFileSync(pki.clientCert, path.join(certs, 'client.cert'));
  fs.copyFileSync(pki.clientKey, path.join(certs, 'client.key'));
  t.equal((await env.podrun.pull(ref)).id, layout.configDigest, 'with both from certs.d, the pull works');
});

t.test('podrun login / pull / logout from the CLI', { skip: spawnSyncOk('htpasswd') ? false : 'needs htpasswd (apache2-utils)' }, async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'), { user: 'cli', password: 'pw1' });
  await reg.push(layout.dir, '1', 'cli/app:1');
  const authFile = path.join(dir, 'auth', 'auth.json');
  const cli = (args: string[], input?: string) =>
    spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'podrun'), '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), ...args], {
      encoding: 'utf8',
      input,
      env: { ...process.env, REGISTRY_AUTH_FILE: authFile },
    });
  const bad = cli(['login', reg.host, '-u', 'cli', '--password-stdin'], 'wrong\n');
  t.equal(bad.status, 1, 'a wrong password: exit 1');
  t.match(bad.stderr, /^error: .*UNAUTHORIZED/, "with the registry's word");
  t.notOk(fs.existsSync(authFile), 'and nothing written');
  const ok = cli(['login', reg.host, '-u', 'cli', '--password-stdin'], 'pw1\n');
  t.equal(ok.stdout, 'Login Succeeded!\n');
  t.equal(fs.statSync(authFile).mode & 0o777, 0o600, 'auth.json is owner-only');
  const pulled = cli(['pull', `${reg.host}/cli/app:1`]);
  t.equal(pulled.status, 0, `pull with the saved credentials: ${pulled.stderr}`);
  t.match(pulled.stdout, /^Copying blob [0-9a-f]{12}: done/m, 'a line per layer when not on a terminal');
  t.match(pulled.stdout, new RegExp(`Pulled ${reg.host.replace(/\./g, '\\.')}/cli/app:1 ${layout.configDigest}`));
  t.equal(cli(['logout', reg.host]).stdout, `Removed login credentials for ${reg.host}\n`);
  t.equal(cli(['logout', reg.host]).status, 1, 'a second logout: not logged in');
});

t.test('the bearer-token flow: the registry sends us to its token service, which wants credentials', { skip: spawnSyncOk('openssl') ? false : 'needs openssl' }, async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'), { user: 'bearer', password: 'tok', bearer: true });
  await reg.push(layout.dir, '1', 'tokens/app:1');
  const env = await setup(t, { image: false });
  const saved = process.env.REGISTRY_AUTH_FILE;
  t.teardown(() => (saved === undefined ? delete process.env.REGISTRY_AUTH_FILE : (process.env.REGISTRY_AUTH_FILE = saved)));
  process.env.REGISTRY_AUTH_FILE = path.join(dir, 'none.json');
  await t.rejects(env.podrun.pull(`${reg.host}/tokens/app:1`), /token service: UNAUTHORIZED: the token service wants a user and password/, "no credentials: the token service's message");
  const authFile = path.join(dir, 'auth.json');
  fs.writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('bearer:tok').toString('base64') } } }));
  process.env.REGISTRY_AUTH_FILE = authFile;
  const img = await env.podrun.pull(`${reg.host}/tokens/app:1`);
  t.equal(img.id, layout.configDigest, 'with credentials: a token, then the image');
});

t.test("short names go to registries.conf's unqualified-search-registries, in order", async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const empty = await startRegistry(t, path.join(dir, 'empty'));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'team/app:1');
  const conf = path.join(dir, 'registries.conf');
  fs.writeFileSync(conf, `unqualified-search-registries = ["${empty.host}", "${reg.host}"]\n`);
  const saved = process.env.CONTAINERS_REGISTRIES_CONF;
  process.env.CONTAINERS_REGISTRIES_CONF = conf;
  t.teardown(() => (saved === undefined ? delete process.env.CONTAINERS_REGISTRIES_CONF : (process.env.CONTAINERS_REGISTRIES_CONF = saved)));
  const env = await setup(t, { image: false });
  const img = await env.podrun.pull('team/app:1');
  t.equal(img.name, `${reg.host}/team/app`, 'the first registry without it is passed over; the image keeps its full name');
  t.equal(env.podrun.images.get('team/app:1')?.id, layout.configDigest, 'and the short name finds it');
  await t.rejects(env.podrun.pull('team/none:1'), /not found in any of the search registries/, 'a name no search registry has');
});

t.test('two podrun processes pulling one image: the second waits and reuses what the first stored', async (t) => {
  const dir = tempDir(t, 'podrun-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', image(dir));
  const reg = await startRegistry(t, path.join(dir, 'registry'));
  await reg.push(layout.dir, '1', 'shared/app:1');
  const cliPull = () =>
    new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'podrun'), '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'pull', `${reg.host}/shared/app:1`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.on('close', () => resolve(out));
    });
  const outs = await Promise.all([cliPull(), cliPull()]);
  t.ok(outs.every((o) => o.includes(layout.configDigest)), 'both succeed');
  const cached = outs.map((o) => (o.match(/already stored/g) ?? []).length);
  t.same(cached.sort(), [0, 2], 'one downloaded both layers; the other found them stored');
});
