// podrun top pod [NAME] [-A] [--containers] [-l SELECTOR] [--no-headers]: kubectl top's table of
// CPU and memory usage, from the pods' cgroups (Podrun.top).

import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';
import { renderTable } from '../table';
import { formatCpu, formatMemory } from '../../cgroups/metrics';
import { labelSelector } from './get-objects';

export const topCommand: Command = {
  path: ['top', 'pod'],
  aliases: [['top', 'pods'], ['top', 'po']],
  usage: 'top pod [NAME | -l SELECTOR] [-A] [--containers] [--no-headers]',
  summary: 'Display resource (CPU/memory) usage of pods',
  details: [
    'Examples:',
    '  podrun top pod',
    '  podrun top pod web --containers',
    '  podrun top pod -A -l app=web',
  ].join('\n'),
  flags: [
    { name: 'all-namespaces', short: 'A', kind: 'bool', help: 'pods of every namespace' },
    { name: 'containers', kind: 'bool', help: 'a line for each container' },
    { name: 'no-headers', kind: 'bool', help: 'no header line' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'the pods whose labels match (app=web, tier in (a,b), !canary)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const selector = ctx.flags.string('selector');
    labelSelector(selector); // kubectl's error for a bad selector, before any work
    if (ctx.args.length > 1) throw usageError('top pod takes at most one pod name');
    const name = ctx.args[0];
    if (name && selector !== undefined) throw usageError('only one of NAME or --selector can be provided');
    const all = ctx.flags.bool('all-namespaces') && !name;
    const metrics = await ctx.podrun().top({ name, namespace: all ? undefined : ctx.namespace, selector });
    if (!metrics.length) {
      if (name) throw usageError(`Metrics not available for pod ${ctx.namespace}/${name}`);
      await write(ctx.io.stderr, all ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`);
      return 0;
    }
    const containers = ctx.flags.bool('containers');
    const head = [...(all ? ['NAMESPACE'] : []), ...(containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
    const rows: string[][] = ctx.flags.bool('no-headers') ? [] : [head];
    for (const m of metrics) {
      const ns = all ? [m.metadata.namespace] : [];
      if (containers) {
        for (const c of m.containers) rows.push([...ns, m.metadata.name, c.name, formatCpu(c.usage.cpu), formatMemory(c.usage.memory)]);
        continue;
      }
      // The pod's line is the sum of its containers, in the units kubectl sums.
      const cpu = m.containers.reduce((n, c) => n + Number(c.usage.cpu.replace(/n$/, '')), 0);
      const mem = m.containers.reduce((n, c) => n + Number(c.usage.memory.replace(/Ki$/, '')), 0);
      rows.push([...ns, m.metadata.name, formatCpu(`${cpu}n`), formatMemory(`${mem}Ki`)]);
    }
    await write(ctx.io.stdout, renderTable(rows));
    return 0;
  },
};
