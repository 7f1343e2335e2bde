// A CronJob against a real engine: at the next minute it makes a Job named after the scheduled
// time, whose pod runs to completion; status tracks lastScheduleTime and lastSuccessfulTime.
import t from 'tap';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { KubeObject } from '../../src/api/manifest';
import { coveredByRootRun, IMAGE, missingBusybox, missingFeature, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('every minute: a Job named <cronjob>-<minutes>, run to completion, recorded in status', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const cj = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE, command: ['/bin/sh', '-c', 'echo tick'] }] } } } } },
  };
  await podrun.apply(cj as KubeObject);
  const stored = await podrun.get<CronJob>('cj', 'tick');
  t.match(stored.spec, { concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 }, 'defaults');
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 100_000);
  let done: CronJob | undefined;
  for await (const ev of podrun.watch<CronJob>({ kinds: ['CronJob'], signal: ac.signal })) {
    if (ev.type !== 'MODIFIED' && ev.type !== 'ADDED') continue;
    if (ev.object.status?.lastSuccessfulTime) {
      done = ev.object;
      break;
    }
  }
  clearTimeout(timer);
  t.ok(done, 'a scheduled Job succeeded within the next minute or so');
  const at = Date.parse(done!.status!.lastScheduleTime!);
  t.equal(new Date(at).getUTCSeconds(), 0, 'scheduled on the minute');
  const jobs = await podrun.list<Job>('jobs');
  const job = jobs.find((j) => j.metadata?.name === `tick-${Math.floor(at / 60000)}`);
  t.ok(job, `the Job is named after its time (${jobs.map((j) => j.metadata?.name).join(', ')})`);
  t.equal(job?.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], done!.status!.lastScheduleTime);
  t.equal(job?.metadata?.ownerReferences?.[0]?.kind, 'CronJob');
  await podrun.delete('cronjobs', 'tick');
  t.same(await podrun.list('jobs'), [], 'its Jobs go with it');
});
