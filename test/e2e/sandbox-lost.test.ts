// The pod sandbox (the shim) as the kubelet treats it, with defaults only: a root container in
// a shared-PID pod cannot end it by signalling PID 1; when it is killed from outside, a pod
// under restartPolicy Always gets a new sandbox, its init containers run again, its emptyDir
// keeps its files, and the app container comes back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, IMAGE, missingE2e, SERVE, sleep } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: keep
spec:
  shareProcessNamespace: true
  volumes:
  - name: data
    emptyDir: {}
  initContainers:
  - name: init
    image: ${IMAGE}
    command: ["sh", "-c", "echo ran >> /data/runs"]
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: app
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
    volumeMounts: [{name: data, mountPath: /data}]
`;

/** The shim's pid, from the pod's sandbox record. */
function shimPid(root: string): number {
  const pods = path.join(root, 'pods');
  const [id] = fs.readdirSync(pods);
  return (JSON.parse(fs.readFileSync(path.join(pods, id!, 'sandbox.json'), 'utf8')) as { pid: number }).pid;
}

t.test('signals from inside the pod do not end it; a sandbox killed from outside is made again', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('keep.yaml', manifest)]);
  const first = await env.until('keep', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 30_000);
  t.ok(first, 'running');
  const shim = shimPid(env.root);

  const r = env.run(['exec', 'keep', '--', 'sh', '-c', 'kill -TERM 1; kill -HUP 1; kill -INT 1; echo sent']);
  t.equal(r.stdout, 'sent\n', 'the container signalled PID 1 (the shim)');
  await sleep(500);
  t.equal(shimPid(env.root), shim, 'the same sandbox');
  t.doesNotThrow(() => process.kill(shim, 0), 'the shim still runs');
  t.equal(env.ok(['exec', 'keep', '--', 'cat', '/data/runs']), 'ran\n', 'the pod still answers');

  process.kill(shim, 'SIGKILL');
  const back = await env.until('keep', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!p.status?.containerStatuses?.[0]?.state?.running, 60_000);
  t.ok(back, 'the app container runs again');
  t.equal(back?.status?.phase, 'Running');
  t.not(shimPid(env.root), shim, 'in a new sandbox');
  t.equal(back?.status?.initContainerStatuses?.[0]?.restartCount, 1, 'the init container ran again');
  t.equal(env.ok(['exec', 'keep', '--', 'cat', '/data/runs']), 'ran\nran\n', 'the emptyDir kept its file; init appended again');
  t.match(env.ok(['get', 'events', '--field-selector', 'involvedObject.name=keep']), /SandboxChanged\s+pod\/keep\s+Pod sandbox changed, it will be killed and re-created\./, 'the SandboxChanged event');
});

t.test('a sandbox that cannot be made again is tried again after the back-off period; the pod does not fail', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('retry.yaml', manifest.replace('name: keep', 'name: retry'))]);
  t.ok(await env.until('retry', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 30_000), 'running');
  const shim = shimPid(env.root);
  // The next sandbox's log cannot be opened: a folder where its file goes.
  const [id] = fs.readdirSync(path.join(env.root, 'pods'));
  const log = path.join(env.root, 'pods', id!, 'shim.log');
  fs.rmSync(log);
  fs.mkdirSync(log);
  process.kill(shim, 'SIGKILL');
  t.ok(await env.until('retry', () => /FailedCreatePodSandBox/.test(env.ok(['get', 'events', '--field-selector', 'involvedObject.name=retry'])), 30_000), 'the FailedCreatePodSandBox event');
  const meanwhile = JSON.parse(env.ok(['get', 'pod', 'retry', '-o', 'json'])) as { status?: { phase?: string } };
  t.not(meanwhile.status?.phase, 'Failed', `not failed for it (${meanwhile.status?.phase})`);
  fs.rmdirSync(log);
  const back = await env.until('retry', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!p.status?.containerStatuses?.[0]?.state?.running, 60_000);
  t.ok(back, 'the next try makes it: the app container runs again');
  t.equal(back?.status?.phase, 'Running');
});
