// podrun logs NAME [-c C]: a container's log, line by line; with -f until the container exits.

import type { Command } from '../context';
import { write } from '../context';
import { logsContainer } from '../container-choice';
import { usageError } from '../report-error';
import { isPodType } from '../resources';
import { podFor } from '../pod-of';
import type { LogOptions } from '../../types';

/** `NAME`, `pod/NAME`, `pod NAME`, or kubectl's older `NAME CONTAINER`. */
function target(args: string[]): { name: string; container?: string } {
  if (args.length === 0) throw usageError('expected POD or TYPE/NAME as the first argument');
  // TYPE/NAME: a pod, or a workload whose pod is picked below (podFor).
  if (args[0]!.includes('/')) return { name: args[0]!, container: args[1] };
  if (args.length >= 2 && isPodType(args[0]!)) return { name: args[1]!, container: args[2] };
  if (args.length > 2) throw usageError(`expected at most a pod and a container, got: ${args.join(' ')}`);
  return { name: args[0]!, container: args[1] };
}

export const logsCommand: Command = {
  path: ['logs'],
  usage: 'logs NAME|TYPE/NAME [-c CONTAINER] [-f] [-p] [--timestamps] [--tail N]',
  summary: "Print a container's log",
  flags: [
    { name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the container (required when the pod has several)' },
    { name: 'follow', short: 'f', kind: 'bool', help: 'keep printing until the container exits' },
    { name: 'previous', short: 'p', kind: 'bool', help: "the log of the container's previous run" },
    { name: 'timestamps', kind: 'bool', help: 'prefix each line with its RFC 3339 time' },
    { name: 'tail', kind: 'int', value: 'N', help: 'only the last N lines (-1, the default, for all)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const t = target(ctx.args);
    const requested = ctx.flags.string('container') ?? t.container;
    const client = ctx.podrun();
    const chosen = await podFor(client, t.name, ctx.namespace);
    if (chosen.note) await write(ctx.io.stderr, `${chosen.note}\n`);
    t.name = chosen.name;
    const pod = await client.getPod(t.name, ctx.namespace);
    const opts: LogOptions = {
      namespace: ctx.namespace,
      container: logsContainer(pod, requested),
      follow: ctx.flags.bool('follow'),
      previous: ctx.flags.bool('previous'),
      timestamps: ctx.flags.bool('timestamps'),
    };
    const tail = ctx.flags.int('tail');
    if (tail !== undefined && tail >= 0) opts.tailLines = tail;
    for await (const line of client.logs(t.name, opts)) await write(ctx.io.stdout, line + '\n');
    return 0;
  },
};
