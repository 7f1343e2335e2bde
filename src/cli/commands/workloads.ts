// The verbs of workloads: scale, rollout (status, history, undo, restart, pause, resume) and
// set image, with kubectl's output (`deployment.apps/web scaled`).
import type { KubeObject } from '../../api/manifest';
import { PodrunError } from '../../errors';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { parseDuration } from '../duration';
import { renderTable } from '../table';
import { usageError } from '../report-error';
import { parseTargets, qualifiedKind, qualifiedPlural, type Target } from '../resources';
import { ROLLOUT_KINDS, type RolloutKind } from '../../rollout';
import { CHANGED_OUTPUT_FLAG, changedFormat, printChanged, type Changed } from '../changed-output';
import { DRY_RUN_FLAG, dryRunOf } from '../dry-run';

const SCALABLE = ['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet'];

/** The one workload a rollout verb is about: a Deployment, DaemonSet or StatefulSet (pause and resume: a Deployment). */
function oneRolloutTarget(ctx: CommandContext, action: string): { target: Target; name: string; kind: RolloutKind } {
  const verb = `rollout ${action}`;
  const targets = parseTargets(ctx.args, { verb, nameRequired: true });
  const t = targets[0]!;
  if (targets.length !== 1 || t.names.length !== 1) throw usageError(`${verb} takes one resource, got: ${ctx.args.join(' ')}`);
  const kind = t.kind.kind;
  const name = t.names[0]!;
  const pausing = action === 'pause' || action === 'resume';
  if (kind === 'Deployment' || (!pausing && (ROLLOUT_KINDS as readonly string[]).includes(kind))) return { target: t, name, kind: kind as RolloutKind };
  const group = t.kind.apiVersion.includes('/') ? `.${t.kind.apiVersion.split('/')[0]}` : '';
  if (action === 'status') throw usageError(`no status viewer has been implemented for ${kind}${group}`);
  // kubectl's words: `daemonsets.apps "agent" pausing is not supported`.
  if (pausing) throw new PodrunError('Invalid', `${t.kind.plural}${group} ${JSON.stringify(name)} ${action === 'pause' ? 'pausing' : 'resuming'} is not supported`);
  throw usageError(`no ${verb} for ${qualifiedKind(t.kind)}: podrun rolls out deployments, daemonsets and statefulsets`);
}

export const scaleCommand: Command = {
  path: ['scale'],
  usage: 'scale TYPE/NAME | TYPE NAME --replicas=N [--dry-run=client|server] [-o yaml|json|name]',
  summary: 'Set the replicas of a Deployment, ReplicaSet, ReplicationController or StatefulSet',
  details: ['Examples:', '  podrun scale deployment/web --replicas=5', '  podrun scale sts db --replicas=1'].join('\n'),
  flags: [{ name: 'replicas', kind: 'int', value: 'N', help: 'the new number of replicas (required)' }, DRY_RUN_FLAG, CHANGED_OUTPUT_FLAG],
  engine: 'spawn',
  async run(ctx) {
    const replicas = ctx.flags.int('replicas');
    if (replicas === undefined) throw usageError('required flag(s) "replicas" not set');
    if (replicas < 0) throw usageError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    const strategy = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
    changedFormat(ctx); // a bad -o fails before anything is scaled
    const targets = parseTargets(ctx.args, { verb: 'scale', nameRequired: true });
    const scaled: Changed[] = [];
    let code = 0;
    for (const t of targets) {
      if (!SCALABLE.includes(t.kind.kind)) throw usageError(`cannot scale ${qualifiedKind(t.kind)}: only deployments, replicasets, replicationcontrollers and statefulsets have replicas`);
      for (const name of t.names) {
        const ns = { namespace: ctx.namespace };
        let object: KubeObject;
        try {
          if (strategy === 'none') {
            object = await ctx.podrun().scale<KubeObject>(t.kind.kind, name, replicas, ns);
          } else {
            // A dry run reads the object (NotFound as the scale would say it) and changes only the copy.
            const now = await ctx.podrun().get<KubeObject>(t.kind.kind, name, ns);
            object = { ...now, spec: { ...(now.spec as object), replicas } };
          }
        } catch (err) {
          if (!(err instanceof PodrunError) || err.code !== 'NotFound') throw err;
          // kubectl's words name the resource with its group (`deployments.apps`).
          await write(ctx.io.stderr, `Error from server (NotFound): ${qualifiedPlural(t.kind)} "${name}" not found\n`);
          code = 1;
          continue;
        }
        const c: Changed = { kind: t.kind.kind, name, action: 'scaled', object };
        if (changedFormat(ctx)) scaled.push(c);
        else await printChanged(ctx, [c], strategy);
      }
    }
    await printChanged(ctx, scaled, strategy);
    return code;
  },
};

const rolloutFlags = [
  { name: 'to-revision', kind: 'int' as const, value: 'N', help: 'undo: the revision to go back to (default: the previous one)' },
  { name: 'timeout', kind: 'string' as const, value: 'DURATION', help: 'status: give up after this long (default: wait until done)' },
  { name: 'watch', short: 'w', kind: 'bool' as const, help: 'status: print each step (default true)' },
  { name: 'revision', kind: 'int' as const, value: 'N', help: 'history: the details of one revision' },
];

export const rolloutCommand: Command = {
  path: ['rollout'],
  usage: 'rollout status|history|undo|restart|pause|resume deployment/NAME|daemonset/NAME|statefulset/NAME [--to-revision=N]',
  summary: 'Manage the roll-outs of Deployments, DaemonSets and StatefulSets',
  details: ['Examples:', '  podrun rollout status deploy/web', '  podrun rollout history deploy/web', '  podrun rollout undo deploy/web --to-revision=1', '  podrun rollout restart deploy/web', '  podrun rollout status statefulset/db'].join('\n'),
  flags: rolloutFlags,
  engine: 'spawn',
  async run(ctx) {
    const [action, ...rest] = ctx.args;
    const actions = ['status', 'history', 'undo', 'restart', 'pause', 'resume'];
    if (!action || !actions.includes(action)) throw usageError(`unknown rollout command ${JSON.stringify(action ?? '')}: one of ${actions.join(', ')}`);
    const sub = { ...ctx, args: rest };
    const { target, name, kind } = oneRolloutTarget(sub, action);
    const client = ctx.podrun();
    const id = `${qualifiedKind(target.kind)}/${name}`;
    const ns = { namespace: ctx.namespace };
    switch (action) {
      case 'status': {
        const raw = ctx.flags.string('timeout');
        const timeoutMs = raw === undefined || raw === '0s' ? undefined : parseDuration(raw);
        const done = await client.rollout.status(name, { ...ns, kind, timeoutMs, progress: (line) => void write(ctx.io.stdout, `${line}\n`) });
        await write(ctx.io.stdout, `${done}\n`);
        return 0;
      }
      case 'history': {
        const history = await client.rollout.history(name, { ...ns, kind });
        const want = ctx.flags.int('revision');
        if (want !== undefined) {
          const r = history.find((h) => h.revision === want);
          if (!r) throw new PodrunError('NotFound', `unable to find the specified revision`);
          const t = r.template;
          await write(ctx.io.stdout, `${id} with revision #${want}\nPod Template:\n  Labels:\t${Object.entries(t?.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join('\n\t')}\n  Containers:\n${(t?.spec?.containers ?? []).map((c) => `   ${c.name}:\n    Image:\t${c.image}\n`).join('')}`);
          return 0;
        }
        await write(ctx.io.stdout, `${id} \n${renderTable([['REVISION', 'CHANGE-CAUSE'], ...history.map((h) => [String(h.revision), h.changeCause ?? '<none>'])])}\n`);
        return 0;
      }
      case 'undo': {
        const said = await client.rollout.undo(name, { ...ns, kind, toRevision: ctx.flags.int('to-revision') });
        await write(ctx.io.stdout, `${id} ${said}\n`);
        return 0;
      }
      case 'restart':
        await client.rollout.restart(name, { ...ns, kind });
        await write(ctx.io.stdout, `${id} restarted\n`);
        return 0;
      default: {
        const changed = action === 'pause' ? await client.rollout.pause(name, ns) : await client.rollout.resume(name, ns);
        if (!changed) throw new PodrunError('Invalid', `${id} is ${action === 'pause' ? 'already paused' : 'not paused'}`);
        await write(ctx.io.stdout, `${id} ${action === 'pause' ? 'paused' : 'resumed'}\n`);
        return 0;
      }
    }
  },
};

/** The pod template of a workload object, where `set image` changes it. */
function templateOf(o: KubeObject): { spec?: { containers: { name: string; image?: string }[]; initContainers?: { name: string; image?: string }[] } } | undefined {
  if (o.kind === 'CronJob') return (o.spec as { jobTemplate?: { spec?: { template?: never } } }).jobTemplate?.spec?.template;
  if (o.kind === 'Pod') return o as never;
  return (o.spec as { template?: never } | undefined)?.template;
}

export const setImageCommand: Command = {
  path: ['set', 'image'],
  usage: 'set image TYPE/NAME CONTAINER=IMAGE [CONTAINER=IMAGE...]',
  summary: "Change the image of containers in a workload's template (a roll-out follows)",
  details: ['Examples:', '  podrun set image deployment/web web=nginx:1.27', "  podrun set image deploy/web '*=busybox:1.36'"].join('\n'),
  flags: [],
  engine: 'spawn',
  async run(ctx) {
    const objArgs = ctx.args.filter((a) => !a.includes('='));
    const pairs = ctx.args.filter((a) => a.includes('=')).map((a) => a.split('=', 2) as [string, string]);
    if (pairs.length === 0) throw usageError('at least one image update is required');
    const targets = parseTargets(objArgs, { verb: 'set image', nameRequired: true });
    const client = ctx.podrun();
    for (const t of targets) {
      for (const name of t.names) {
        const obj = await client.get<KubeObject>(t.kind.kind, name, { namespace: ctx.namespace });
        const tmpl = templateOf(obj);
        if (!tmpl?.spec) throw usageError(`${qualifiedKind(t.kind)}/${name} has no pod template`);
        const all = [...tmpl.spec.containers, ...(tmpl.spec.initContainers ?? [])];
        for (const [c, image] of pairs) {
          const hits = c === '*' ? all : all.filter((x) => x.name === c);
          if (!hits.length) throw new PodrunError('Invalid', `unable to find container named "${c}"`);
          for (const h of hits) h.image = image;
        }
        if (obj.kind === 'Pod') await client.apply(obj);
        else await client.update(obj);
        await write(ctx.io.stdout, `${qualifiedKind(t.kind)}/${name} image updated\n`);
      }
    }
    return 0;
  },
};

