// podrun delete pod NAME... | delete -f FILE: remove pods (or the objects of a manifest),
// printing kubectl's `pod "web" deleted` for each and its NotFound line for each one missing.

import { CRI_SANDBOX_ANNOTATION } from '../../kubelet/cri-pods';
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
import { DRY_RUN_FLAG, dryRunOf, dryRunSuffix } from '../dry-run';
import type { KindInfo } from '../../store/kinds';

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
      if (r.found) await write(ctx.io.stdout, deletedLine(ctx, kind, r.name, verb));
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
  let matched = 0;
  for (const t of targets) {
    let names = t.names;
    if (ctx.flags.bool('all') || selector) {
      if (names.length > 0) throw usageError('name cannot be provided when a selector or --all is specified');
      names = (await client.list<KubeObject>(t.kind.kind, { namespace: ctx.namespace })).filter((o) => !selector || requirementsMatch(selector, o.metadata?.labels)).map((o) => o.metadata!.name!);
    } else if (names.length === 0) throw usageError('resource(s) were provided, but no name was specified');
    matched += names.length;
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
      await write(ctx.io.stdout, deletedLine(ctx, qualifiedKind(t.kind), name, verb));
    }
  }
  if (matched === 0) await write(ctx.io.stdout, NONE_FOUND);
  return code;
}

/** What kubectl's DeleteResult prints when a selector or --all matched nothing (on stdout, no namespace). */
const NONE_FOUND = 'No resources found\n';

/** `pod "web" deleted`, or with -o name `pod/web` (kubectl's only other output for delete). */
function deletedLine(ctx: CommandContext, kind: string, name: string, verb: string): string {
  return ctx.flags.string('output') === 'name' ? `${kind}/${name}\n` : `${kind} "${name}" ${verb}\n`;
}

/**
 * --dry-run: what would be deleted, each object looked up and nothing changed; kubectl's lines
 * with `(dry run)` or `(server dry run)` after the verb, and its NotFound for each one missing.
 */
async function dryRunDelete(ctx: CommandContext, verb: string, ignoreMissing: boolean): Promise<number> {
  const client = ctx.podrun();
  const wanted: { kind: KindInfo; name: string; namespace: string }[] = [];
  if (ctx.flags.list('filename').length > 0) {
    for (const { objects } of await readManifests(ctx.flags.list('filename'), ctx.flags.bool('recursive'), ctx.io.stdin)) {
      for (const o of applyNamespace(objects, ctx.namespace, ctx.namespaceGiven)) {
        const info = kindInfo(o.kind);
        if (info) wanted.push({ kind: info, name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? ctx.namespace });
      }
    }
  } else {
    const selector = labelSelector(ctx.flags.string('selector'));
    for (const t of parseTargets(ctx.args, { verb: 'delete' })) {
      if (ctx.flags.bool('all') || selector) {
        if (t.names.length > 0) throw usageError('name cannot be provided when a selector or --all is specified');
        const objs = await client.list<KubeObject>(t.kind.kind, { namespace: ctx.namespace });
        for (const o of objs) if (!selector || requirementsMatch(selector, o.metadata?.labels)) wanted.push({ kind: t.kind, name: o.metadata?.name ?? '', namespace: ctx.namespace });
        continue;
      }
      if (t.names.length === 0) throw usageError('resource(s) were provided, but no name was specified');
      for (const name of t.names) wanted.push({ kind: t.kind, name, namespace: ctx.namespace });
    }
    if (wanted.length === 0) {
      await write(ctx.io.stdout, NONE_FOUND);
      return 0;
    }
  }
  let code = 0;
  for (const w of wanted) {
    const there = await client.get(w.kind.kind, w.name, { namespace: w.namespace }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof PodrunError && err.code === 'NotFound') return false;
        throw err;
      },
    );
    if (there) {
      await write(ctx.io.stdout, deletedLine(ctx, qualifiedKind(w.kind), w.name, verb));
    } else if (!ignoreMissing) {
      await write(ctx.io.stderr, `Error from server (NotFound): ${qualifiedPlural(w.kind)} "${w.name}" not found\n`);
      code = 1;
    }
  }
  return code;
}

export const deleteCommand: Command = {
  path: ['delete'],
  usage: 'delete TYPE NAME... | delete TYPE/NAME... | delete TYPE -l SELECTOR | delete -f FILENAME [--cascade=background|foreground|orphan] [--grace-period N] [--now] [--force] [--dry-run=client|server] [-o name]',
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
    DRY_RUN_FLAG,
    { name: 'output', short: 'o', kind: 'string', value: 'name', help: 'name: print TYPE/NAME for each object' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const grace = gracePeriod(ctx.flags.int('grace-period'), ctx.flags.bool('now'), ctx.flags.bool('force'));
    const opts: DeleteOptions = { namespace: ctx.namespace };
    if (grace >= 0) opts.gracePeriodSeconds = grace;
    const forced = ctx.flags.bool('force') && grace === 0;
    if (forced) await write(ctx.io.stderr, FORCE_WARNING + '\n');
    const dryRun = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
    const verb = (forced ? 'force deleted' : 'deleted') + dryRunSuffix(dryRun);
    const ignoreMissing = ctx.flags.bool('ignore-not-found');
    if (dryRun !== 'none') {
      if (ctx.flags.list('filename').length > 0 && ctx.args.length > 0) throw usageError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form or with -f');
      if (ctx.flags.list('filename').length === 0 && ctx.args.length === 0) throw usageError('You must provide one or more resources by argument or filename.');
      return dryRunDelete(ctx, verb, ignoreMissing);
    }

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
      // A kubelet's CRI sandboxes are its own to remove (crictl rmp), not podrun's.
      names = (await client.listPods(ctx.namespace)).filter((p) => !p.metadata?.annotations?.[CRI_SANDBOX_ANNOTATION]).map((p) => p.metadata?.name ?? '');
      if (names.length === 0) {
        await write(ctx.io.stdout, NONE_FOUND);
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
        await write(ctx.io.stdout, deletedLine(ctx, 'pod', name, verb));
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
