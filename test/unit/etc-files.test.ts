import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { hostsFile, parseResolvConf, resolvConf } from '../../src/network/etc-files';

const pod = (spec: Partial<Pod['spec']> & object, name = 'web'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns1' }, spec: { containers: [], ...spec } }) as Pod;

t.test('hosts: localhost entries, the pod IP with hostname and subdomain, hostAliases', async (t) => {
  const text = hostsFile(pod({ hostname: 'h', subdomain: 'sub', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }] }), ['10.88.0.5']);
  t.equal(
    text,
    [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.88.0.5\th.sub.ns1.svc.cluster.local\th',
      '',
      '# Entries added by HostAliases.',
      '10.1.2.3\tfoo.local\tbar.local',
      '',
    ].join('\n'),
  );
  t.match(hostsFile(pod({}), ['10.0.0.9']), /\n10\.0\.0\.9\tweb\n$/, 'without a subdomain: the pod name');
});

t.test('resolv.conf: host settings, dnsConfig merged, None alone, kubelet limits', async (t) => {
  const host = 'nameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch example.com\noptions ndots:1 edns0\n';
  t.same(parseResolvConf(host).options, [{ name: 'ndots', value: '1' }, { name: 'edns0' }]);
  t.equal(resolvConf(pod({}), host), 'nameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch example.com\noptions ndots:1 edns0\n');
  t.equal(
    resolvConf(pod({ dnsConfig: { nameservers: ['9.9.9.9', '4.4.4.4'], searches: ['a.b'], options: [{ name: 'ndots', value: '5' }] } }), host),
    'nameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\nsearch example.com a.b\noptions ndots:5 edns0\n',
    'merged, at most 3 nameservers, options overridden by name',
  );
  t.equal(resolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10'], searches: ['svc.local'] } }), host), 'nameserver 10.0.0.10\nsearch svc.local\n');
});
