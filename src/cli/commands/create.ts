// podrun create deployment|job|cronjob NAME --image=IMAGE [-- COMMAND...], and
// `create job NAME --from=cronjob/X`: the objects kubectl create makes, applied as a whole.
import type { KubeObject } from '../../api/manifest';
import { jobFromCronJob } from '../../controllers/cron-job';
import type { Command, CommandContext } from '../context';
import { usageError } from '../report-error';
import { CHANGED_OUTPUT_FLAG, changedFormat, printChanged } from '../changed-output';
import { DRY_RUN_FLAG, dryRunOf } from '../dry-run';
import { dryRunApply } from '../../store/dry-run';
import { kindInfo } from '../../store/kinds';

function container(ctx: CommandContext, name: string): Record<string, unknown> {
  const image = ctx.flags.string('image');
  if (!image) throw usageError('required flag(s) "image" not set');
  const port = ctx.flags.int('port');
  return { name, image, ...(ctx.afterDash?.length ? { command: ctx.afterDash } : {}), ...(port ? { ports: [{ containerPort: port }] } : {}) };
}

function build(ctx: CommandContext, what: string, name: string): KubeObject | Promise<KubeObject> {
  const base = name.replace(/[^a-z0-9-]/g, '-');
  switch (what) {
    case 'deployment':
    case 'deploy': {
      const labels = { app: name };
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, labels },
        spec: { replicas: ctx.flags.int('replicas') ?? 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container(ctx, base)] } } },
      };
    }
    case 'job': {
      const from = ctx.flags.string('from');
      if (from) {
        const m = /^(?:cronjob|cronjobs|cj|cronjob\.batch)\/(.+)$/.exec(from);
        if (!m) throw usageError(`from must be an existing cronjob: ${from}`);
        return ctx
          .podrun()
          .get<KubeObject>('CronJob', m[1]!, { namespace: ctx.namespace })
          .then((cj) => jobFromCronJob(cj as never, name) as KubeObject);
      }
      return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [container(ctx, name)] } } } };
    }
    case 'cronjob':
    case 'cj': {
      const schedule = ctx.flags.string('schedule');
      if (!schedule) throw usageError('required flag(s) "schedule" not set');
      return {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name },
        spec: { schedule, jobTemplate: { metadata: { name }, spec: { template: { spec: { restartPolicy: ctx.flags.string('restart') ?? 'OnFailure', containers: [container(ctx, name)] } } } } },
      };
    }
    default:
      throw usageError(`unknown type to create: ${what}: deployment, job or cronjob`);
  }
}

export const createCommand: Command = {
  path: ['create'],
  usage: 'create deployment|job|cronjob NAME --image=IMAGE [--replicas=N] [--schedule=CRON] [--dry-run=client|server] [-o yaml|json|name] [-- COMMAND...] | create job NAME --from=cronjob/NAME',
  summary: 'Create a Deployment, Job or CronJob from flags',
  details: [
    'Examples:',
    '  podrun create deployment web --image=nginx --replicas=3',
    "  podrun create job once --image=busybox -- echo hello",
    "  podrun create cronjob tick --image=busybox --schedule='*/5 * * * *' -- date",
    '  podrun create job manual --from=cronjob/tick',
    '  podrun create deployment web --image=nginx --dry-run=client -o yaml',
  ].join('\n'),
  flags: [
    { name: 'image', kind: 'string', value: 'IMAGE', help: 'the image of the container' },
    { name: 'replicas', short: 'r', kind: 'int', value: 'N', help: 'deployment: how many pods (default 1)' },
    { name: 'port', kind: 'int', value: 'PORT', help: 'deployment: the container port' },
    { name: 'schedule', kind: 'string', value: 'CRON', help: 'cronjob: when (five-field cron or @hourly, ...)' },
    { name: 'restart', kind: 'string', value: 'POLICY', help: 'cronjob: OnFailure (default) or Never' },
    { name: 'from', kind: 'string', value: 'cronjob/NAME', help: "job: from a CronJob's jobTemplate" },
    DRY_RUN_FLAG,
    CHANGED_OUTPUT_FLAG,
  ],
  engine: 'spawn',
  takesCommand: true,
  async run(ctx) {
    const [what, name, ...extra] = ctx.args;
    if (!what) throw usageError('you must specify the type of resource to create: deployment, job or cronjob');
    if (!name) throw usageError(`NAME is required for create ${what}`);
    if (extra.length) throw usageError(`unexpected args: [${extra.join(' ')}]`);
    const strategy = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
    changedFormat(ctx); // a bad -o fails before anything is made
    const obj = await build(ctx, what, name);
    obj.metadata = { ...obj.metadata, namespace: ctx.namespace };
    // A client dry run asks the engine nothing: the object as built.
    if (strategy === 'client') {
      await printChanged(ctx, [{ kind: obj.kind, name, action: 'created', object: obj }], strategy);
      return 0;
    }
    const client = ctx.podrun();
    const existing = await client.get(obj.kind, name, { namespace: ctx.namespace }).then(
      () => true,
      () => false,
    );
    const info = kindInfo(obj.kind)!;
    if (existing) throw usageError(`${info.plural}.${info.apiVersion.split('/')[0]} "${name}" already exists`);
    if (strategy === 'server') {
      const outcome = dryRunApply(obj, undefined, new Date(ctx.io.now()).toISOString().replace(/\.\d+Z$/, 'Z'));
      await printChanged(ctx, [{ kind: obj.kind, name, action: 'created', object: outcome.object }], strategy);
      return 0;
    }
    await client.apply(obj);
    const object = changedFormat(ctx) ? await client.get<KubeObject>(obj.kind, name, { namespace: ctx.namespace }) : obj;
    await printChanged(ctx, [{ kind: obj.kind, name, action: 'created', object }], strategy);
    return 0;
  },
};
