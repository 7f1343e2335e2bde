// Pod names as the kubelet sets them, through bin/podrun with defaults only: hostname and
// subdomain, setHostnameAsFQDN making the kernel hostname the FQDN, and an FQDN too long for
// the kernel: accepted, as the API server does, and left Pending in ContainerCreating with the
// kubelet's FailedCreatePodSandBox event.
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
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

t.test('an FQDN longer than 64 bytes: FailedCreatePodSandBox, the pod Pending in ContainerCreating', async (t) => {
  const env = await e2e(t);
  t.match(env.ok(['apply', '-f', env.file('l.yaml', pod('long', `  hostname: ${'h'.repeat(40)}\n  subdomain: front\n  setHostnameAsFQDN: true\n`))]), /pod\/long created/);
  const p = env.pod('long')!;
  t.equal(p.status?.phase, 'Pending');
  t.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  t.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True', 'scheduled: it is the sandbox that fails');
  t.match(env.ok(['get', 'pod', 'long']), /long\s+0\/1\s+ContainerCreating\s+0/);
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=long']);
  t.match(events, /Warning\s+FailedCreatePodSandBox\s+pod\/long\s+Failed to create pod sandbox: failed to construct FQDN from pod hostname and cluster domain, FQDN h+\.front\.default\.svc\.cluster\.local is too long \(64 characters is the max, 72 characters requested\)/);
  t.match(env.ok(['delete', 'pod', 'long']), /pod "long" deleted/);
  t.equal(env.run(['get', 'pod', 'long']).status, 1, 'deleted');
});
