// Rootless id mapping, tested as the unprivileged user itself. With subid mapping the pod's
// root is the user and ids 1.. come from /etc/subuid; with single mapping only root exists
// inside, and it is the user outside.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asRoot, execOut, IMAGE, isDone, logs, missingBusybox, missingFeature, mode, idMapping, payload, pod, podPaths, setup, subuidStart } from './harness';

const missing = missingFeature() ?? missingBusybox();
const why = missing ?? (asRoot || mode !== 'rootless' ? 'rootless id mapping is tested only with PODRUN_TEST_MODE=rootless as an unprivileged user' : undefined);
if (why) {
  t.comment(`skip: ${why}`);
  t.plan(0, why);
  process.exit(0);
}

const uid = process.getuid!();

t.test('subid mapping: root inside, runAsUser 1000 is subuid_start + 999 outside', { skip: idMapping !== 'subid' ? 'only with PODRUN_ID_MAPPING=subid' : false }, async (t) => {
  const start = subuidStart();
  if (start === undefined) {
    t.comment(`skip: no /etc/subuid range for uid ${uid}`);
    t.pass('nothing to check without a subordinate id range', { skip: `no /etc/subuid range for uid ${uid}` });
    return;
  }
  const env = await setup(t, { podrun: { idMapping: 'subid' } });
  const created = await env.podrun.createPod(
    pod('ids', {
      restartPolicy: 'Never',
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [
        { name: 'root', image: IMAGE, command: ['/bin/sh', '-c', 'id -u; id -g; /payload write /v/by-root r; sleep 3600'], volumeMounts: [{ name: 'v', mountPath: '/v' }] },
        { ...payload('user', 'id', '--then', 'write', '/v/by-1000', 'x', '--then', 'sleep', '3600'), securityContext: { runAsUser: 1000, runAsGroup: 1000 }, volumeMounts: [{ name: 'v', mountPath: '/v' }] },
      ],
    }),
  );
  const p = await env.podrun.waitFor('ids', (p) => (p.status?.containerStatuses ?? []).every((c) => c.state?.running) || isDone(p), { timeoutMs: 20_000 });
  t.equal(p.status?.phase, 'Running', 'both containers run');
  const rootOut = await execOut(env.podrun, 'ids', ['/bin/id', '-u'], { container: 'root' });
  t.equal(rootOut.stdout, '0\n', '`id -u` is 0 inside');
  const userOut = await execOut(env.podrun, 'ids', ['/payload', 'id'], { container: 'user' });
  t.match(userOut.stdout, /^uid=1000 gid=1000/, 'runAsUser 1000 inside');
  const vol = podPaths(env, created).volume('v');
  for (let i = 0; i < 100 && !(fs.existsSync(path.join(vol, 'by-1000')) && fs.existsSync(path.join(vol, 'by-root'))); i++) await new Promise((r) => setTimeout(r, 50));
  const st = fs.statSync(path.join(vol, 'by-1000'));
  t.equal(st.uid, start + 999, `a file made by uid 1000 belongs to ${start + 999} on the host`);
  t.equal(fs.statSync(path.join(vol, 'by-root')).uid, uid, "a file made by root belongs to the user on the host");
});

t.test('single mapping: runAsUser 0 works and is the user outside', { skip: idMapping !== 'single' ? 'only with PODRUN_ID_MAPPING=single' : false }, async (t) => {
  const env = await setup(t, { podrun: { idMapping: 'single' } });
  const created = await env.podrun.createPod(
    pod('single', {
      restartPolicy: 'Never',
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [{ ...payload('c', 'id', '--then', 'write', '/v/made', 'x', '--then', 'stat', '/v/made'), securityContext: { runAsUser: 0 }, volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
    }),
  );
  const done = await env.podrun.waitFor('single', isDone, { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Succeeded', 'the container runs as root and exits 0');
  const out = await logs(env.podrun, 'single');
  t.match(out[0], /^uid=0 gid=0/, 'uid 0 inside');
  t.match(out[1], /^0 0 /, 'the file is owned by root inside');
  t.equal(fs.statSync(path.join(podPaths(env, created).volume('v'), 'made')).uid, uid, `and by the user (${uid}) on the host`);
  // Only one id is mapped: another uid cannot exist in this pod.
  await env.podrun.createPod(pod('other', { restartPolicy: 'Never', containers: [{ ...payload('c', 'id'), securityContext: { runAsUser: 1000 } }] }));
  const other = await env.podrun.waitFor('other', isDone, { timeoutMs: 20_000 });
  t.equal(other.status?.phase, 'Failed', 'runAsUser 1000 fails with a single mapping');
});
