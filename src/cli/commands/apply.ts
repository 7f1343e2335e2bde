// podrun apply -f FILE...: create or update the objects, one line per object in kubectl's words
// (`pod/web created`, `configmap/cfg unchanged`). Each object is applied on its own: one that
// fails is reported on stderr by name, the others still apply, and the exit code is 1.
// --dry-run=client says what would happen from what is stored, and prints the objects as given;
// --dry-run=server also checks and defaults them as the engine would, and keeps nothing.

import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { applyNamespace, readManifests } from '../manifest-input';
import { ApplyError, PodrunError } from '../../errors';
import type { KubeObject } from '../../api/manifest';
import { kindInfo } from '../../store/kinds';
import { noKindMatch } from '../../store/apply';
import { dryRunApply } from '../../store/dry-run';
import { formatError, usageError } from '../report-error';
import { CHANGED_OUTPUT_FLAG, changedFormat, printChanged, type Changed } from '../changed-output';
import { DRY_RUN_FLAG, dryRunOf, type DryRun } from '../dry-run';
import { FILE_FLAGS } from './shared-flags';

/** The stored object of that kind and name, or undefined. */
async function stored(ctx: CommandContext, o: KubeObject): Promise<KubeObject | undefined> {
  try {
    return await ctx.podrun().get<KubeObject>(o.kind, o.metadata?.name ?? '', { namespace: o.metadata?.namespace ?? ctx.namespace });
  } catch (err) {
    if (err instanceof PodrunError && (err.code === 'NotFound' || err.code === 'Invalid')) return undefined;
    throw err;
  }
}

/** One object of a dry run: its line (or the object for -o), or its error on stderr. */
async function dryRunOne(ctx: CommandContext, o: KubeObject, strategy: Exclude<DryRun, 'none'>): Promise<Changed> {
  const info = kindInfo(o.kind);
  if (!info || info.apiVersion !== o.apiVersion) throw noKindMatch(o);
  const name = o.metadata?.name ?? '';
  const now = await stored(ctx, o);
  if (strategy === 'client') return { kind: o.kind, name, action: now ? 'configured' : 'created', object: o };
  const outcome = dryRunApply(o, now, new Date(ctx.io.now()).toISOString().replace(/\.\d+Z$/, 'Z'));
  return { kind: o.kind, name, action: outcome.action, object: outcome.object };
}

export const applyCommand: Command = {
  path: ['apply'],
  usage: 'apply -f FILENAME [-f FILENAME...] [--dry-run=client|server] [-o yaml|json|name]',
  summary: 'Create or update pods, configmaps and secrets from manifests',
  details: [
    'Examples:',
    '  podrun apply -f pod.yaml',
    '  podrun apply -f ./manifests/        # its *.yaml, *.yml and *.json files',
    '  cat pod.yaml | podrun apply -f -',
    '  podrun apply -f pod.yaml --dry-run=server -o yaml',
  ].join('\n'),
  flags: [...FILE_FLAGS, DRY_RUN_FLAG, CHANGED_OUTPUT_FLAG],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    const strategy = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
    changedFormat(ctx); // a bad -o fails before anything is applied
    const sources = await readManifests(ctx.flags.list('filename'), ctx.flags.bool('recursive'), ctx.io.stdin);
    if (sources.every((s) => s.objects.length === 0)) throw usageError('no objects passed to apply');
    let code = 0;
    // Without -o each line goes out as its object is done; with -o the objects go out together (a List for several).
    const changed: Changed[] = [];
    const emit = (c: Changed): Promise<void> | void => (changedFormat(ctx) ? void changed.push(c) : printChanged(ctx, [c], strategy));
    for (const { source, objects } of sources) {
      if (objects.length === 0) continue;
      const objs = applyNamespace(objects, ctx.namespace, ctx.namespaceGiven);
      if (strategy !== 'none') {
        for (const o of objs) {
          try {
            await emit(await dryRunOne(ctx, o, strategy));
          } catch (err) {
            await write(ctx.io.stderr, formatError(err, ctx.debug));
            code = 1;
          }
        }
        continue;
      }
      let results;
      try {
        results = await ctx.podrun().apply(objs, { source });
      } catch (err) {
        if (!(err instanceof ApplyError)) {
          await write(ctx.io.stderr, formatError(err, ctx.debug));
          code = 1;
          continue;
        }
        results = err.results;
      }
      for (const r of results) {
        // As kubectl shows the API server's warnings: on stderr, before the object's line.
        for (const w of r.warnings ?? []) await write(ctx.io.stderr, `Warning: ${w}\n`);
        if (r.error) {
          await write(ctx.io.stderr, formatError(r.error, ctx.debug));
          code = 1;
          continue;
        }
        const c: Changed = { kind: r.kind, name: r.name, action: r.action };
        // -o prints the objects as the engine keeps them now.
        if (changedFormat(ctx)) c.object = await stored(ctx, { apiVersion: '', kind: r.kind, metadata: { name: r.name, namespace: r.namespace } });
        await emit(c);
      }
    }
    await printChanged(ctx, changed, strategy);
    return code;
  },
};
