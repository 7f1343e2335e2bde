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
    { prefix: 'example.com/team', location: 'mirror.example/team', insecure: false, blocked: false },
    { prefix: 'evil.example', location: 'evil.example', insecure: false, blocked: true },
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
