// Pod sysctls as the kubelet admits them (bin/podrun, defaults only): the safe ones are set in
// the pod's namespaces (both separators, `.` and `/`), the host's stay as they were; one outside
// the safe set fails the pod at admission (SysctlForbidden), as does a net.* one with hostNetwork.
// `podrun serve --allowed-unsafe-sysctls` lets pods set namespaced unsafe ones, never others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE, sleep } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const sysctls = (list: [string, string][], extra = '') => `${extra}  securityContext:\n    sysctls:\n${list.map(([n, v]) => `    - name: ${n}\n      value: "${v}"\n`).join('')}`;

t.test('safe sysctls are set in the pod, not on the host', async (t) => {
  const env = await e2e(t);
  const hostPortStart = fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
  env.ok(['apply', '-f', env.file('s.yaml', podYaml('tuned', { c: SERVE }, sysctls([['net.ipv4.ip_unprivileged_port_start', '80'], ['kernel.shm_rmid_forced', '1'], ['net/ipv4/tcp_keepalive_time', '600']])))]);
  await env.until('tuned', (p) => p.status?.phase === 'Running', 30_000);
  t.equal(env.ok(['exec', 'tuned', '--', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/kernel/shm_rmid_forced', '/proc/sys/net/ipv4/tcp_keepalive_time']), '80\n1\n600\n');
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'), hostPortStart, "the host's value is untouched");
});

t.test('a sysctl outside the safe set: the pod is rejected (Failed, SysctlForbidden)', async (t) => {
  const env = await e2e(t);
  t.match(env.ok(['apply', '-f', env.file('b.yaml', podYaml('unsafe', { c: SERVE }, sysctls([['net.core.somaxconn', '1024']])))]), /pod\/unsafe created/);
  const p = env.pod('unsafe')!;
  t.same([p.status?.phase, p.status?.reason, p.status?.message], ['Failed', 'SysctlForbidden', 'Pod was rejected: forbidden sysctl: "net.core.somaxconn" not allowlisted']);
  t.match(env.ok(['get', 'pod', 'unsafe']), /unsafe\s+0\/1\s+SysctlForbidden\s+0/);
  t.match(env.ok(['get', 'events', '--field-selector', 'involvedObject.name=unsafe']), /Warning\s+SysctlForbidden\s+pod\/unsafe\s+forbidden sysctl: "net.core.somaxconn" not allowlisted/);
  env.ok(['apply', '-f', env.file('h.yaml', podYaml('hostnet', { c: SERVE }, sysctls([['net.ipv4.tcp_syncookies', '1']], '  hostNetwork: true\n')))]);
  t.equal(env.pod('hostnet')?.status?.message, 'Pod was rejected: forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled');
  t.match(env.ok(['delete', 'pod', 'unsafe', 'hostnet']), /pod "unsafe" deleted\npod "hostnet" deleted/);
});

t.test('serve --allowed-unsafe-sysctls: namespaced unsafe ones are set in the pod; others refused even when asked for', async (t) => {
  const env = await e2e(t);
  const hostNs = env.run(['serve', '--allowed-unsafe-sysctls=kernel.core_pattern']);
  t.same([hostNs.status, hostNs.stderr], [1, 'error: the sysctl "kernel.core_pattern" are not known to be namespaced\n'], 'the kubelet would not start with it');
  t.equal(env.run(['serve', '--allowed-unsafe-sysctls=vm.*']).stderr, 'error: the sysctls "vm.*" are not known to be namespaced\n');
  const serve = env.start(['serve', '--allowed-unsafe-sysctls=kernel.msg*,net.core.somaxconn']);
  t.teardown(() => serve.stop());
  for (let i = 0; i < 300 && !fs.existsSync(path.join(env.root, 'serve.sock')); i++) await sleep(50);
  const hostMsgmax = fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8');
  env.ok(['apply', '-f', env.file('u.yaml', podYaml('unsafe-ok', { c: SERVE }, sysctls([['kernel.msgmax', '12345'], ['net.core.somaxconn', '321']])))]);
  await env.until('unsafe-ok', (p) => p.status?.phase === 'Running', 30_000);
  t.equal(env.ok(['exec', 'unsafe-ok', '--', 'cat', '/proc/sys/kernel/msgmax', '/proc/sys/net/core/somaxconn']), '12345\n321\n');
  t.equal(fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8'), hostMsgmax, "the host's value is untouched");
  env.ok(['apply', '-f', env.file('n.yaml', podYaml('unsafe-no', { c: SERVE }, sysctls([['kernel.msgmax', '1'], ['kernel.shmmax', '1']])))]);
  t.equal(env.pod('unsafe-no')?.status?.message, 'Pod was rejected: forbidden sysctl: "kernel.shmmax" not allowlisted', 'outside the allowed patterns');
  env.ok(['apply', '-f', env.file('c.yaml', podYaml('core', { c: SERVE }, sysctls([['kernel.core_pattern', '|/tmp/x']])))]);
  t.equal(env.pod('core')?.status?.reason, 'SysctlForbidden');
  env.ok(['delete', 'pod', 'unsafe-ok', 'unsafe-no', 'core']);
});
