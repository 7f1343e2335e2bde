import t from 'tap';
import { parseRegistriesConf, registryEntry } from '../../src/image/registries-conf';
import { parseRemoteRef, formatRemoteRef, isLoopbackRegistry, withRegistry } from '../../src/image/remote-ref';
import { parseChallenge } from '../../src/image/registry';

t.test('registries.conf: search list, registry tables, longest prefix wins', async (t) => {
  const conf = parseRegistriesConf(`
# comment
unqualified-search-registries = ["docker.io", 'quay.io']

[[registry]]
location = "reg.example:5000"
insecure = true

[[registry]]
prefix = "example.com/team"
location = "mirror.example/team"   # trailing comment

[[registry.mirror]]
location = "ignored.example"

[[registry]]
location = "evil.example"
blocked = true
`);
  t.same(conf.unqualifiedSearch, ['docker.io', 'quay.io']);
  t.same(conf.registries, [
    { prefix: 'reg.example:5000', location: 'reg.example:5000', insecure: true, blocked: false },
    { prefix: 'example.com/team', location: 'mirror.example/team', insecure: undefined, blocked: false },
    { prefix: 'evil.example', location: 'evil.example', insecure: undefined, blocked: true },
  ]);
  t.equal(registryEntry(conf, 'reg.example:5000', 'a/b')?.insecure, true);
  t.equal(registryEntry(conf, 'example.com', 'team/app')?.location, 'mirror.example/team');
  t.equal(registryEntry(conf, 'example.com', 'other/app'), undefined);
  t.equal(registryEntry(conf, 'evil.example', 'x')?.blocked, true);
});

t.test('references are read as Docker reads them', async (t) => {
  t.same(parseRemoteRef('busybox'), { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: undefined, qualified: false });
  t.same(parseRemoteRef('busybox:1.36'), { registry: 'docker.io', repository: 'library/busybox', tag: '1.36', digest: undefined, qualified: false });
  t.same(parseRemoteRef('team/app'), { registry: 'docker.io', repository: 'team/app', tag: 'latest', digest: undefined, qualified: false });
  t.same(withRegistry(parseRemoteRef('busybox:1'), 'quay.io'), { registry: 'quay.io', repository: 'busybox', tag: '1', digest: undefined, qualified: true }, 'a short name elsewhere has no library/');
  t.same(withRegistry(parseRemoteRef('team/app'), 'docker.io').repository, 'team/app');
  const d = 'sha256:' + 'a'.repeat(64);
  t.same(parseRemoteRef(`registry:5000/team/app@${d}`), { registry: 'registry:5000', repository: 'team/app', tag: undefined, digest: d, qualified: true }, 'a port makes a registry; a digest needs no tag');
  t.same(parseRemoteRef(`localhost/app:v1@${d}`), { registry: 'localhost', repository: 'app', tag: 'v1', digest: d, qualified: true });
  t.equal(formatRemoteRef(parseRemoteRef('busybox')), 'docker.io/library/busybox:latest');
  t.throws(() => parseRemoteRef('Busybox'), /name component "Busybox"/);
  t.throws(() => parseRemoteRef('busybox@sha256:abc'), /digest/);
  t.ok(isLoopbackRegistry('127.0.0.1:5000') && isLoopbackRegistry('localhost') && !isLoopbackRegistry('10.0.0.1:5000'));
});

t.test('WWW-Authenticate challenges', async (t) => {
  t.same(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
  });
  t.same(parseChallenge('Basic realm="podrun-test"'), { scheme: 'basic', params: { realm: 'podrun-test' } });
});

t.test("certs.d: the user's directory first, CAs beside the system's, a client certificate needs its key", async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const tls = await import('node:tls');
  const { registryTls, certsDirs } = await import('../../src/image/registry-tls');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-certs-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const env = { HOME: home };
  t.equal(certsDirs(env)[0], path.join(home, '.config', 'containers', 'certs.d'), 'the user directory comes first');
  t.same(certsDirs(env).slice(1), ['/etc/containers/certs.d', '/etc/docker/certs.d']);
  t.equal(registryTls('reg.test:5000', env), undefined, 'no directory: the defaults');
  const dir = path.join(home, '.config', 'containers', 'certs.d', 'reg.test:5000');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA-PEM');
  const r = registryTls('reg.test:5000', env)!;
  t.equal(r.ca.length, tls.rootCertificates.length + 1, "the registry's CA is added to the system roots");
  t.equal(r.ca[r.ca.length - 1], 'CA-PEM');
  t.equal(r.cert, undefined, 'no client certificate');
  fs.writeFileSync(path.join(dir, 'me.cert'), 'CERT');
  t.throws(() => registryTls('reg.test:5000', env), /me\.cert: a client certificate needs me\.key beside it/);
  fs.writeFileSync(path.join(dir, 'me.key'), 'KEY');
  t.same([registryTls('reg.test:5000', env)!.cert?.toString(), registryTls('reg.test:5000', env)!.key?.toString()], ['CERT', 'KEY'], 'the pair');
});
