// podrun label / annotate TYPE NAME... k=v k2- [--overwrite] [-l SELECTOR | --all] [--list]:
// kubectl's verbs for an object's labels and annotations, on every kind podrun stores. A pod
// changes through apply, as any pod update does, so a relabelled pod reaches the controllers as
// on a cluster (its ReplicaSet lets it go and makes another); other kinds are replaced with
// their kind's update rules. Each object is reported on its own line in kubectl's words.

import type { KubeObject } from '../../api/manifest';
import { PodrunError } from '../../errors';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { changedMap, labelChangeWord, parseAnnotationPairs, parseLabelPairs, splitResourcesAndPairs } from '../metadata-pairs';
import { formatError, usageError } from '../report-error';
import { parseTargets } from '../resources';
import { labelSelector, targetObjects } from './get-objects';
import { requirementsMatch } from '../../api/labels';
import { kindInfo } from '../../store/kinds';
import { dryRunApply } from '../../store/dry-run';
import { CHANGED_OUTPUT_FLAG, printChanged, type Changed } from '../changed-output';
import { DRY_RUN_FLAG, dryRunOf, type DryRun } from '../dry-run';

type What = 'label' | 'annotation';

/** The objects the resources and -l/--all name, each NotFound said on stderr; `single` when one object was named. */
async function selected(ctx: CommandContext, resources: string[], what: What): Promise<{ objs: KubeObject[]; missing: boolean; single: boolean }> {
  const all = ctx.flags.bool('all');
  const selector = labelSelector(ctx.flags.string('selector'));
  const targets = parseTargets(resources, { verb: what, nameRequired: !all && !selector });
  const named = targets.some((t) => t.names.length > 0);
  if (named && selector) throw usageError('name cannot be provided when a selector is specified');
  const namespace = ctx.flags.bool('all-namespaces') ? undefined : ctx.namespace;
  const objs: KubeObject[] = [];
  let missing = false;
  for (const target of targets) {
    const found = await targetObjects(ctx, target, namespace);
    missing ||= found.missing;
    objs.push(...found.objs.filter((o) => !selector || requirementsMatch(selector, o.metadata?.labels)));
  }
  return { objs, missing, single: targets.length === 1 && targets[0]!.names.length === 1 };
}

/** Writes the changed object: a pod through apply (the pod update rules, then the controllers see it), others replaced. */
async function store(ctx: CommandContext, next: KubeObject, resourceVersion: string | undefined): Promise<void> {
  if (next.kind === 'Pod') {
    const [result] = await ctx.podrun().apply([next]);
    if (result?.error) throw result.error;
    return;
  }
  // kubectl sends a merge patch, which checks the resourceVersion only when --resource-version is given.
  const { resourceVersion: _read, ...meta } = next.metadata ?? {};
  await ctx.podrun().update({ ...next, metadata: resourceVersion ? { ...meta, resourceVersion } : meta });
}

function conflict(o: KubeObject): PodrunError {
  const plural = kindInfo(o.kind)?.plural ?? `${o.kind.toLowerCase()}s`;
  return new PodrunError('Conflict', `Operation cannot be fulfilled on ${plural} "${o.metadata?.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`);
}

/** The stderr text of a failed object: the API server's status for a Conflict, else the usual line. */
function failure(err: unknown, debug: boolean): string {
  if (err instanceof PodrunError && err.code === 'Conflict') return `Error from server (Conflict): ${err.message}\n`;
  return formatError(err, debug);
}

async function editMetadata(ctx: CommandContext, what: What): Promise<number> {
  const field = what === 'label' ? 'labels' : 'annotations';
  const strategy: DryRun = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
  const { resources, pairs } = splitResourcesAndPairs(ctx.args, what);
  const changes = what === 'label' ? parseLabelPairs(pairs) : parseAnnotationPairs(pairs);
  const list = ctx.flags.bool('list');
  // kubectl's checks, in its order.
  if (ctx.flags.bool('all') && ctx.flags.string('selector')) throw usageError('cannot set --all and --selector at the same time');
  if (resources.length === 0) throw usageError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  if (changes.set.size === 0 && changes.remove.length === 0 && !list) throw usageError(`at least one ${what} update is required`);
  const { objs, missing, single } = await selected(ctx, resources, what);
  const resourceVersion = ctx.flags.string('resource-version') || undefined;
  if (resourceVersion && !single) throw usageError('--resource-version may only be used with a single resource');
  const overwrite = ctx.flags.bool('overwrite');
  let code = missing ? 1 : 0;
  const done: Changed[] = [];
  for (const o of objs) {
    try {
      const before = o.metadata?.[field];
      const after = changedMap(before, changes, what, overwrite);
      if (list) {
        // Changes with --list are worked out but not sent, as kubectl does.
        if (!single) await write(ctx.io.stdout, `Listing ${field} for ${o.kind}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.metadata?.name ?? ''}:\n`);
        const indent = single ? '' : ' ';
        for (const k of Object.keys(after).sort()) await write(ctx.io.stdout, `${indent}${k}=${after[k]}\n`);
        continue;
      }
      if (what === 'label') {
        for (const k of changes.remove) if (!(k in (before ?? {}))) await write(ctx.io.stdout, `label ${JSON.stringify(k)} not found.\n`);
      }
      if (resourceVersion && resourceVersion !== o.metadata?.resourceVersion) throw conflict(o);
      const metadata = { ...o.metadata };
      if (Object.keys(after).length) metadata[field] = after;
      else delete metadata[field];
      const next = { ...o, metadata };
      const changed = JSON.stringify(after) !== JSON.stringify(before ?? {});
      // A server dry run is judged by the rules the write would meet (label syntax, pod updates); nothing is kept.
      if (strategy === 'server' && changed) dryRunApply(next, o, new Date(ctx.io.now()).toISOString());
      else if (strategy === 'none' && changed) await store(ctx, next, resourceVersion);
      // annotate says `annotated` whatever changed; label says what it did.
      const action = what === 'label' ? labelChangeWord(before, after) : 'annotated';
      done.push({ kind: o.kind, name: o.metadata?.name ?? '', action, object: next });
    } catch (err) {
      await write(ctx.io.stderr, failure(err, ctx.debug));
      code = 1;
    }
  }
  await printChanged(ctx, done, strategy);
  return code;
}

function flags(what: What): Command['flags'] {
  const plural = `${what}s`;
  return [
    { name: 'overwrite', kind: 'bool', help: `allow ${plural} to be overwritten (otherwise an existing key with another value is refused)` },
    { name: 'list', kind: 'bool', help: `show the ${plural} of the object` },
    { name: 'all', kind: 'bool', help: 'every object of the given types in the namespace' },
    { name: 'all-namespaces', short: 'A', kind: 'bool', help: 'objects in every namespace' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'only objects whose labels match (app=web, tier in (a,b), !canary)' },
    { name: 'resource-version', kind: 'string', value: 'VERSION', help: `the ${what} update only succeeds if this is the object's current resourceVersion (one object only)` },
    DRY_RUN_FLAG,
    CHANGED_OUTPUT_FLAG,
  ];
}

export const labelCommand: Command = {
  path: ['label'],
  usage: 'label [--overwrite] TYPE NAME KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] | label TYPE/NAME KEY- | label TYPE (--all | -l SELECTOR) KEY=VAL',
  summary: 'Update the labels on an object',
  details: [
    'A label key and value must begin with a letter or number, and may contain letters, numbers, hyphens,',
    "dots, and underscores, up to 63 characters each; the key may begin with a DNS subdomain prefix and '/'.",
    '',
    'Examples:',
    '  podrun label pods web unhealthy=true',
    '  podrun label --overwrite pod/web status=unhealthy',
    '  podrun label pods --all status=unhealthy',
    '  podrun label deploy web tier-        # removes the label tier',
  ].join('\n'),
  flags: flags('label'),
  engine: 'spawn',
  run: (ctx) => editMetadata(ctx, 'label'),
};

export const annotateCommand: Command = {
  path: ['annotate'],
  usage: 'annotate [--overwrite] TYPE NAME KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] | annotate TYPE/NAME KEY-',
  summary: 'Update the annotations on an object',
  details: [
    'Examples:',
    "  podrun annotate pods web description='my frontend'",
    "  podrun annotate --overwrite deploy/web description='my frontend running nginx'",
    '  podrun annotate pods --all description=batch',
    '  podrun annotate pod web description-',
  ].join('\n'),
  flags: flags('annotation'),
  engine: 'spawn',
  run: (ctx) => editMetadata(ctx, 'annotation'),
};
