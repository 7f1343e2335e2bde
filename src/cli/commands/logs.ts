// podrun logs NAME [-c C] | logs -l SELECTOR: a container's log, line by line; with -f until the
// container exits. Several streams (a selector's pods, --all-containers) are read one after
// the other, or side by side with -f, as kubectl reads them; --prefix names each line's source.

import type { Pod } from 'kubernetes-types/core/v1';
import { requirementsMatch } from '../../api/labels';
import type { LogOptions } from '../../types';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { logsContainer } from '../container-choice';
import { parseDuration } from '../duration';
import { sortPods } from '../format-pods';
import { podFor } from '../pod-of';
import { usageError } from '../report-error';
import { isPodType } from '../resources';
import { labelSelector } from './get-objects';

/** kubectl's tail for a selector when --tail is not given: the last 10 lines of each pod. */
const SELECTOR_TAIL = 10;

/** `NAME`, `pod/NAME`, `pod NAME`, or kubectl's older `NAME CONTAINER`. */
function target(args: string[]): { name: string; container?: string } {
  if (args.length === 0) throw usageError('expected POD or TYPE/NAME as the first argument');
  // TYPE/NAME: a pod, or a workload whose pod is picked below (podFor).
  if (args[0]!.includes('/')) return { name: args[0]!, container: args[1] };
  if (args.length >= 2 && isPodType(args[0]!)) return { name: args[1]!, container: args[2] };
  if (args.length > 2) throw usageError(`expected at most a pod and a container, got: ${args.join(' ')}`);
  return { name: args[0]!, container: args[1] };
}

/** One log to read: a pod's container. */
interface Stream {
  pod: string;
  container: string;
}

/** The containers --all-containers reads, in kubectl's order: init containers, containers, ephemeral ones. */
function allContainers(pod: Pod): string[] {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name);
}

/** --since and --since-time as PodLogOptions takes them (kubectl rounds --since to the second). */
function sinceOptions(ctx: CommandContext): Pick<LogOptions, 'sinceSeconds' | 'sinceTime'> {
  const since = ctx.flags.string('since');
  const sinceTime = ctx.flags.string('since-time');
  let ms = 0;
  if (since !== undefined) {
    try {
      ms = parseDuration(since);
    } catch (err) {
      throw usageError(`invalid argument "${since}" for "--since" flag: ${(err as Error).message}`);
    }
  }
  if (sinceTime !== undefined && ms !== 0) throw usageError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (ms < 0) throw usageError('--since must be greater than 0');
  if (sinceTime !== undefined) {
    if (Number.isNaN(Date.parse(sinceTime)) || !/^\d{4}-\d\d-\d\dT/.test(sinceTime)) throw usageError(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`);
    return { sinceTime };
  }
  return ms !== 0 ? { sinceSeconds: Math.round(ms / 1000) } : {};
}

export const logsCommand: Command = {
  path: ['logs'],
  usage: 'logs NAME|TYPE/NAME [-c CONTAINER | --all-containers] [-f] [-p] [--timestamps] [--tail N] [--since DURATION | --since-time TIME] [--prefix] | logs -l SELECTOR [--max-log-requests N]',
  summary: "Print a container's log",
  details: [
    'Examples:',
    '  podrun logs web',
    '  podrun logs web --all-containers --prefix',
    '  podrun logs -l app=web --since=10m',
    '  podrun logs -f -l app=web --max-log-requests=10',
  ].join('\n'),
  flags: [
    { name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the container (required when the pod has several)' },
    { name: 'all-containers', kind: 'bool', help: "every container's log: init containers first, then containers" },
    { name: 'follow', short: 'f', kind: 'bool', help: 'keep printing until the container exits' },
    { name: 'previous', short: 'p', kind: 'bool', help: "the log of the container's previous run" },
    { name: 'timestamps', kind: 'bool', help: 'prefix each line with its RFC 3339 time' },
    { name: 'tail', kind: 'int', value: 'N', help: 'only the last N lines (-1, the default, for all; 10 with a selector)' },
    { name: 'since', kind: 'string', value: 'DURATION', help: 'only lines newer than this (5s, 2m, 3h)' },
    { name: 'since-time', kind: 'string', value: 'TIME', help: 'only lines at or after this RFC 3339 time' },
    { name: 'prefix', kind: 'bool', help: 'prefix each line with its source, [pod/NAME/CONTAINER]' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'the pods whose labels match (app=web, tier in (a,b), !canary)' },
    { name: 'max-log-requests', kind: 'int', value: 'N', help: 'with -f and a selector, at most this many streams (default 5)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const selector = labelSelector(ctx.flags.string('selector'));
    if (selector && ctx.args.length > 0) throw usageError('only a selector (-l) or a POD name is allowed');
    const since = sinceOptions(ctx);
    const every = ctx.flags.bool('all-containers');
    const client = ctx.podrun();
    let pods: Pod[];
    let requested = ctx.flags.string('container');
    if (selector) {
      pods = sortPods(await client.listPods(ctx.namespace)).filter((p) => requirementsMatch(selector, p.metadata?.labels));
      if (pods.length === 0) {
        await write(ctx.io.stderr, `No resources found in ${ctx.namespace} namespace.\n`);
        return 0;
      }
    } else {
      const t = target(ctx.args);
      if (t.container !== undefined && ctx.flags.has('container')) throw usageError('only one of -c or an inline [CONTAINER] arg is allowed');
      requested ??= t.container;
      const chosen = await podFor(client, t.name, ctx.namespace);
      if (chosen.note) await write(ctx.io.stderr, `${chosen.note}\n`);
      pods = [await client.getPod(chosen.name, ctx.namespace)];
    }
    if (every && requested) throw usageError(`--all-containers=true should not be specified with container name ${requested}`);
    const streams: Stream[] = pods.flatMap((p) => (every ? allContainers(p) : [logsContainer(p, requested)]).map((container) => ({ pod: p.metadata?.name ?? '', container })));

    const follow = ctx.flags.bool('follow');
    const max = ctx.flags.int('max-log-requests') ?? 5;
    if (follow && streams.length > 1 && streams.length > max) {
      throw usageError(`you are attempting to follow ${streams.length} log streams, but maximum allowed concurrency is ${max}, use --max-log-requests to increase the limit`);
    }
    const base: LogOptions = { namespace: ctx.namespace, follow, previous: ctx.flags.bool('previous'), timestamps: ctx.flags.bool('timestamps'), ...since };
    const tail = ctx.flags.int('tail');
    if (tail !== undefined && tail < -1) throw usageError('--tail must be greater than or equal to -1');
    if (tail !== undefined && tail >= 0) base.tailLines = tail;
    else if (selector && tail === undefined) base.tailLines = SELECTOR_TAIL;

    const prefix = ctx.flags.bool('prefix');
    const copy = async (s: Stream): Promise<void> => {
      const head = prefix ? `[pod/${s.pod}/${s.container}] ` : '';
      for await (const line of client.logs(s.pod, { namespace: ctx.namespace, container: s.container, ...base })) await write(ctx.io.stdout, head + line + '\n');
    };
    // Followed streams run side by side (each line whole); otherwise one after the other.
    if (follow && streams.length > 1) await Promise.all(streams.map(copy));
    else for (const s of streams) await copy(s);
    return 0;
  },
};
