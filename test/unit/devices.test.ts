import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../../src/api/defaults';
import { capabilityBit, containerCapabilities } from '../../src/plan/capabilities';
import { buildContainerPlan } from '../../src/plan/container';
import { KUBELET_LOG_LIMITS, type MountOp } from '../../src/runtime/container-plan';
import { admitDevices, annotationDevices, cgroupDeviceRules, containerDevices, devNumbers, formatDeviceRule, type StatDevice } from '../../src/plan/devices';
import { MASKED_PATHS, READONLY_PATHS } from '../../src/plan/masked-paths';
import type { ImageRecord } from '../../src/image/types';
import { PodPaths } from '../../src/state/paths';

// A host's /dev as a table: char 10:229 /dev/fuse, 10:200 /dev/net/tun, block 8:0 /dev/sda.
const rdev = (major: number, minor: number) => (major << 8) | minor;
const table: Record<string, { kind: 'c' | 'b' | 'f'; rdev: number }> = {
  '/dev/fuse': { kind: 'c', rdev: rdev(10, 229) },
  '/dev/net/tun': { kind: 'c', rdev: rdev(10, 200) },
  '/dev/sda': { kind: 'b', rdev: rdev(8, 0) },
  '/srv/file': { kind: 'f', rdev: 0 },
};
const stat: StatDevice = (p) => {
  const e = table[p];
  return e && { isCharacterDevice: () => e.kind === 'c', isBlockDevice: () => e.kind === 'b', rdev: e.rdev };
};

function pod(spec: Partial<Pod['spec']> & object, annotations?: Record<string, string>): Pod {
  return applyPodDefaults({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'c', image: 'app:1' }], ...spec } } as Pod);
}

t.test('dev_t numbers as glibc splits them, large ones included', async (t) => {
  t.same(devNumbers(rdev(10, 229)), { major: 10, minor: 229 });
  t.same(devNumbers(0x12345678), { major: 0x456, minor: 0x12378 }, 'minor bits above 8 come from bits 20..31');
});

t.test("CRI-O's annotation: HOST[:CONTAINER[:PERMISSIONS]], comma-separated", async (t) => {
  t.same(annotationDevices('/dev/fuse', stat), [{ source: '/dev/fuse', target: '/dev/fuse', type: 'c', major: 10, minor: 229, access: 'rwm', readonly: false }]);
  t.same(annotationDevices(' /dev/net/tun:/dev/tun0:r , /dev/sda:/dev/disk0:rw', stat).map((d) => [d.target, d.type, d.major, d.minor, d.access, d.readonly]), [
    ['/dev/tun0', 'c', 10, 200, 'r', true],
    ['/dev/disk0', 'b', 8, 0, 'rw', false],
  ]);
  t.throws(() => annotationDevices('/dev/nope', stat), /metadata.annotations\[io.kubernetes.cri-o.Devices\]: Invalid value: "\/dev\/nope": not a device on this host/);
  t.throws(() => annotationDevices('/srv/file', stat), /a device under \/dev/, 'only /dev');
  t.throws(() => annotationDevices('/dev/fuse:fuse', stat), /an absolute container path/);
  t.throws(() => annotationDevices('/dev/fuse:/dev/fuse:rx', stat), /permissions are some of r, w and m/);
  t.throws(() => annotationDevices('/dev/fuse:/dev/fuse:rr', stat), /permissions/, 'a letter once');
});

t.test('a container gets the annotation and its device hostPath mounts; privileged gets all', async (t) => {
  const p = pod(
    {
      volumes: [
        { name: 'tun', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } },
        { name: 'disk', hostPath: { path: '/dev/sda' } },
        { name: 'srv', hostPath: { path: '/srv' } },
      ],
      containers: [{ name: 'c', image: 'app:1', volumeMounts: [{ name: 'srv', mountPath: '/srv' }, { name: 'tun', mountPath: '/dev/net/tun' }, { name: 'disk', mountPath: '/dev/xvda', readOnly: true }] }],
    },
    { 'io.kubernetes.cri-o.Devices': '/dev/fuse' },
  );
  const d = containerDevices(p, p.spec!.containers[0]!, 'spec.containers[0]', stat);
  t.equal(d.all, false);
  t.same(d.nodes.map((n) => `${n.source}>${n.target}:${n.access}${n.readonly ? ':ro' : ''}`), ['/dev/fuse>/dev/fuse:rwm', '/dev/net/tun>/dev/net/tun:rwm', '/dev/sda>/dev/xvda:rm:ro']);
  t.same([...d.mounted], [1, 2], 'the device mounts, not the directory');
  const rules = cgroupDeviceRules(d);
  t.not(rules, 'all');
  t.same((rules as Exclude<typeof rules, 'all'>).map(formatDeviceRule), [
    'c *:* m', 'b *:* m', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm',
    'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm',
    'c 10:229 rwm', 'c 10:200 rwm', 'b 8:0 rm',
  ]);
  const plain = pod({});
  t.same(containerDevices(plain, plain.spec!.containers[0]!, 'x', stat).nodes, [], 'nothing asked, nothing more than the defaults');
  const priv = pod({ containers: [{ name: 'c', image: 'app:1', securityContext: { privileged: true } }] });
  t.equal(cgroupDeviceRules(containerDevices(priv, priv.spec!.containers[0]!, 'x', stat)), 'all');
});

t.test('admission: privileged refused without root, naming the field; a bad annotation refused', async (t) => {
  const priv = pod({ initContainers: [{ name: 'i', image: 'app:1' }], containers: [{ name: 'a', image: 'app:1' }, { name: 'b', image: 'app:1', securityContext: { privileged: true } }] });
  t.doesNotThrow(() => admitDevices(priv, false, stat), 'root may');
  t.throws(() => admitDevices(priv, true, stat), /spec\.containers\[1\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/);
  t.doesNotThrow(() => admitDevices(pod({}, { 'io.kubernetes.cri-o.Devices': '/dev/fuse' }), true, stat));
  t.throws(() => admitDevices(pod({}, { 'io.kubernetes.cri-o.Devices': '/dev/none' }), false, stat), /not a device on this host/);
});

t.test("privileged: every capability of the host's bounding set, not more", async (t) => {
  const hostSet = ((1n << 41n) - 1n) & ~capabilityBit('SYS_RESOURCE', '');
  const priv = containerCapabilities({ privileged: true, uid: 0, field: 'x', all: hostSet });
  t.equal(priv.bounding, hostSet);
  t.equal(priv.effective, hostSet);
  t.equal(containerCapabilities({ add: ['ALL'], uid: 0, field: 'x', all: hostSet }).bounding, hostSet, 'add: [ALL] too');
  t.equal(containerCapabilities({ privileged: true, drop: ['SYS_ADMIN'], uid: 0, field: 'x', all: hostSet }).bounding, hostSet & ~capabilityBit('SYS_ADMIN', ''));
});

const image: ImageRecord = { name: 'app', tag: '1', id: 'sha256:x', rootfs: '/images/app/rootfs', config: { cmd: ['/app'] }, created: '', size: 0 };

function plan(p: Pod) {
  return buildContainerPlan({
    pod: p,
    container: p.spec!.containers[0]!,
    field: 'spec.containers[0]',
    attempt: 0,
    image,
    volumes: new Map((p.spec!.volumes ?? []).map((v) => [v.name, { name: v.name, source: v.hostPath?.path ?? `/vol/${v.name}`, forceReadOnly: false }])),
    paths: new PodPaths('/state/pods/abc'),
    idmap: null,
    envSources: { configMap: () => undefined, secret: () => undefined, fieldRef: () => undefined },
    logs: KUBELET_LOG_LIMITS,
  });
}

t.test('the plan: nodev, masked paths and a read-only /sys unless privileged', async (t) => {
  const p = plan(pod({}));
  t.equal(p.nodev, true);
  t.same(p.maskedPaths, MASKED_PATHS);
  t.same(p.readonlyPaths, READONLY_PATHS);
  t.same(p.ops.find((o) => o.type === 'dev'), { type: 'dev', target: '/dev', nodes: [], hostDevices: false });
  t.same(p.ops.find((o) => o.type === 'sysfs'), { type: 'sysfs', target: '/sys', readonly: true });
  const q = plan(pod({ containers: [{ name: 'c', image: 'app:1', securityContext: { privileged: true } }] }));
  t.equal(q.nodev, false);
  t.same([q.maskedPaths, q.readonlyPaths], [[], []]);
  t.same(q.ops.find((o) => o.type === 'dev'), { type: 'dev', target: '/dev', nodes: [], hostDevices: true });
  t.same(q.ops.find((o) => o.type === 'sysfs'), { type: 'sysfs', target: '/sys', readonly: false });
  t.equal(q.noNewPrivs, false);
});

t.test('a device hostPath becomes a node of the /dev operation, not a volume bind', { skip: require('node:fs').existsSync('/dev/null') ? undefined : 'no /dev/null on this host' }, async (t) => {
  const p = plan(pod({ volumes: [{ name: 'null', hostPath: { path: '/dev/null', type: 'CharDevice' } }], containers: [{ name: 'c', image: 'app:1', volumeMounts: [{ name: 'null', mountPath: '/dev/blackhole' }] }] }));
  const dev = p.ops.find((o): o is Extract<MountOp, { type: 'dev' }> => o.type === 'dev')!;
  t.same(dev.nodes, [{ source: '/dev/null', target: '/dev/blackhole', readonly: false }]);
  t.notOk(p.ops.some((o) => o.type === 'bind' && o.target === '/dev/blackhole'));
});
