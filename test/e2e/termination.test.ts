// Deleting a pod as the kubelet terminates it, with defaults only: readiness drops at once,
// the app container stops first, then the native sidecars together, their preStop hooks side by
// side within the one remaining grace period (not one grace period each), and a container that
// had to be killed shows 137. The hooks log to a hostPath folder that outlives the pod.
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

const hook = (who: string) => JSON.stringify(['sh', '-c', `echo start ${who} >> /log/hooks; sleep 3; echo end ${who} >> /log/hooks`]);
const sidecar = (name: string) => `  - name: ${name}
    image: ${IMAGE}
    restartPolicy: Always
    command: ${JSON.stringify(SERVE)}
    lifecycle: {preStop: {exec: {command: ${hook(name)}}}}
    volumeMounts: [{name: log, mountPath: /log}]
`;

t.test('sidecars stop together after the app container, within one grace period', async (t) => {
  const env = await e2e(t);
  const logDir = path.join(env.dir, 'log');
  fs.mkdirSync(logDir, { mode: 0o777 });
  fs.chmodSync(logDir, 0o777);
  env.ok([
    'apply',
    '-f',
    env.file(
      'term.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: term
spec:
  terminationGracePeriodSeconds: 8
  volumes:
  - name: log
    hostPath: {path: ${logDir}, type: Directory}
  initContainers:
${sidecar('s1')}${sidecar('s2')}${sidecar('s3')}  containers:
  - name: app
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'echo app stopped >> /log/hooks; exit 0' TERM; while true; do sleep 1; done"]
    volumeMounts: [{name: log, mountPath: /log}]
`,
    ),
  ]);
  t.ok(await env.until('term', (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 30_000), 'Ready');
  const watch = env.start(['get', 'pod', 'term', '-w', '-o', 'json']);
  t.equal(env.ok(['delete', 'pod', 'term']), 'pod "term" deleted\n');
  // The watcher looks every 200 ms; the pod's end stays on show for a minute after it went.
  for (let i = 0; i < 50 && !/"phase": "Succeeded"/.test(watch.output()); i++) await sleep(100);
  await watch.stop();
  const lines = fs.readFileSync(path.join(logDir, 'hooks'), 'utf8').trim().split('\n');
  t.equal(lines[0], 'app stopped', 'the app container stops first');
  const starts = lines.filter((l) => l.startsWith('start')).length;
  const firstEnd = lines.findIndex((l) => l.startsWith('end'));
  t.equal(starts, 3, 'every sidecar ran its preStop hook');
  t.ok(firstEnd > 3, `the three hooks ran side by side (all started before any ended): ${lines.join(' | ')}`);
  t.equal(lines.filter((l) => l.startsWith('end')).length, 3, 'and each finished within the grace period');
  const seen = watch
    .output()
    .split(/\n(?=\{)/)
    .flatMap((s) => {
      try {
        return [JSON.parse(s) as { metadata?: { deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } }];
      } catch {
        return [];
      }
    });
  t.ok(
    seen.some((p) => p.metadata?.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False'),
    'a watcher sees the pod Terminating and not Ready',
  );
  const final = seen.find((p) => (p as { status?: { phase?: string } }).status?.phase === 'Succeeded') as { status?: { containerStatuses?: { state?: { terminated?: { reason?: string } } }[] } } | undefined;
  t.ok(final, 'and then how it ended: Succeeded (the app container stopped cleanly at SIGTERM)');
  t.equal(final?.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed', 'with its terminated state');
});
