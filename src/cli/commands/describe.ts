// podrun describe pod NAME: kubectl's detailed text for one pod, or every pod of the namespace.

import type { Command } from '../context';
import { write } from '../context';
import { describePod } from '../describe';
import { sortPods } from '../format-pods';
import { podNames } from '../resources';

export const describeCommand: Command = {
  path: ['describe'],
  usage: 'describe pod [NAME...]',
  summary: 'Show the details of pods: containers, states, conditions, volumes',
  flags: [],
  engine: 'spawn',
  async run(ctx) {
    const names = podNames(ctx.args, { verb: 'describe' });
    const client = ctx.podrun();
    const pods = names.length === 0 ? sortPods(await client.listPods(ctx.namespace)) : await Promise.all(names.map((n) => client.getPod(n, ctx.namespace)));
    if (pods.length === 0) {
      await write(ctx.io.stderr, `No resources found in ${ctx.namespace} namespace.\n`);
      return 0;
    }
    const now = ctx.io.now();
    // Events: podrun's API does not expose any yet; when it does, pass them as describePod's
    // second argument and they print in kubectl's Events table.
    const texts = pods.map((p) => describePod(p, undefined, now));
    await write(ctx.io.stdout, texts.join('\n\n'));
    return 0;
  },
};
