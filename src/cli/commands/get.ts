// podrun get pods [NAME...]: kubectl's pod table, or the pods as json, yaml, names or jsonpath;
// with -w, then a line for each change. podrun get events: kubectl's event table.

import type { Event, Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../../errors';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { eventCells, eventHeader, parseEventFieldSelector, renderEvents } from '../format-events';
import { nodeTable } from '../format-nodes';
import { podTable, sortPods } from '../format-pods';
import { parseOutputFormat, renderDocument, renderPods, type OutputFormat } from '../pod-output';
import { formatError, usageError } from '../report-error';
import { isNodeType, nodeNames, parseTargets, podNames } from '../resources';
import { getObjects, labelSelector } from './get-objects';
import { requirementsMatch } from '../../api/labels';
import { renderTable } from '../table';

const EVENT_WORDS = new Set(['events', 'event', 'ev']);

function noResources(ctx: CommandContext, all: boolean): string {
  return all ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`;
}

/**
 * Prints pods as one block each time, as kubectl's watch flushes its printer per object: the
 * header comes with the first block only; a later row is sized as if under the header, so rows
 * line up until a wider cell (a long STATUS) pushes the rest of its own line.
 */
function podPrinter(ctx: CommandContext, format: OutputFormat, all: boolean): (pods: Pod[]) => Promise<void> {
  let header = !ctx.flags.bool('no-headers');
  return async (pods) => {
    if (format.kind !== 'table') {
      for (const p of pods) await write(ctx.io.stdout, renderPods([p], format, true));
      return;
    }
    let table = podTable(pods, { wide: format.wide, withNamespace: all, now: ctx.io.now() });
    if (!header) table = table.slice(table.indexOf('\n') + 1);
    header = false;
    await write(ctx.io.stdout, table);
  };
}

/** `get pods -w`: the pods listed, then a row for each change until interrupted. */
async function watchPods(ctx: CommandContext, initial: Pod[], names: string[], format: OutputFormat, all: boolean, code: number): Promise<number> {
  const print = podPrinter(ctx, format, all);
  // The watch starts with every pod ADDED; those the listing showed as they are need no second line.
  const shown = new Map(initial.map((p) => [p.metadata?.uid ?? '', p.metadata?.resourceVersion]));
  if (initial.length > 0) await print(initial);
  else if (names.length === 0) await write(ctx.io.stderr, noResources(ctx, all));
  else return code;
  for await (const change of ctx.podrun().watch({ namespace: all ? undefined : ctx.namespace })) {
    if (change.type === 'EVENT' || change.type === 'BOOKMARK') continue;
    const pod = change.object;
    if (names.length > 0 && !names.includes(pod.metadata?.name ?? '')) continue;
    const uid = pod.metadata?.uid ?? '';
    const listed = shown.has(uid);
    const before = shown.get(uid);
    shown.delete(uid);
    if (change.type === 'ADDED' && listed && before === pod.metadata?.resourceVersion) continue;
    await print([pod]);
  }
  return code;
}

/** `get events [NAME...]`: kubectl's event table (or -o), optionally narrowed by --field-selector; -w follows. */
async function getEvents(ctx: CommandContext): Promise<number> {
  const names = ctx.args.slice(1);
  const format = parseOutputFormat(ctx.flags.string('output'));
  const all = ctx.flags.bool('all-namespaces');
  if (all && names.length > 0) throw usageError('a resource cannot be retrieved by name across all namespaces');
  const selected = parseEventFieldSelector(ctx.flags.string('field-selector') ?? '');
  const namespace = all ? undefined : ctx.namespace;
  const labels = labelSelector(ctx.flags.string('selector'));
  if (labels && names.length > 0) throw usageError('name cannot be provided when a selector is specified');
  const keep = (e: Event): boolean => selected(e) && (names.length === 0 || names.includes(e.metadata.name ?? '')) && (!labels || requirementsMatch(labels, e.metadata.labels));
  const events = (await ctx.podrun().listEvents({ namespace })).filter(keep);
  let code = 0;
  for (const name of names) {
    if (events.some((e) => e.metadata.name === name)) continue;
    await write(ctx.io.stderr, `Error from server (NotFound): events "${name}" not found\n`);
    code = 1;
  }
  const wide = format.kind === 'table' && format.wide;
  let header = !ctx.flags.bool('no-headers');
  const print = async (list: Event[]): Promise<void> => {
    if (format.kind !== 'table') {
      await write(ctx.io.stdout, renderEvents(list, format, names.length === 1));
      return;
    }
    // Sized with the header even when it is not printed, as the pod rows of -w are.
    let table = renderTable([eventHeader({ wide, withNamespace: all }), ...list.map((e) => eventCells(e, { wide, withNamespace: all, now: ctx.io.now() }))]);
    if (!header) table = table.slice(table.indexOf('\n') + 1);
    header = false;
    await write(ctx.io.stdout, table);
  };
  if (events.length > 0) await print(events);
  else if (names.length === 0) await write(ctx.io.stderr, noResources(ctx, all));
  if (!ctx.flags.bool('watch')) return code;
  const shown = new Map(events.map((e) => [e.metadata.uid ?? '', JSON.stringify(e)]));
  for await (const change of ctx.podrun().watch({ namespace })) {
    if (change.type !== 'EVENT' || !keep(change.object)) continue;
    const e = change.object;
    const before = shown.get(e.metadata.uid ?? '');
    shown.delete(e.metadata.uid ?? '');
    if (before === JSON.stringify(e)) continue;
    await print([e]);
  }
  return code;
}

/** `get nodes [NAME...]`: this host, the one node. */
async function getNodes(ctx: CommandContext): Promise<number> {
  const names = nodeNames(ctx.args);
  const format = parseOutputFormat(ctx.flags.string('output'));
  const selector = labelSelector(ctx.flags.string('selector'));
  if (names.length > 0 && selector) throw usageError('name cannot be provided when a selector is specified');
  const all = await ctx.podrun().listNodes();
  const nodes = names.length ? all.filter((n) => names.includes(n.metadata?.name ?? '')) : all.filter((n) => !selector || requirementsMatch(selector, n.metadata?.labels));
  let code = 0;
  for (const name of names) {
    if (nodes.some((n) => n.metadata?.name === name)) continue;
    await write(ctx.io.stderr, `Error from server (NotFound): nodes "${name}" not found\n`);
    code = 1;
  }
  if (nodes.length === 0) {
    // Nodes have no namespace: kubectl's message for a cluster-scoped listing.
    if (names.length === 0) await write(ctx.io.stderr, 'No resources found\n');
    return code;
  }
  if (format.kind === 'table') {
    let table = nodeTable(nodes, { wide: format.wide, now: ctx.io.now(), showLabels: ctx.flags.bool('show-labels') });
    if (ctx.flags.bool('no-headers')) table = table.slice(table.indexOf('\n') + 1);
    await write(ctx.io.stdout, table);
    return code;
  }
  const doc = names.length === 1 ? nodes[0] : { apiVersion: 'v1', kind: 'List', items: nodes, metadata: { resourceVersion: '' } };
  await write(ctx.io.stdout, renderDocument(doc, format, nodes.map((n) => `node/${n.metadata?.name ?? ''}`)));
  return code;
}

export const getCommand: Command = {
  path: ['get'],
  usage: 'get TYPE[,TYPE...] [NAME...] [-l SELECTOR] [-o wide|json|yaml|name|jsonpath=TEMPLATE] [-w] | get TYPE/NAME... | get all | get events [--field-selector SELECTOR] | get nodes',
  summary: 'List objects (pods, deployments, replicasets, jobs, ...), or show some by name',
  details: [
    'Examples:',
    '  podrun get pods',
    '  podrun get pod web -o yaml',
    "  podrun get pod/web -o jsonpath='{.status.phase}'",
    '  podrun get pods -A -o wide',
    '  podrun get pods -w',
    '  podrun get events --field-selector involvedObject.name=web',
    '  podrun get nodes -o wide',
    '  podrun get deploy,rs -l app=web',
    '  podrun get all',
    '  podrun get jobs -w',
  ].join('\n'),
  flags: [
    { name: 'output', short: 'o', kind: 'string', value: 'FORMAT', help: 'wide, json, yaml, name or jsonpath=TEMPLATE' },
    { name: 'all-namespaces', short: 'A', kind: 'bool', help: 'list pods in every namespace' },
    { name: 'no-headers', kind: 'bool', help: 'leave out the table header' },
    { name: 'watch', short: 'w', kind: 'bool', help: 'after the listing, print each change as it happens' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'only objects whose labels match (app=web, tier in (a,b), !canary)' },
    { name: 'show-labels', kind: 'bool', help: 'a LABELS column' },
    { name: 'field-selector', kind: 'string', value: 'SELECTOR', help: 'events only: field=value, field!=value, comma-separated (e.g. involvedObject.name=web)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args[0] !== undefined && EVENT_WORDS.has(ctx.args[0].toLowerCase())) return getEvents(ctx);
    if (isNodeType(ctx.args[0])) return getNodes(ctx);
    if (ctx.flags.has('field-selector')) throw usageError('--field-selector is supported for events only');
    // Any type but pods alone (and pods among others, `get all`): the registry's tables.
    if (ctx.args.length > 0) {
      const targets = parseTargets(ctx.args);
      if (targets.length > 1 || targets[0]!.kind.kind !== 'Pod' || ctx.flags.has('selector') || ctx.flags.bool('show-labels')) return getObjects(ctx, targets);
    }
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

    if (ctx.flags.bool('watch')) return watchPods(ctx, pods, names, format, all, code);
    if (format.kind === 'table') {
      if (pods.length === 0) {
        if (names.length === 0) await write(ctx.io.stderr, noResources(ctx, all));
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
