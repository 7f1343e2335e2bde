// Pod names as the kubelet sets them, through bin/podrun with defaults only: hostname and
// subdomain, setHostnameAsFQDN making the kernel hostname the FQDN, and an FQDN too long for
// the kernel refused with the kubelet's words.
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const pod = (name: string, extra: string) => podYaml(name, { c: SERVE }, extra);

t.test('setHostnameAsFQDN: uname, /etc/hostname and $HOSTNAME are the FQDN', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('f.yaml', pod('fq', '  hostname: web\n  subdomain: front\n  setHostnameAsFQDN: true\n'))]);
  await env.until('fq', (p) => p.status?.phase === 'Running', 30_000);
  const fqdn = 'web.front.default.svc.cluster.local';
  t.equal(env.ok(['exec', 'fq', '--', 'hostname']), `${fqdn}\n`);
  t.equal(env.ok(['exec', 'fq', '--', 'cat', '/etc/hostname']), `${fqdn}\n`);
  t.equal(env.ok(['exec', 'fq', '--', 'sh', '-c', 'echo $HOSTNAME']), `${fqdn}\n`);
  t.match(env.ok(['exec', 'fq', '--', 'cat', '/etc/hosts']), new RegExp(`\\t${fqdn.replace(/\./g, '\\.')}\\tweb\\n`), '/etc/hosts names both');
  env.ok(['apply', '-f', env.file('s.yaml', pod('short', '  hostname: web\n  subdomain: front\n'))]);
  await env.until('short', (p) => p.status?.phase === 'Running', 30_000);
  t.equal(env.ok(['exec', 'short', '--', 'hostname']), 'web\n', 'without it, the short name');
});

t.test('an FQDN longer than 64 bytes', async (t) => {
  const env = await e2e(t);
  const r = env.run(['apply', '-f', env.file('l.yaml', pod('long', `  hostname: ${'h'.repeat(40)}\n  subdomain: front\n  setHostnameAsFQDN: true\n`))]);
  t.equal(r.status, 1);
  t.match(r.stderr, /failed to construct FQDN from pod hostname and cluster domain, FQDN h+\.front\.default\.svc\.cluster\.local is too long \(64 characters is the max, 72 characters requested\)/);
  t.equal(env.run(['get', 'pod', 'long']).status, 1, 'nothing was made');
});
