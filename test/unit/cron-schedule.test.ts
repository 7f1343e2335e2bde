// CronJob schedules as Kubernetes accepts them: five fields or a macro, time zones by name, and
// the errors name the field.
import t from 'tap';
import { parseSchedule } from '../../src/api/kinds/cron-job';
import { objectErrors } from '../../src/api/validate';
import '../../src/api/kinds';

t.test('schedules', async (t) => {
  const at = new Date('2026-03-01T10:07:30Z');
  t.equal(parseSchedule('*/15 * * * *').nextRun(at)?.toISOString(), '2026-03-01T10:15:00.000Z');
  t.equal(parseSchedule('@hourly').nextRun(at)?.toISOString(), '2026-03-01T11:00:00.000Z');
  t.equal(parseSchedule('@midnight').nextRun(at)?.toISOString(), '2026-03-02T00:00:00.000Z');
  t.equal(parseSchedule('0 12 * * *', 'Asia/Tokyo').nextRun(at)?.toISOString(), '2026-03-02T03:00:00.000Z', 'noon in Tokyo');
  t.throws(() => parseSchedule('* * * * * *'), /expected exactly 5 fields, found 6/);
  t.throws(() => parseSchedule('TZ=UTC * * * * *'), /use timeZone field instead/);
  t.throws(() => parseSchedule('@often'), /unrecognized descriptor/);
});

t.test('a CronJob whose schedule does not parse names the field', async (t) => {
  const cj = (schedule: string, timeZone?: string) => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c' },
    spec: { schedule, ...(timeZone ? { timeZone } : {}), jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'x' }] } } } } },
  });
  t.match(objectErrors(cj('61 * * * *'))[0]?.message, /^spec\.schedule: Invalid value: "61 \* \* \* \*": /);
  t.match(objectErrors(cj('* * * * *', 'Mars/Base'))[0]?.message, /^spec\.timeZone: Invalid value: "Mars\/Base": unknown time zone/);
  t.same(objectErrors(cj('*/5 * * * *', 'Europe/Berlin')), []);
});
