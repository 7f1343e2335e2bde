// podrun delete pod NAME... | delete -f FILE: remove pods (or the objects of a manifest),
// printing kubectl's `pod "web" deleted` for each and its NotFound line for each one missing.

import { PodrunError } from '../../errors';
import type { DeleteOptions } from '../../types';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { applyNamespace, readManifests } from '../manifest-input';
import { formatError, notFoundText, resourceOf, usageError } from '../report-error';
import { parseTargets, podNames, qualifiedKind, qualifiedPlural, type Target } from '../resources';
import type { PropagationPolicy } from '../../controllers/garbage-collector';
import { kindInfo } from '../../store/kinds';
import type { KubeObject } from '../../api/manifest';
import { requirementsMatch } from '../../api/labels';
import { labelSelector } from './get-objects';
import { FILE_FLAGS } from './shared-flags';

export const FORCE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';

/**
 * kubectl's grace-period rules: --now is 1 s; a bare 0 becomes 1 unless --force, which alone
 * means 0 (kill at once). -1 (the default) leaves the pod's own terminationGracePeriodSeconds.
 */
export function gracePeriod(given: number | undefined, now: boolean, force: boolean): number {
  let grace = given ?? -1;
  if (now) {
    if (given !== undefined && given !== -1) throw usageError('--now and --grace-period cannot be specified together');
    grace = 1;
  }
  if (grace === 0 && !force) grace = 1;
  if (force && grace < 0) grace = 0;
  return grace;
}

async function deleteFiles(ctx: CommandContext, opts: DeleteOptions, verb: string, ignoreMissing: boolean): Promise<number> {
  const sources = await readManifests(ctx.flags.list('filename'), ctx.flags.bool('recursive'), ctx.io.stdin);
  let code = 0;
  for (const { source, objects } of sources) {
    if (objects.length === 0) continue;
    const results = await ctx.podrun().deleteObjects(applyNamespace(objects, ctx.namespace, ctx.namespaceGiven), opts);
    for (const r of results) {
      const info = kindInfo(r.kind);
      const kind = info ? qualifiedKind(info) : r.kind.toLowerCase();
      if (r.found) await write(ctx.io.stdout, `${kind} "${r.name}" ${verb}\n`);
      else if (!ignoreMissing) {
        await write(ctx.io.stderr, `Error from server (NotFound): error when deleting "${source}": ${resourceOf(r.kind)} "${r.name}" not found\n`);
        code = 1;
      }
    }
  }
  return code;
}

/** --cascade's words to a propagation policy; `true`/`false` as kubectl still takes them. */
function cascadePolicy(word: string | undefined): PropagationPolicy {
  switch (word ?? 'background') {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw usageError(`invalid cascade value (${word}). Must be "background", "foreground", or "orphan".`);
  }
}

/** `delete TYPE NAME...`, `delete TYPE -l SELECTOR`, `delete TYPE --all` for any kind; waits for each to be gone. */
async function deleteObjects(ctx: CommandContext, targets: Target[], opts: DeleteOptions, policy: PropagationPolicy, verb: string, ignoreMissing: boolean): Promise<number> {
  const client = ctx.podrun();
  const selector = labelSelector(ctx.flags.string('selector'));
  let code = 0;
  for (const t of targets) {
    let names = t.names;
    if (ctx.flags.bool('all') || selector) {
      if (names.length > 0) throw usageError('name cannot be provided when a selector or --all is specified');
      names = (await client.list<KubeObject>(t.kind.kind, { namespace: ctx.namespace })).filter((o) => !selector || requirementsMatch(selector, o.metadata?.labels)).map((o) => o.metadata!.name!);
    } else if (names.length === 0) throw usageError('resource(s) were provided, but no name was specified');
    const found = await Promise.all(names.map((name) => client.delete(t.kind.kind, name, { namespace: ctx.namespace, propagationPolicy: policy, gracePeriodSeconds: opts.gracePeriodSeconds })));
    for (const [k, name] of names.entries()) {
      if (!found[k]) {
        if (ignoreMissing) continue;
        await write(ctx.io.stderr, `Error from server (NotFound): ${qualifiedPlural(t.kind)} "${name}" not found\n`);
        code = 1;
        continue;
      }
      // As kubectl --wait: gone (a foreground deletion waits for the dependents) before the line.
      if (t.kind.kind !== 'Pod' && ctx.flags.bool('wait') !== false) await client.waitGone(t.kind.kind, name, { namespace: ctx.namespace });
      await write(ctx.io.stdout, `${qualifiedKind(t.kind)} "${name}" ${verb}\n`);
    }
  }
  return code;
}

export const deleteCommand: Command = {
  path: ['delete'],
  usage: 'delete TYPE NAME... | delete TYPE/NAME... | delete TYPE -l SELECTOR | delete -f FILENAME [--cascade=background|foreground|orphan] [--grace-period N] [--now] [--force]',
  summary: 'Delete objects (their dependents as --cascade says), or the objects in manifests',
  flags: [
    ...FILE_FLAGS,
    { name: 'grace-period', kind: 'int', value: 'N', help: "seconds between SIGTERM and SIGKILL (default: the pod's own)" },
    { name: 'now', kind: 'bool', help: 'same as --grace-period=1' },
    { name: 'force', kind: 'bool', help: 'with --grace-period=0, kill at once' },
    { name: 'all', kind: 'bool', help: 'every pod in the namespace' },
    { name: 'ignore-not-found', kind: 'bool', help: 'no error for objects that do not exist' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'the objects whose labels match' },
    { name: 'cascade', kind: 'string', value: 'POLICY', help: 'what happens to dependents: background (default), foreground or orphan' },
    { name: 'wait', kind: 'bool', help: 'wait until the objects are gone (default true)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const grace = gracePeriod(ctx.flags.int('grace-period'), ctx.flags.bool('now'), ctx.flags.bool('force'));
    const opts: DeleteOptions = { namespace: ctx.namespace };
    if (grace >= 0) opts.gracePeriodSeconds = grace;
    const forced = ctx.flags.bool('force') && grace === 0;
    if (forced) await write(ctx.io.stderr, FORCE_WARNING + '\n');
    const verb = forced ? 'force deleted' : 'deleted';
    const ignoreMissing = ctx.flags.bool('ignore-not-found');

    if (ctx.flags.list('filename').length > 0) {
      if (ctx.args.length > 0) throw usageError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form or with -f');
      return deleteFiles(ctx, opts, verb, ignoreMissing);
    }
    if (ctx.args.length === 0) throw usageError('You must provide one or more resources by argument or filename.');
    const client = ctx.podrun();
    const targets = parseTargets(ctx.args, { verb: 'delete' });
    const cascade = cascadePolicy(ctx.flags.string('cascade'));
    if (targets.some((t) => t.kind.kind !== 'Pod') || ctx.flags.has('selector')) return deleteObjects(ctx, targets, opts, cascade, verb, ignoreMissing);
    let names = podNames(ctx.args, { verb: 'delete' });
    if (ctx.flags.bool('all')) {
      if (names.length > 0) throw usageError('name cannot be provided when a selector or --all is specified');
      names = (await client.listPods(ctx.namespace)).map((p) => p.metadata?.name ?? '');
      if (names.length === 0) {
        await write(ctx.io.stderr, `No resources found in ${ctx.namespace} namespace.\n`);
        return 0;
      }
    } else if (names.length === 0) {
      throw usageError('resource(s) were provided, but no name was specified');
    }
    let code = 0;
    // As kubectl does: every deletion is asked for at once, then each is waited for (in order).
    const deletions = names.map((name) => client.deletePod(name, opts));
    for (const d of deletions) d.catch(() => undefined);
    for (const [k, name] of names.entries()) {
      try {
        await deletions[k];
        await write(ctx.io.stdout, `pod "${name}" ${verb}\n`);
      } catch (err) {
        if (!(err instanceof PodrunError) || err.code !== 'NotFound' || !notFoundText(err.message)) throw err;
        if (ignoreMissing) continue;
        await write(ctx.io.stderr, formatError(err, ctx.debug));
        code = 1;
      }
    }
    return code;
  },
};
