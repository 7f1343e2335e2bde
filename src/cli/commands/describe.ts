// podrun describe pod NAME: kubectl's detailed text for one pod, or every pod of the namespace.

import type { Command } from '../context';
import { write } from '../context';
import { describePod } from '../describe';
import { podEvents } from '../format-events';
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
    // One request for the namespace's events; podEvents picks each pod's own.
    const events = await client.listEvents({ namespace: ctx.namespace, pod: names.length === 1 ? names[0] : undefined });
    const now = ctx.io.now();
    const texts = pods.map((p) => describePod(p, podEvents(events, p), now));
    await write(ctx.io.stdout, texts.join('\n\n'));
    return 0;
  },
};
