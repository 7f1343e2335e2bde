// podrun get pods [NAME...]: kubectl's pod table, or the pods as json, yaml, names or jsonpath.

import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../../errors';
import type { Command } from '../context';
import { write } from '../context';
import { podTable, sortPods } from '../format-pods';
import { parseOutputFormat, renderPods } from '../pod-output';
import { formatError, usageError } from '../report-error';
import { podNames } from '../resources';

export const getCommand: Command = {
  path: ['get'],
  usage: 'get pods [NAME...] [-o wide|json|yaml|name|jsonpath=TEMPLATE]',
  summary: 'List pods, or show some by name',
  details: [
    'Examples:',
    '  podrun get pods',
    '  podrun get pod web -o yaml',
    "  podrun get pod/web -o jsonpath='{.status.phase}'",
    '  podrun get pods -A -o wide',
  ].join('\n'),
  flags: [
    { name: 'output', short: 'o', kind: 'string', value: 'FORMAT', help: 'wide, json, yaml, name or jsonpath=TEMPLATE' },
    { name: 'all-namespaces', short: 'A', kind: 'bool', help: 'list pods in every namespace' },
    { name: 'no-headers', kind: 'bool', help: 'leave out the table header' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const names = podNames(ctx.args);
    const format = parseOutputFormat(ctx.flags.string('output'));
    const all = ctx.flags.bool('all-namespaces');
    if (all && names.length > 0) throw usageError('a resource cannot be retrieved by name across all namespaces');
    const client = ctx.podrun();
    let code = 0;
    let pods: Pod[];
    if (names.length === 0) {
      pods = sortPods(await client.listPods(all ? undefined : ctx.namespace));
    } else {
      pods = [];
      for (const name of names) {
        try {
          pods.push(await client.getPod(name, ctx.namespace));
        } catch (err) {
          if (!(err instanceof PodrunError) || err.code !== 'NotFound') throw err;
          await write(ctx.io.stderr, formatError(err, ctx.debug));
          code = 1;
        }
      }
    }

    if (format.kind === 'table') {
      if (pods.length === 0) {
        if (names.length === 0) await write(ctx.io.stderr, all ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`);
        return code;
      }
      let table = podTable(pods, { wide: format.wide, withNamespace: all, now: ctx.io.now() });
      if (ctx.flags.bool('no-headers')) table = table.slice(table.indexOf('\n') + 1);
      await write(ctx.io.stdout, table);
      return code;
    }
    // A named pod that was not found printed its error; nothing else to show.
    if (names.length > 0 && pods.length === 0) return code;
    await write(ctx.io.stdout, renderPods(pods, format, names.length === 1));
    return code;
  },
};
