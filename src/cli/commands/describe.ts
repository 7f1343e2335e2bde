// podrun describe pod NAME: kubectl's detailed text for one pod, or every pod of the namespace.

import type { Command, CommandContext } from '../context';
import { describeNode } from '../format-nodes';
import { write } from '../context';
import { describePod } from '../describe';
import { podEvents } from '../format-events';
import { sortPods } from '../format-pods';
import { isNodeType, nodeNames, parseTargets, podNames, type Target } from '../resources';
import { targetObjects } from './get-objects';
import { describeObject } from '../describe-objects';
import { objectEvents } from '../format-events';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';

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

/** `describe deploy web`, `describe jobs`, `describe pvc/data-db-0`: kubectl's layout for each kind. */
async function describeObjects(ctx: CommandContext, targets: Target[]): Promise<number> {
  const client = ctx.podrun();
  const events = await client.listEvents({ namespace: ctx.namespace });
  const pods = await client.listPods(ctx.namespace);
  const texts: string[] = [];
  let code = 0;
  for (const t of targets) {
    const { objs, missing } = await targetObjects(ctx, t, ctx.namespace);
    if (missing) code = 1;
    const replicaSets = t.kind.kind === 'Deployment' ? await client.list<ReplicaSet>('ReplicaSet', { namespace: ctx.namespace }) : [];
    for (const o of objs) {
      const owned = (x: { metadata?: { ownerReferences?: { uid: string; controller?: boolean }[] } }) => (x.metadata?.ownerReferences ?? []).some((r) => r.uid === o.metadata?.uid && r.controller);
      const mine = t.kind.kind === 'PersistentVolumeClaim' ? pods.filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === o.metadata?.name)) : pods.filter(owned);
      texts.push(describeObject(o, t.kind, { events: objectEvents(events, o, o.kind), pods: mine, replicaSets: replicaSets.filter(owned), now: ctx.io.now() }));
    }
  }
  if (texts.length === 0 && code === 0) await write(ctx.io.stderr, `No resources found in ${ctx.namespace} namespace.\n`);
  else await write(ctx.io.stdout, texts.join('\n\n'));
  return code;
}

export const describeCommand: Command = {
  path: ['describe'],
  usage: 'describe TYPE [NAME...] | describe TYPE/NAME... | describe node [NAME]',
  summary: 'Show the details of objects: pods (containers, states, volumes), deployments, jobs, claims, ...',
  flags: [],
  engine: 'spawn',
  async run(ctx) {
    if (isNodeType(ctx.args[0])) return describeNodes(ctx);
    const targets = parseTargets(ctx.args, { verb: 'describe' });
    if (targets.length > 1 || targets[0]!.kind.kind !== 'Pod') return describeObjects(ctx, targets);
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
