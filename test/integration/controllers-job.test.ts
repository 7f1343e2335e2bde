// Jobs against a real engine, with the default back-off (10 s doubling): completions with
// parallelism and pods that fail twice before the rest succeed; backoffLimit exceeded; an
// Indexed Job whose pods see each index once; labels, conditions and counts as on Kubernetes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../src/api/manifest';
import type { Podrun } from '../../src/podrun';
import { coveredByRootRun, IMAGE, logs, missingBusybox, missingFeature, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

type J = Job & KubeObject;

function job(name: string, script: string, spec: Partial<NonNullable<Job['spec']>> = {}, shared?: string): J {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'work', image: IMAGE, command: ['/bin/sh', '-c', script], ...(shared ? { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] } : {}) }],
          ...(shared ? { volumes: [{ name: 'shared', hostPath: { path: shared } }] } : {}),
        },
      },
      ...spec,
    },
  };
}

async function jobUntil(podrun: Podrun, name: string, test: (j: J) => boolean, timeoutMs = 120_000): Promise<J> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let last: J | undefined;
  try {
    for await (const ev of podrun.watch<J>({ kinds: ['Job'], signal: ac.signal })) {
      if (ev.type === 'EVENT' || ev.type === 'BOOKMARK' || ev.object.metadata?.name !== name) continue;
      last = ev.object;
      if (test(last)) return last;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`timed out: ${JSON.stringify(last?.status)}`);
}

const cond = (j: J, type: string) => (j.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
const podsOf = async (podrun: Podrun, name: string): Promise<Pod[]> => (await podrun.listPods()).filter((p) => p.metadata?.labels?.['job-name'] === name);

t.test('completions 5, parallelism 2, two pods fail first: Complete with succeeded 5', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  // mkdir is atomic: the first two pods to run fail, every later one succeeds.
  const script = 'if mkdir /shared/f1 2>/dev/null || mkdir /shared/f2 2>/dev/null; then exit 3; fi; exit 0';
  fs.chmodSync(env.scratch, 0o777);
  await podrun.apply(job('batch', script, { completions: 5, parallelism: 2 }, env.scratch));
  const done = await jobUntil(podrun, 'batch', (j) => !!cond(j, 'Complete') || !!cond(j, 'Failed'));
  t.ok(cond(done, 'Complete'), `Complete (${JSON.stringify(done.status?.conditions)})`);
  t.ok(cond(done, 'SuccessCriteriaMet'), 'SuccessCriteriaMet first');
  t.match(done.status, { succeeded: 5, failed: 2 });
  t.notOk(done.status?.active, 'nothing active');
  t.ok(done.status?.startTime && done.status.completionTime, 'startTime and completionTime');
  t.ok(fs.existsSync(path.join(env.scratch, 'f2')));
  const pods = await podsOf(podrun, 'batch');
  t.equal(pods.length, 7, 'five successes and two failures are kept');
  for (const p of pods) {
    t.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 'batch');
    t.equal(p.metadata?.labels?.['controller-uid'], done.metadata?.uid);
    t.match(p.metadata?.name, /^batch-[a-z0-9]{5}$/);
  }
  await podrun.delete('job', 'batch');
  t.equal((await podsOf(podrun, 'batch')).filter((p) => !p.metadata?.deletionTimestamp).length, 0, 'deleting the Job deletes its pods');
});

t.test('backoffLimit exceeded: Failed with BackoffLimitExceeded', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(job('fails', 'exit 1', { backoffLimit: 1 }));
  const done = await jobUntil(podrun, 'fails', (j) => !!cond(j, 'Failed'));
  t.match(cond(done, 'Failed'), { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  t.match(cond(done, 'FailureTarget'), { reason: 'BackoffLimitExceeded' });
  t.equal(done.status?.failed, 2, 'two tries (backoffLimit 1)');
  const events = (await podrun.listEvents()).filter((e) => e.involvedObject.kind === 'Job');
  t.ok(events.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'), 'a Warning event');
});

t.test('an Indexed Job: each index 0..N-1 runs exactly once, and knows its index', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(job('idx', 'echo "index $JOB_COMPLETION_INDEX host $(hostname)"', { completions: 4, parallelism: 2, completionMode: 'Indexed' }));
  const done = await jobUntil(podrun, 'idx', (j) => !!cond(j, 'Complete') || !!cond(j, 'Failed'));
  t.ok(cond(done, 'Complete'));
  t.equal(done.status?.completedIndexes, '0-3');
  const pods = await podsOf(podrun, 'idx');
  t.equal(pods.length, 4, 'one pod per index');
  const seen: string[] = [];
  for (const p of pods) {
    const i = p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
    t.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], i);
    t.match(p.metadata?.name, new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
    seen.push((await logs(podrun, p.metadata!.name!)).join(''));
  }
  t.same(seen.sort(), ['index 0 host idx-0', 'index 1 host idx-1', 'index 2 host idx-2', 'index 3 host idx-3']);
});

t.test('validation: restartPolicy must be OnFailure or Never; Indexed needs completions', async (t) => {
  const env = await setup(t, { image: false });
  const bad = job('bad', 'true');
  bad.spec!.template.spec!.restartPolicy = 'Always';
  await t.rejects(env.podrun.apply(bad), { message: 'Job "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"' });
  await t.rejects(env.podrun.apply(job('idx', 'true', { completionMode: 'Indexed', completions: undefined, parallelism: 2 })), { message: 'Job "idx" is invalid: spec.completions: Required value: when completion mode is Indexed' });
});
