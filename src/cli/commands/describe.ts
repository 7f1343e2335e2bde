// podrun describe pod NAME: kubectl's detailed text for one pod, or every pod of the namespace.

import type { Command, CommandContext } from '../context';
import { describeNode } from '../format-nodes';
import { write } from '../context';
import { describePod } from '../describe';
import { podEvents } from '../format-events';
import { sortPods } from '../format-pods';
import { isNodeType, nodeNames, podNames } from '../resources';

/** `describe node [NAME]`: the node, and the pods that hold its resources. */
async function describeNodes(ctx: CommandContext): Promise<number> {
  const names = nodeNames(ctx.args);
  const client = ctx.podrun();
  const nodes = (await client.listNodes()).filter((n) => names.length === 0 || names.includes(n.metadata?.name ?? ''));
  const missing = names.find((name) => !nodes.some((n) => n.metadata?.name === name));
  if (missing) {
    await write(ctx.io.stderr, `Error from server (NotFound): nodes "${missing}" not found\n`);
    return 1;
  }
  const pods = (await client.listPods()).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const now = ctx.io.now();
  const texts = nodes.map((n) => describeNode(n, pods.filter((p) => p.spec?.nodeName === n.metadata?.name), now));
  await write(ctx.io.stdout, texts.join('\n\n'));
  return 0;
}

export const describeCommand: Command = {
  path: ['describe'],
  usage: 'describe pod [NAME...] | describe node [NAME]',
  summary: 'Show the details of pods: containers, states, conditions, volumes',
  flags: [],
  engine: 'spawn',
  async run(ctx) {
    if (isNodeType(ctx.args[0])) return describeNodes(ctx);
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
