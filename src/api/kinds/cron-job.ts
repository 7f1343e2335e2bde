// CronJob (batch/v1): Jobs made on a schedule (src/controllers/cron-job.ts). The schedule is
// five-field cron or a macro (@hourly, ...), read by croner: a small library with no
// dependencies that knows time zones through Intl and vixie cron's day-of-month/day-of-week OR,
// as Kubernetes' robfig/cron does (cron-parser was the other choice; it pulls in luxon).
import { Cron } from 'croner';
import type { CronJob } from 'kubernetes-types/batch/v1';
import { registerKind } from '../../store/kinds';
import { humanDuration } from '../../cli/age';
import { child, invalid, required, unsupported, type ErrorList } from '../field-errors';
import type { KubeObject } from '../manifest';
import { dns1123Subdomain } from '../names';
import type { Schema } from '../schema';
import { validateObjectMeta } from '../validate-meta';
import { defaultTemplate, nonNegative, objectSchema } from '../workload';
import { jobSpecSchema, validateJobSpec } from './job';

const S = 'string' as const;
const I = 'integer' as const;

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** The schedule as croner reads it; throws with the reason when it is not a Kubernetes schedule. */
export function parseSchedule(schedule: string, timeZone?: string): Cron {
  const s = schedule.trim();
  if (/^(CRON_)?TZ=/.test(s)) throw new Error('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (s.startsWith('@')) {
    if (!MACROS.includes(s)) throw new Error(`unrecognized descriptor: ${s}`);
  } else if (s.split(/\s+/).length !== 5) {
    throw new Error(`expected exactly 5 fields, found ${s.split(/\s+/).length}: ${s}`);
  }
  // croner knows @midnight as @daily.
  const cron = new Cron(s === '@midnight' ? '@daily' : s, { paused: true, ...(timeZone ? { timezone: timeZone } : {}), legacyMode: true });
  // A time zone is only looked up when a time is computed.
  cron.nextRun();
  return cron;
}

const specSchema: Schema = {
  fields: {
    schedule: S,
    timeZone: S,
    startingDeadlineSeconds: I,
    concurrencyPolicy: S,
    suspend: 'boolean',
    jobTemplate: { fields: { metadata: { fields: { labels: { values: S }, annotations: { values: S }, name: S, namespace: S, generateName: S } }, spec: jobSpecSchema } },
    successfulJobsHistoryLimit: I,
    failedJobsHistoryLimit: I,
  },
};

function validate(o: KubeObject, errs: ErrorList): void {
  const cj = o as unknown as CronJob;
  validateObjectMeta(cj.metadata, 'metadata', { name: dns1123Subdomain }, errs);
  // The Jobs it makes are named <name>-<minutes>: 52 characters leave room for that in 63.
  if ((cj.metadata?.name ?? '').length > 52) errs.push(invalid('metadata.name', cj.metadata?.name, 'must be no more than 52 characters'));
  const spec = cj.spec;
  if (!spec) {
    errs.push(required('spec'));
    return;
  }
  if (!spec.schedule) errs.push(required('spec.schedule'));
  else {
    try {
      parseSchedule(spec.schedule, spec.timeZone);
    } catch (e) {
      const msg = (e as Error).message;
      if (/time zone/i.test(msg)) errs.push(invalid('spec.timeZone', spec.timeZone, 'unknown time zone'));
      else errs.push(invalid('spec.schedule', spec.schedule, msg.replace(/^CronPattern: /, '')));
    }
  }
  const policies = ['Allow', 'Forbid', 'Replace'];
  if (spec.concurrencyPolicy !== undefined && !policies.includes(spec.concurrencyPolicy)) errs.push(unsupported('spec.concurrencyPolicy', spec.concurrencyPolicy, policies));
  nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds', errs);
  nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit', errs);
  nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit', errs);
  validateJobSpec(spec.jobTemplate?.spec, child('spec.jobTemplate', 'spec'), errs, true);
}

registerKind({
  kind: 'CronJob',
  apiVersion: 'batch/v1',
  plural: 'cronjobs',
  shortNames: ['cj'],
  namespaced: true,
  durable: true,
  schema: objectSchema(specSchema),
  defaults: (o) => {
    const cj = o as unknown as CronJob;
    const spec = cj.spec!;
    const js = spec?.jobTemplate?.spec;
    return {
      ...o,
      spec: {
        ...spec,
        concurrencyPolicy: spec?.concurrencyPolicy ?? 'Allow',
        suspend: spec?.suspend ?? false,
        successfulJobsHistoryLimit: spec?.successfulJobsHistoryLimit ?? 3,
        failedJobsHistoryLimit: spec?.failedJobsHistoryLimit ?? 1,
        ...(spec?.jobTemplate ? { jobTemplate: { ...spec.jobTemplate, ...(js ? { spec: { ...js, template: defaultTemplate(js.template)! } } : {}) } } : {}),
      },
    } as KubeObject;
  },
  validate,
  columns: [
    { header: 'SCHEDULE', cell: (o) => (o.spec as CronJob['spec'])?.schedule ?? '' },
    { header: 'TIMEZONE', cell: (o) => (o.spec as CronJob['spec'])?.timeZone ?? '<none>' },
    { header: 'SUSPEND', cell: (o) => ((o.spec as CronJob['spec'])?.suspend ? 'True' : 'False') },
    { header: 'ACTIVE', cell: (o) => String((o.status as CronJob['status'])?.active?.length ?? 0) },
    { header: 'LAST SCHEDULE', cell: (o, now) => ((o.status as CronJob['status'])?.lastScheduleTime ? humanDuration(now - Date.parse((o.status as CronJob['status'])!.lastScheduleTime!)) : '<none>') },
  ],
});
