// The CronJob controller: at each scheduled time (in the CronJob's timeZone) a Job from the
// jobTemplate, named <cronjob>-<minutes since the epoch of that time> so that a restarted
// engine never makes the same one twice. concurrencyPolicy Allow, Forbid (skip while one
// runs) or Replace (delete the running ones); a time missed by more than
// startingDeadlineSeconds is skipped; finished Jobs beyond the history limits are deleted.
// The controller wakes at the next scheduled time: a timer for that moment, not a poll.
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import { parseSchedule } from '../api/kinds/cron-job';
import type { KubeObject } from '../api/manifest';
import { checkObject } from '../store/apply';
import type { Controller, ControllerContext } from './context';
import { controllerRef, isControlledBy } from './owners';

type CJ = CronJob & KubeObject;
type J = Job & KubeObject;

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed times than this and Kubernetes gives up counting them (and says so). */
const MAX_MISSED = 100;

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const finishedAs = (j: J): 'Complete' | 'Failed' | undefined =>
  (j.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as 'Complete' | 'Failed' | undefined;

/** A Job of the CronJob's template for the time `at` (also `create job --from=cronjob/X`). */
export function jobFromCronJob(cj: CJ, name: string, at?: number): J {
  const t = cj.spec!.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata!.namespace,
      ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
      annotations: { ...t.metadata?.annotations, ...(at !== undefined ? { [SCHEDULED_TIMESTAMP]: rfc3339(at) } : { 'cronjob.kubernetes.io/instantiate': 'manual' }) },
      ownerReferences: [controllerRef(cj)],
    },
    spec: structuredClone(t.spec!),
  };
}

export class CronJobController implements Controller {
  readonly kind = 'CronJob';
  constructor(private readonly ctx: ControllerContext) {}

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const cj = store.get<CJ>('CronJob', namespace, name);
    if (!cj || cj.metadata?.deletionTimestamp) return;
    const spec = cj.spec!;
    const now = Date.now();
    const jobs = store.list<J>('Job', namespace).filter((j) => isControlledBy(j, cj));
    const active = jobs.filter((j) => !finishedAs(j) && !j.metadata?.deletionTimestamp);
    const prev = cj.status ?? {};
    let lastScheduleTime = prev.lastScheduleTime;
    const sched = parseSchedule(spec.schedule, spec.timeZone);

    // The latest scheduled time not acted on yet, if it has come.
    const since = Date.parse(lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '') || now;
    let due: number | undefined;
    let missed = 0;
    for (let t = sched.nextRun(new Date(since))?.getTime(); t !== undefined && t <= now; t = sched.nextRun(new Date(t))?.getTime()) {
      due = t;
      if (++missed > MAX_MISSED) break;
    }
    if (missed > MAX_MISSED) this.ctx.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');

    let current = active;
    if (due !== undefined && !spec.suspend) {
      const late = spec.startingDeadlineSeconds !== undefined && now - due > spec.startingDeadlineSeconds * 1000;
      const jobName = `${name}-${Math.floor(due / 60000)}`;
      if (late) {
        this.ctx.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(due)}`);
        lastScheduleTime = rfc3339(due);
      } else if (store.get('Job', namespace, jobName)) {
        lastScheduleTime = rfc3339(due); // made before (an engine that died before writing status)
      } else if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
        // Not now: the next look is when the running Job finishes (its change wakes this).
        this.ctx.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        return this.writeStatus(cj, active, jobs, lastScheduleTime, sched, now);
      } else {
        if (spec.concurrencyPolicy === 'Replace') {
          for (const j of active) {
            this.ctx.deleteObject('Job', namespace, j.metadata!.name!);
            this.ctx.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata!.name}`);
          }
          current = [];
        }
        const made = store.create(checkObject(jobFromCronJob(cj, jobName, due)));
        this.ctx.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`);
        current = [...current, made as J];
        lastScheduleTime = rfc3339(due);
      }
    }
    this.cleanup(cj, jobs);
    return this.writeStatus(cj, current, jobs, lastScheduleTime, sched, now);
  }

  private writeStatus(cj: CJ, active: J[], jobs: J[], lastScheduleTime: string | undefined, sched: ReturnType<typeof parseSchedule>, now: number): number | void {
    const succeededAt = jobs
      .filter((j) => finishedAs(j) === 'Complete')
      .map((j) => j.status?.completionTime)
      .filter((x): x is string => !!x)
      .sort()
      .pop();
    const ref = (j: J): ObjectReference => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata!.name, namespace: j.metadata!.namespace, uid: j.metadata!.uid, resourceVersion: j.metadata!.resourceVersion });
    const status: CronJobStatus = {
      ...(active.length ? { active: active.map(ref) } : {}),
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(succeededAt ?? cj.status?.lastSuccessfulTime ? { lastSuccessfulTime: succeededAt ?? cj.status?.lastSuccessfulTime } : {}),
    };
    // resourceVersions of the active Jobs change with every change of theirs; compare without.
    const strip = (s: CronJobStatus | undefined) => JSON.stringify({ ...s, active: s?.active?.map((a) => a.uid) });
    if (strip(status) !== strip(cj.status)) this.ctx.store.updateStatus('CronJob', cj.metadata!.namespace, cj.metadata!.name!, status);
    if (cj.spec?.suspend) return;
    const next = sched.nextRun(new Date(now))?.getTime();
    return next === undefined ? undefined : next - now + 1;
  }

  /** Finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit go, oldest first. */
  private cleanup(cj: CJ, jobs: J[]): void {
    const oldestFirst = (a: J, b: J) => (a.status?.startTime ?? a.metadata?.creationTimestamp ?? '').localeCompare(b.status?.startTime ?? b.metadata?.creationTimestamp ?? '');
    for (const [as, limit] of [
      ['Complete', cj.spec?.successfulJobsHistoryLimit ?? 3],
      ['Failed', cj.spec?.failedJobsHistoryLimit ?? 1],
    ] as const) {
      const done = jobs.filter((j) => finishedAs(j) === as && !j.metadata?.deletionTimestamp).sort(oldestFirst);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) this.ctx.deleteObject('Job', j.metadata!.namespace!, j.metadata!.name!);
    }
  }
}
