// podrun explain RESOURCE[.FIELD...] [--recursive] [--api-version GROUP/VERSION]: the API's
// documentation of a kind podrun knows, or of one field, in kubectl explain's layout. No engine
// is needed: the descriptions come from kubernetes-types (src/api/type-docs.ts).

import { TypeDocs } from '../../api/type-docs';
import { allKinds } from '../../store/kinds';
import type { Command } from '../context';
import { write } from '../context';
import { explain } from '../explain';
import { usageError } from '../report-error';
import { isNodeType } from '../resources';
import { kindForWord } from '../../store/kinds';

/** The kind a resource word names, Node (served, not stored) included. */
function kindOf(word: string): { kind: string; apiVersion: string } {
  if (isNodeType(word)) return { kind: 'Node', apiVersion: 'v1' };
  const info = kindForWord(word);
  if (!info) throw usageError(`the server doesn't have a resource type "${word}"`);
  return info;
}

export const explainCommand: Command = {
  path: ['explain'],
  usage: 'explain TYPE[.FIELD...] [--recursive] [--api-version=GROUP/VERSION]',
  summary: 'Describe the fields of a kind (pods, deployments, jobs, ...) and what they mean',
  details: [
    'Examples:',
    '  podrun explain pods',
    '  podrun explain pod.spec.containers',
    '  podrun explain deployment.spec --recursive',
    '  podrun explain cronjobs --api-version=batch/v1',
  ].join('\n'),
  flags: [
    { name: 'recursive', kind: 'bool', help: 'print the fields of fields, as a tree' },
    { name: 'api-version', kind: 'string', value: 'GROUP/VERSION', help: 'the API version of the kind (podrun knows one version of each)' },
  ],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length === 0) {
      const kinds = [...allKinds().map((k) => k.plural), 'nodes'].sort();
      throw usageError(`You must specify the type of resource to explain. Known types: ${kinds.join(', ')}`);
    }
    if (ctx.args.length > 1) throw usageError('We accept only this format: explain RESOURCE');
    const [resource, ...fieldPath] = ctx.args[0]!.split('.');
    const { kind, apiVersion } = kindOf(resource!);
    const asked = ctx.flags.string('api-version');
    if (asked && asked !== apiVersion) throw usageError(`no matches for kind "${kind}" in version "${asked}"`);
    await write(ctx.io.stdout, explain(new TypeDocs(), { kind, apiVersion, fieldPath: fieldPath.filter(Boolean), recursive: ctx.flags.bool('recursive') }));
    return 0;
  },
};
