// The kubelet's sysctl admission (pkg/kubelet/sysctl): the safe set, the engine's allowed unsafe
// names and patterns by namespace, non-namespaced ones refused even when asked for, and the
// host namespaces a pod shares.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../../src/errors';
import { canonicalSysctl, forbiddenSysctl, namespacedBy, shimSysctls, SysctlAllowlist } from '../../src/kubelet/sysctls';

const pod = (names: string[], spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  spec: { containers: [], ...spec, securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) } },
});

t.test('names: the kubelet’s separators and namespaces', async (t) => {
  t.equal(canonicalSysctl('net/ipv4/tcp_syncookies'), 'net.ipv4.tcp_syncookies');
  t.equal(canonicalSysctl('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  t.equal(canonicalSysctl('net.ipv4.conf.eth0/100.forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  t.same(shimSysctls(pod(['net/ipv4/conf/eth0.100/forwarding', 'kernel.shm_rmid_forced'])), [
    { path: 'net/ipv4/conf/eth0.100/forwarding', value: '1' },
    { path: 'kernel/shm_rmid_forced', value: '1' },
  ]);
  for (const [name, ns] of [
    ['kernel.sem', 'ipc'],
    ['kernel.shmmax', 'ipc'],
    ['kernel.msgmnb', 'ipc'],
    ['fs.mqueue.msg_max', 'ipc'],
    ['net.core.somaxconn', 'net'],
    ['kernel.semx', undefined],
    ['kernel.hostname', undefined],
    ['kernel.domainname', undefined],
    ['kernel.core_pattern', undefined],
    ['vm.overcommit_memory', undefined],
    ['fs.mqueue', undefined],
  ] as const) {
    t.equal(namespacedBy(name), ns, name);
  }
});

t.test('default: the safe set only', async (t) => {
  t.equal(forbiddenSysctl(pod(['kernel.shm_rmid_forced', 'net.ipv4.tcp_keepalive_time', 'net/ipv4/ip_local_port_range'])), undefined);
  t.equal(forbiddenSysctl(pod(['net.core.somaxconn'])), 'forbidden sysctl: "net.core.somaxconn" not allowlisted');
  t.equal(forbiddenSysctl(pod(['kernel.core_pattern'])), 'forbidden sysctl: "kernel.core_pattern" not allowlisted');
  t.equal(forbiddenSysctl(pod(['net.ipv4.tcp_syncookies'], { hostNetwork: true })), 'forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled');
  t.equal(forbiddenSysctl(pod(['kernel.shm_rmid_forced'], { hostIPC: true })), 'forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled');
  t.equal(forbiddenSysctl(pod(['kernel.shm_rmid_forced'], { hostNetwork: true })), undefined, 'an ipc one with host net');
});

t.test('allowed unsafe: names and patterns, by namespace', async (t) => {
  const allow = new SysctlAllowlist(['kernel.msg*', 'net.core.*', 'kernel.sem', 'fs/mqueue/*']);
  t.equal(forbiddenSysctl(pod(['kernel.msgmax', 'kernel.msgmnb', 'net.core.somaxconn', 'kernel.sem', 'fs.mqueue.queues_max']), allow), undefined);
  t.equal(forbiddenSysctl(pod(['net.ipv4.tcp_syncookies']), allow), undefined, 'the safe set stays');
  t.equal(forbiddenSysctl(pod(['kernel.shmmax']), allow), 'forbidden sysctl: "kernel.shmmax" not allowlisted');
  t.equal(forbiddenSysctl(pod(['net.ipv4.ip_forward']), allow), 'forbidden sysctl: "net.ipv4.ip_forward" not allowlisted');
  t.equal(forbiddenSysctl(pod(['kernel.core_pattern']), allow), 'forbidden sysctl: "kernel.core_pattern" not allowlisted');
  t.equal(forbiddenSysctl(pod(['net.core.somaxconn'], { hostNetwork: true }), allow), 'forbidden sysctl: "net.core.somaxconn" not allowed with host net enabled');
  t.equal(forbiddenSysctl(pod(['kernel.msgmax'], { hostIPC: true }), allow), 'forbidden sysctl: "kernel.msgmax" not allowed with host ipc enabled');
  t.equal(forbiddenSysctl(pod(['kernel.msgmax'], { hostNetwork: true }), allow), undefined);
  t.equal(forbiddenSysctl(pod(['net.ipv4.ip_forward']), new SysctlAllowlist(['net.*'])), undefined);
});

t.test('allowed unsafe: what is not namespaced is refused even when asked for, in the kubelet’s words', async (t) => {
  const refused = (patterns: string[]) => {
    try {
      new SysctlAllowlist(patterns);
    } catch (e) {
      t.type(e, PodrunError);
      return (e as Error).message;
    }
    return undefined;
  };
  t.equal(refused(['kernel.core_pattern']), 'the sysctl "kernel.core_pattern" are not known to be namespaced');
  t.equal(refused(['vm.*']), 'the sysctls "vm.*" are not known to be namespaced');
  t.equal(refused(['kernel.hostname']), 'the sysctl "kernel.hostname" are not known to be namespaced');
  t.equal(refused(['*']), 'the sysctls "*" are not known to be namespaced');
  t.equal(refused(['kernel.*']), 'the sysctls "kernel.*" are not known to be namespaced');
  t.match(refused(['Net.Core']), /^sysctl "Net.Core" must have at most 253 characters and match regex /);
  t.match(refused(['net.*.x']), /must have at most 253 characters/);
  t.equal(refused(['net.*', 'kernel.shm*', 'kernel.msg*', 'kernel.sem', 'fs.mqueue.*']), undefined);
});
