// podrun apply -f FILE...: create or update the objects, one line per object in kubectl's words
// (`pod/web created`, `configmap/cfg unchanged`). Each object is applied on its own: one that
// fails is reported on stderr by name, the others still apply, and the exit code is 1.

import type { Command } from '../context';
import { write } from '../context';
import { applyNamespace, readManifests } from '../manifest-input';
import { ApplyError } from '../../errors';
import { kindInfo } from '../../store/kinds';
import { qualifiedKind } from '../resources';
import { formatError, usageError } from '../report-error';
import { FILE_FLAGS } from './shared-flags';

export const applyCommand: Command = {
  path: ['apply'],
  usage: 'apply -f FILENAME [-f FILENAME...]',
  summary: 'Create or update pods, configmaps and secrets from manifests',
  details: [
    'Examples:',
    '  podrun apply -f pod.yaml',
    '  podrun apply -f ./manifests/        # its *.yaml, *.yml and *.json files',
    '  cat pod.yaml | podrun apply -f -',
  ].join('\n'),
  flags: FILE_FLAGS,
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    const sources = await readManifests(ctx.flags.list('filename'), ctx.flags.bool('recursive'), ctx.io.stdin);
    if (sources.every((s) => s.objects.length === 0)) throw usageError('no objects passed to apply');
    let code = 0;
    for (const { source, objects } of sources) {
      if (objects.length === 0) continue;
      let results;
      try {
        results = await ctx.podrun().apply(applyNamespace(objects, ctx.namespace, ctx.namespaceGiven), { source });
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
        } else {
          const info = kindInfo(r.kind);
          await write(ctx.io.stdout, `${info ? qualifiedKind(info) : r.kind.toLowerCase()}/${r.name} ${r.action}\n`);
        }
      }
    }
    return code;
  },
};
