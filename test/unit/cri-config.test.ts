// CRI requests as podrun's runtime takes them, without a server: the sandbox config (names,
// namespaces, ports, DNS), a container's resources and seccomp profile, and the refusals that
// name their field. Pure translation; the integration tests in test/cri drive the same over gRPC.
import t from 'tap';
import { cgroupValues, seccompOf } from '../../src/cri/container-config';
import { cgroupParent, sandboxConfig } from '../../src/cri/sandbox-service';
import { parseHeaders } from '../../src/cri/streaming/spdy';
import { sandboxPod } from '../../src/runtime/sandbox-config';

const base = { metadata: { name: 'web', uid: 'u1', namespace: 'ns', attempt: 2 }, hostname: '', log_directory: '/var/log/pods/x', port_mappings: [], labels: { a: 'b' }, annotations: {} };

t.test('a sandbox config, and the pod the sandbox code reads', async (t) => {
  const c = sandboxConfig({ ...base, dns_config: { servers: ['1.1.1.1'], searches: ['svc.local'], options: ['ndots:5'] }, port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080, host_ip: '' }, { protocol: 'UDP', container_port: 53, host_port: 0, host_ip: '' }] }, false);
  t.match(c, { name: 'web', namespace: 'ns', uid: 'u1', attempt: 2, network: 'POD', pid: 'POD', ipc: 'POD' }, 'no namespace options: its own, one PID namespace');
  t.same(c.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIP: '' }], 'only mappings with a host port publish');
  const pod = sandboxPod(c);
  t.match(pod.spec, { hostname: 'web', dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.local'], options: [{ name: 'ndots', value: '5' }] }, shareProcessNamespace: true, hostNetwork: false });
  t.equal(sandboxPod(sandboxConfig({ ...base, metadata: { ...base.metadata, name: `create-PodSandbox-for-container-${'a'.repeat(50)}` } }, false)).spec!.hostname!.length, 63, 'a long name is cut to a hostname the kernel takes');
  t.equal(sandboxPod(sandboxConfig(base, false)).spec!.dnsPolicy, 'Default', 'no DNS config: the host resolv.conf');
  t.throws(() => sandboxConfig({ ...base, metadata: { ...base.metadata, uid: '' } }, false), /^config\.metadata\.uid: Required value$/);
  t.throws(() => sandboxConfig({ ...base, linux: { cgroup_parent: '', sysctls: {}, security_context: { privileged: true, readonly_rootfs: false, supplemental_groups: [] } } }, true), /config\.linux\.security_context\.privileged: a privileged sandbox needs root/);
  t.throws(() => sandboxConfig({ ...base, port_mappings: [{ protocol: 'TCP', container_port: 0, host_port: 1, host_ip: '' }] }, false), /port_mappings\[0\]\.container_port/);
  t.throws(() => sandboxPod(sandboxConfig({ ...base, hostname: 'bad_name' }, false)), /config\.hostname: Invalid value: "bad_name"/);
  t.match(sandboxPod({ ...sandboxConfig(base, false), pid: 'NODE' }).spec, { hostPID: true, shareProcessNamespace: false }, "pid NODE: the host's PID namespace");
  t.throws(() => sandboxPod({ ...sandboxConfig(base, false), pid: 'TARGET' }), /namespace_options\.pid: Unsupported value: "TARGET"/, 'TARGET is for containers');
});

t.test('resources as cgroup values', async (t) => {
  const r = { cpu_period: 0, cpu_quota: 0, cpu_shares: 0, memory_limit_in_bytes: 0, oom_score_adj: 0, cpuset_cpus: '', cpuset_mems: '', hugepage_limits: [], unified: {}, memory_swap_limit_in_bytes: 0 };
  t.same(cgroupValues(null, 'x'), { cpuShares: 1024 }, 'none: the kernel default shares');
  t.same(cgroupValues({ ...r, cpu_shares: 512, cpu_quota: 25_000, cpu_period: 50_000, memory_limit_in_bytes: 1 << 26, memory_swap_limit_in_bytes: 1 << 26 }, 'x'), { cpuShares: 512, cpuQuota: 50_000, memoryLimit: 1 << 26 }, 'a quota over another period is scaled to 100 ms');
  t.same(cgroupValues({ ...r, cpu_shares: 1 }, 'x').cpuShares, 2, 'shares are clamped to the kernel minimum');
  t.throws(() => cgroupValues({ ...r, cpuset_cpus: '0-1' }, 'linux'), /^linux\.cpuset_cpus: podrun does not manage cpusets$/);
  t.throws(() => cgroupValues({ ...r, memory_limit_in_bytes: 100, memory_swap_limit_in_bytes: 200 }, 'linux'), /linux\.memory_swap_limit_in_bytes: .*no swap/);
});

t.test('seccomp profiles', async (t) => {
  t.same(seccompOf(null, '', false, 'f'), { type: 'Unconfined' }, 'none: Unconfined, as containerd (the kubelet always names one)');
  t.same(seccompOf({ profile_type: 'RuntimeDefault', localhost_ref: '' }, '', false, 'f'), { type: 'RuntimeDefault' });
  t.same(seccompOf({ profile_type: 'Localhost', localhost_ref: '/p.json' }, '', true, 'f'), { type: 'Unconfined' }, 'privileged: Unconfined, whatever is named');
  t.same(seccompOf({ profile_type: 'Localhost', localhost_ref: '/var/lib/kubelet/seccomp/a.json' }, '', false, 'f'), { type: 'Localhost', localhostProfile: '/var/lib/kubelet/seccomp/a.json', file: '/var/lib/kubelet/seccomp/a.json' });
  t.throws(() => seccompOf({ profile_type: 'Localhost', localhost_ref: 'a.json' }, '', false, 'f'), /f\.seccomp\.localhost_ref: Invalid value: "a.json": must be an absolute path/);
  t.same(seccompOf(null, 'unconfined', false, 'f'), { type: 'Unconfined' }, 'the deprecated path form');
  t.same(seccompOf(null, 'localhost//p.json', false, 'f'), { type: 'Localhost', localhostProfile: '/p.json', file: '/p.json' });
  t.throws(() => seccompOf(null, 'weird', false, 'f'), /f\.seccomp_profile_path: Unsupported value: "weird"/);
});

t.test('SPDY name/value blocks', async (t) => {
  const block = (pairs: [string, string][]) => {
    const parts = [Buffer.alloc(4)];
    parts[0]!.writeUInt32BE(pairs.length);
    for (const [k, v] of pairs) for (const s of [k, v]) parts.push(Buffer.from([0, 0, 0, Buffer.byteLength(s)]), Buffer.from(s));
    return Buffer.concat(parts);
  };
  t.same(parseHeaders(block([['StreamType', 'stdout'], ['port', '80\u00008080']])), { streamtype: 'stdout', port: '80' }, 'names lowercased, the first of several values');
  t.throws(() => parseHeaders(Buffer.concat([block([['a', 'b']]).subarray(0, 10)])), /truncated|out of range/i, 'a truncated block');
});

t.test("the kubelet's OOM scores by QoS class", async (t) => {
  const { oomScoreAdj } = await import('../../src/kubelet/qos');
  const pod = (resources: object) => ({ spec: { containers: [{ name: 'c', resources }] } });
  const gib = 1024 ** 3;
  t.equal(oomScoreAdj(pod({}), { name: 'c' }, 16 * gib), 1000, 'best effort');
  t.equal(oomScoreAdj(pod({ requests: { memory: '1Gi', cpu: '1' }, limits: { memory: '1Gi', cpu: '1' } }), { name: 'c', resources: { requests: { memory: '1Gi' } } }, 16 * gib), -997, 'guaranteed');
  const b = pod({ requests: { memory: '4Gi' } });
  t.equal(oomScoreAdj(b, b.spec.containers[0]!, 16 * gib), 750, 'burstable: 1000 less its share of memory, in thousandths');
  const tiny = pod({ requests: { memory: '1' } });
  t.equal(oomScoreAdj(tiny, tiny.spec.containers[0]!, 16 * gib), 999, 'never as high as best effort');
  const huge = pod({ requests: { memory: '32Gi' } });
  t.equal(oomScoreAdj(huge, huge.spec.containers[0]!, 16 * gib), 3, 'never as low as guaranteed');
});

t.test("cgroup_parent: the cgroupfs path, or a systemd slice's", async (t) => {
  t.equal(cgroupParent('/kubepods/burstable/pod1234', 'f'), '/kubepods/burstable/pod1234', 'cgroupfs: as given');
  t.equal(cgroupParent('kubepods-burstable-pod1234.slice', 'f'), '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice', 'a slice: nested as systemd nests it');
  for (const bad of ['kubepods/x', '/kubepods/../etc', '/a//b', '/a b', '-x.slice']) t.throws(() => cgroupParent(bad, 'config.linux.cgroup_parent'), /^config\.linux\.cgroup_parent: Invalid value/, `refused: ${bad}`);
  t.equal(sandboxConfig({ ...base, linux: { cgroup_parent: '/kubepods/pod1', sysctls: {}, security_context: null } } as never, false).cgroupParent, '/kubepods/pod1', 'taken into the sandbox config');
  t.equal(sandboxConfig(base, false).cgroupParent, undefined, 'none: none');
});
