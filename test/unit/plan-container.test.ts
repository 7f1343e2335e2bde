import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../../src/api/defaults';
import { capabilityMask, containerCapabilities, DEFAULT_CAPABILITIES } from '../../src/plan/capabilities';
import { buildContainerPlan } from '../../src/plan/container';
import { KUBELET_LOG_LIMITS } from '../../src/runtime/container-plan';
import type { ImageRecord } from '../../src/image/types';
import { PodPaths } from '../../src/state/paths';

const image: ImageRecord = {
  name: 'app',
  tag: '1',
  id: 'sha256:x',
  rootfs: '/images/app/rootfs',
  config: { entrypoint: ['/entry'], cmd: ['serve'], env: ['PATH=/usr/bin:/bin', 'MODE=prod'], workingDir: '/app' },
  created: '',
  size: 0,
};
const noSources = { configMap: () => undefined, secret: () => undefined, fieldRef: () => undefined };

function pod(spec: Partial<Pod['spec']> & object): Pod {
  return applyPodDefaults({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'app:1' }], ...spec } } as Pod);
}

t.test('the default capability set is Kubernetes/containerd default (0xa80425fb)', async (t) => {
  t.equal(capabilityMask(DEFAULT_CAPABILITIES), 0xa80425fbn);
  const nonRoot = containerCapabilities({ uid: 1000, field: 'x' });
  t.equal(nonRoot.effective, 0n, 'a non-root user gets no effective capabilities');
  t.equal(nonRoot.bounding, 0xa80425fbn);
  const dropped = containerCapabilities({ uid: 0, drop: ['NET_RAW'], add: ['CAP_SYS_ADMIN'], field: 'x' });
  t.equal(dropped.effective & (1n << 13n), 0n);
  t.not(dropped.effective & (1n << 21n), 0n);
  t.throws(() => containerCapabilities({ uid: 0, add: ['NOPE'], field: 'spec.containers[0].securityContext.capabilities' }), /add\[0\]: Unsupported value: "NOPE"/);
});

t.test('a container plan: overlay root, standard mounts, volumes, identity', async (t) => {
  const p = pod({ volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'c', image: 'app:1', args: ['--port', '$(PORT)'], env: [{ name: 'PORT', value: '80' }], volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'sub', readOnly: true }] }] });
  const paths = new PodPaths('/state/pods/abc');
  const plan = buildContainerPlan({
    pod: p,
    container: p.spec!.containers[0],
    field: 'spec.containers[0]',
    attempt: 2,
    image,
    volumes: new Map([['data', { name: 'data', source: '/state/pods/abc/volumes/data', forceReadOnly: false }]]),
    paths,
    idmap: null,
    envSources: noSources,
    logs: KUBELET_LOG_LIMITS,
  });
  t.same(plan.argv, ['/entry', '--port', '80'], 'args replace CMD, ENTRYPOINT stays, $(PORT) expands');
  t.same(plan.ops[0], { type: 'overlay', target: '/', lower: ['/images/app/rootfs'], upper: '/state/pods/abc/containers/c/layer-2/upper', work: '/state/pods/abc/containers/c/layer-2/work', userxattr: false });
  t.same(plan.ops.slice(1, 5).map((o) => o.type), ['proc', 'dev', 'bind', 'sysfs']);
  t.same(plan.ops.find((o) => o.target === '/data'), { type: 'bind', target: '/data', source: '/state/pods/abc/volumes/data', sub: 'sub', readonly: true });
  t.same(
    plan.ops.filter((o) => o.target.startsWith('/etc/')).map((o) => o.type === 'bind' && o.source),
    ['/state/pods/abc/etc/hosts', '/state/pods/abc/etc/hostname', '/state/pods/abc/etc/resolv.conf'],
    "the pod's name files are bound into every container",
  );
  t.equal(plan.cwd, '/app');
  t.ok(plan.env.includes('MODE=prod') && plan.env.includes('PORT=80') && plan.env.includes('HOSTNAME=p'));
  t.equal(plan.newPidns, true);
  t.equal(plan.noNewPrivs, true);
  t.equal(plan.capEffective, 0xa80425fb);
  t.equal(plan.logPath, '/state/pods/abc/containers/c/2.log');
  t.same([plan.logMaxSize, plan.logMaxFiles], [10 * 1024 * 1024, 5], "the kubelet's log rotation defaults");
  t.same(plan.ops.at(-1), { type: 'bind', target: '/dev/termination-log', source: '/state/pods/abc/containers/c/2.termination-log', readonly: false, file: true, recursive: false }, 'the termination message file');
});

t.test('identity: runAsUser, shared pid namespace, single mapping forbids groups', async (t) => {
  const p = pod({ shareProcessNamespace: true, securityContext: { runAsUser: 1000, runAsGroup: 1000, supplementalGroups: [5] } });
  const input = { pod: p, container: p.spec!.containers[0], field: 'spec.containers[0]', attempt: 0, image, volumes: new Map(), paths: new PodPaths('/s'), envSources: noSources, logs: KUBELET_LOG_LIMITS };
  const plan = buildContainerPlan({ ...input, idmap: null });
  t.equal(plan.uid, 1000);
  t.same(plan.groups, [5]);
  t.equal(plan.capEffective, 0);
  t.equal(plan.newPidns, false);
  const single = { kind: 'single' as const, uid: [{ inside: 0, outside: 1000, count: 1 }], gid: [{ inside: 0, outside: 1000, count: 1 }], setgroups: false };
  t.throws(() => buildContainerPlan({ ...input, idmap: single }), /supplementalGroups/);
});

t.test('the host image: the host system read-only, scratch dirs private', async (t) => {
  const p = pod({ containers: [{ name: 'c', image: 'host', command: ['sh'] }] });
  const host: ImageRecord = { ...image, name: 'host', builtin: true, rootfs: '', config: { env: ['PATH=/usr/bin:/bin'] } };
  const plan = buildContainerPlan({ pod: p, container: p.spec!.containers[0], field: 'spec.containers[0]', attempt: 0, image: host, volumes: new Map(), paths: new PodPaths('/s'), idmap: null, envSources: noSources, logs: KUBELET_LOG_LIMITS });
  t.same(plan.ops[0], { type: 'tmpfs', target: '/', options: 'mode=755' });
  t.ok(plan.ops.some((o) => o.type === 'bind' && o.target === '/usr' && o.readonly));
  t.ok(plan.ops.some((o) => o.type === 'tmpfs' && o.target === '/tmp'));
  t.same(plan.argv, ['sh']);
});

t.test('a layered image: overlay (top layer first), fuse-overlayfs with its program, or a bind of the copy', async (t) => {
  const layered: ImageRecord = { ...image, rootfs: '', layers: ['/layers/a/root', '/layers/b/root'] };
  const paths = new PodPaths('/state/pods/p1');
  const plan = (rootfsDriver?: Parameters<typeof buildContainerPlan>[0]['rootfsDriver']) =>
    buildContainerPlan({ pod: pod({}), container: { name: 'c', image: 'app:1' }, field: 'spec.containers[0]', attempt: 2, image: layered, volumes: new Map(), paths, idmap: null, envSources: noSources, logs: KUBELET_LOG_LIMITS, rootfsDriver }).ops[0];
  t.match(plan(), { type: 'overlay', lower: ['/layers/b/root', '/layers/a/root'], upper: /upper$/, work: /work$/ });
  t.match(plan({ fuseOverlayfs: '/usr/bin/fuse-overlayfs' }), { type: 'fuse-overlayfs', program: '/usr/bin/fuse-overlayfs', lower: ['/layers/b/root', '/layers/a/root'], upper: /upper$/ });
  t.match(plan('copy'), { type: 'bind', target: '/', source: /copy$/ });
});
