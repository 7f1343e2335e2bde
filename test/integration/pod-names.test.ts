// Every container of a pod mounts the pod's /etc/hosts (hostAliases), /etc/hostname and
// /etc/resolv.conf; hostNetwork keeps the host's network namespace.
import t from 'tap';
import * as fs from 'node:fs';
import { isDone, logs, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('/etc/hosts, /etc/hostname, /etc/resolv.conf in every container', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('names', {
      restartPolicy: 'Never',
      hostname: 'myhost',
      hostAliases: [{ ip: '10.9.8.7', hostnames: ['alias.one', 'alias.two'] }],
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['10.0.0.10'], searches: ['pods.test'], options: [{ name: 'ndots', value: '2' }] },
      containers: [
        payload('a', 'cat', '/etc/hostname', '--then', 'cat', '/etc/resolv.conf', '--then', 'cat', '/etc/hosts'),
        payload('b', 'cat', '/etc/hostname', '--then', 'hostname'),
      ],
    }),
  );
  const p = await podrun.waitFor('names', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded');
  const a = await logs(podrun, 'names', { container: 'a' });
  t.equal(a[0], 'myhost', 'hostname file');
  t.same(a.slice(1, 4), ['nameserver 10.0.0.10', 'search pods.test', 'options ndots:2'], 'resolv.conf from dnsConfig with dnsPolicy None');
  t.ok(a.includes('127.0.0.1\tlocalhost'), 'localhost in /etc/hosts');
  t.ok(a.includes('10.9.8.7\talias.one\talias.two'), 'hostAliases in /etc/hosts');
  t.match(p.status?.podIP, /^10\.88\./, 'the pod has an address (rootless too)');
  t.ok(a.includes(`${p.status?.podIP}\tmyhost`), "the pod's address with its hostname in /etc/hosts");
  t.same(await logs(podrun, 'names', { container: 'b' }), ['myhost', 'myhost'], 'the second container mounts the same files');
});

t.test('hostNetwork: the host network namespace', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('hostnet', { restartPolicy: 'Never', hostNetwork: true, containers: [payload('c', 'ns')] }));
  const p = await podrun.waitFor('hostnet', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded', JSON.stringify(p.status?.containerStatuses?.[0]?.state));
  const ns = Object.fromEntries((await logs(podrun, 'hostnet')).map((l) => l.split(' ')));
  t.equal(Number(ns.net), fs.statSync('/proc/self/ns/net').ino, "the container is in this process's network namespace");
  t.not(Number(ns.uts), fs.statSync('/proc/self/ns/uts').ino, 'but still has its own UTS namespace');
});
