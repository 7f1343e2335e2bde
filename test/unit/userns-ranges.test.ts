// Root's pods with hostUsers: false: the blocks of podrun's ids (allocation records on a real
// folder, no privileges), the admission rules, and the paths a pod sees the host's trees at.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../../src/api/defaults';
import type { ImageRecord } from '../../src/image/types';
import { admitUserns } from '../../src/kubelet/userns-admission';
import { buildContainerPlan } from '../../src/plan/container';
import { KUBELET_LOG_LIMITS } from '../../src/runtime/container-plan';
import type { IdMapPlan } from '../../src/runtime/idmap';
import { podLayerPath, podVolumeSource } from '../../src/plan/userns-paths';
import { blockCount, rangePlan, UsernsRanges } from '../../src/runtime/userns-ranges';
import { PodPaths } from '../../src/state/paths';

function tmp(t: Parameters<Parameters<typeof t.test>[1]>[0]): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'userns-ranges-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function ranges(dir: string, entry: string): UsernsRanges {
  fs.writeFileSync(path.join(dir, 'subuid'), entry);
  fs.writeFileSync(path.join(dir, 'subgid'), entry);
  return new UsernsRanges(path.join(dir, 'userns'), { uid: path.join(dir, 'subuid'), gid: path.join(dir, 'subgid') });
}

t.test('blocks of 65536 ids: as many as both ranges hold, the map of each', async (t) => {
  t.equal(blockCount({ start: 1000000, count: 6553600 }, { start: 1000000, count: 6553600 }), 100);
  t.equal(blockCount({ start: 1000000, count: 6553600 }, { start: 2000000, count: 131071 }), 1, 'the shorter range decides');
  t.same(rangePlan({ start: 1000000, count: 6553600 }, { start: 2000000, count: 6553600 }, 2), {
    kind: 'range',
    uid: [{ inside: 0, outside: 1131072, count: 65536 }],
    gid: [{ inside: 0, outside: 2131072, count: 65536 }],
    setgroups: true,
  });
});

t.test('allocate: disjoint blocks, the same one again for the same pod, freed on release, reclaimed when the pod is gone', async (t) => {
  const dir = tmp(t);
  const r = ranges(dir, 'someone:100000:65536\npodrun:1000000:196608\n');
  const a = r.allocate('pod-a');
  const b = r.allocate('pod-b');
  t.equal(a.uid[0].outside, 1000000);
  t.equal(b.uid[0].outside, 1065536);
  t.same(r.allocate('pod-a'), a, 'a pod keeps its block (a sandbox made again)');
  r.allocate('pod-c');
  t.throws(() => r.allocate('pod-d'), /all 3 user namespace ranges of 65536 ids .* are in use/);
  r.release('pod-b');
  t.equal(r.allocate('pod-d').uid[0].outside, 1065536, "a released block is the next pod's");
  r.reconcile((pod) => pod !== 'pod-c');
  t.equal(r.allocate('pod-e').uid[0].outside, 1131072, "the block of a pod that is gone is free again");
  t.same(fs.readdirSync(path.join(dir, 'userns')).sort(), ['0', '1', '2'], 'one record a block, no temp file left');
});

t.test('allocate: two engines at once never share a block', async (t) => {
  const dir = tmp(t);
  const one = ranges(dir, 'podrun:1000000:6553600\n');
  const two = new UsernsRanges(path.join(dir, 'userns'), { uid: path.join(dir, 'subuid'), gid: path.join(dir, 'subgid') });
  const starts = new Set<number>();
  for (let i = 0; i < 20; i++) {
    starts.add(one.allocate(`one-${i}`).uid[0].outside);
    starts.add(two.allocate(`two-${i}`).uid[0].outside);
  }
  t.equal(starts.size, 40, '40 pods, 40 blocks');
});

t.test('without a podrun entry: the one-line error names the lines to add', async (t) => {
  const dir = tmp(t);
  const r = ranges(dir, 'someone:100000:65536\n');
  t.throws(() => r.allocate('x'), {
    message: `hostUsers: false needs host ids for the pod's user namespace, and ${dir}/subuid and ${dir}/subgid have no entry for podrun: as root, add the line 'podrun:1000000:6553600' to ${dir}/subuid and to ${dir}/subgid (ranges of 65536 ids a pod, not overlapping any other entry)`,
  });
  const short = ranges(dir, 'podrun:1000000:1000\n');
  t.throws(() => short.ranges(), /the podrun entries hold fewer than 65536 ids/);
});

t.test('admission: Unmasked needs a user namespace; hostUsers: false as root needs the entry', async (t) => {
  const none = { ranges: () => { throw new Error('no podrun entry'); } };
  const unmasked = { containers: [{ name: 'c', image: 'i', securityContext: { procMount: 'Unmasked' } }] };
  t.throws(() => admitUserns({ spec: unmasked }, false, none), { message: 'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`' });
  t.throws(() => admitUserns({ spec: { ...unmasked, hostUsers: false } }, false, none), /no podrun entry/, 'as root, hostUsers: false asks for the range');
  t.doesNotThrow(() => admitUserns({ spec: unmasked }, true, none), 'rootless: every pod has a user namespace');
  t.doesNotThrow(() => admitUserns({ spec: { ...unmasked, hostUsers: false } }, true, none), 'rootless: no range from podrun is needed');
});

t.test("the pod's paths: layers and outside volumes under the state root, its own folder's volumes as they are", async (t) => {
  const paths = new PodPaths('/run/podrun/pods/abc');
  t.match(podLayerPath(paths, '/var/lib/podrun/layers/sha256/x'), /^\/run\/podrun\/layers\/[0-9a-f]{24}$/);
  t.not(podLayerPath(paths, '/a'), podLayerPath(paths, '/b'));
  t.equal(podVolumeSource(paths, { name: 'v', source: '/run/podrun/pods/abc/volumes/v', forceReadOnly: false }), '/run/podrun/pods/abc/volumes/v');
  t.match(podVolumeSource(paths, { name: 'h', source: '/srv/data', forceReadOnly: false }), /^\/run\/podrun\/volumes\/[0-9a-f]{24}$/);
  t.match(podVolumeSource(paths, { name: 'h', source: '/run/podrun/pods/abcd', forceReadOnly: false }), /^\/run\/podrun\/volumes\//, 'a sibling folder is not inside');
});

t.test('the plan of a container in its own user namespace: idmapped layers, outside volumes under the state root, Unmasked only with a user namespace', async (t) => {
  const layered: ImageRecord = { name: 'app', tag: '1', id: 'sha256:x', rootfs: '', layers: ['/data/layers/a/root', '/data/layers/b/root'], config: {}, created: '', size: 0 };
  const paths = new PodPaths('/run/podrun/pods/p1');
  const p = applyPodDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      hostUsers: false,
      volumes: [{ name: 'e', emptyDir: {} }, { name: 'h', hostPath: { path: '/srv' } }],
      containers: [{ name: 'c', image: 'app:1', command: ['/bin/sh'], securityContext: { procMount: 'Unmasked' }, volumeMounts: [{ name: 'e', mountPath: '/e' }, { name: 'h', mountPath: '/h' }] }],
    },
  } as Pod);
  const volumes = new Map([
    ['e', { name: 'e', source: '/run/podrun/pods/p1/volumes/e', forceReadOnly: false }],
    ['h', { name: 'h', source: '/srv', forceReadOnly: false }],
  ]);
  const plan = (idmap: IdMapPlan | null) =>
    buildContainerPlan({ pod: p, container: p.spec!.containers[0], field: 'spec.containers[0]', attempt: 0, image: layered, volumes, paths, idmap, envSources: { configMap: () => undefined, secret: () => undefined, fieldRef: () => undefined }, logs: KUBELET_LOG_LIMITS });
  const own = plan(rangePlan({ start: 1000000, count: 65536 }, { start: 1000000, count: 65536 }, 0));
  const root = own.ops[0];
  t.same(root.type === 'overlay' && root.lower, [podLayerPath(paths, '/data/layers/b/root'), podLayerPath(paths, '/data/layers/a/root')], 'the layers, top first, at their idmapped views');
  t.ok(root.type === 'overlay' && root.userxattr, 'overlayfs in a user namespace: userxattr');
  const bound = (pl: typeof own, target: string) => pl.ops.find((o) => o.type === 'bind' && o.target === target);
  t.match(bound(own, '/e'), { source: '/run/podrun/pods/p1/volumes/e' }, "the emptyDir in the pod's folder as it is");
  t.match(bound(own, '/h'), { source: podVolumeSource(paths, volumes.get('h')!) }, 'a hostPath at its idmapped view');
  t.same([own.maskedPaths, own.readonlyPaths], [[], []], 'Unmasked: no masked or read-only paths');
  const hostUsers = plan(null);
  t.ok(hostUsers.maskedPaths.includes('/proc/keys'), 'Unmasked has no effect without a user namespace');
  t.match(bound(hostUsers, '/h'), { source: '/srv' }, 'root without a user namespace binds the hostPath itself');
  const rootOp = hostUsers.ops[0];
  t.same(rootOp.type === 'overlay' && rootOp.lower, ['/data/layers/b/root', '/data/layers/a/root']);
});
