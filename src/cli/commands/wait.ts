// podrun wait pod/NAME --for=...: block until each pod meets the condition, or is gone
// (--for=delete), within --timeout; `pod/NAME condition met` for each.

import { PodrunError } from '../../errors';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { parseDuration } from '../duration';
import { usageError } from '../report-error';
import { parseTargets, podNames, qualifiedKind, qualifiedPlural, type Target } from '../resources';
import { parseWaitFor } from '../wait-condition';
import { requirementsMatch } from '../../api/labels';
import type { KubeObject } from '../../api/manifest';
import { labelSelector } from './get-objects';

/** kubectl waits a week when told a negative timeout: "practically forever". */
const FOREVER_MS = 7 * 24 * 3600 * 1000;
function timeoutMs(raw: string | undefined): number {
  if (raw === undefined) return 30_000;
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw usageError(`invalid argument "${raw}" for "--timeout" flag: ${(err as Error).message}`);
  }
  return ms < 0 ? FOREVER_MS : ms;
}

const timedOut = (name: string): PodrunError => new PodrunError('Timeout', `timed out waiting for the condition on pods/${name}`);

/** true when the pod went away within the time; false when it was never there. */
async function waitDeleted(ctx: CommandContext, name: string, deadline: number): Promise<boolean> {
  try {
    return await ctx.podrun().waitDeleted(name, { namespace: ctx.namespace, timeoutMs: Math.max(0, deadline - ctx.io.now()) });
  } catch (err) {
    if (err instanceof PodrunError && err.code === 'Timeout') throw timedOut(name);
    throw err;
  }
}

/** `wait deploy/web --for=condition=available`, `wait job/x --for=condition=complete`, `--for=delete`. */
async function waitObjects(ctx: CommandContext, targets: Target[], cond: ReturnType<typeof parseWaitFor>, deadline: number): Promise<number> {
  const client = ctx.podrun();
  for (const t of targets) {
    for (const name of t.names) {
      const id = `${qualifiedKind(t.kind)}/${name}`;
      const timeoutMs = Math.max(0, deadline - ctx.io.now());
      try {
        if (cond.kind === 'delete') {
          if (!(await client.waitGone(t.kind.kind, name, { namespace: ctx.namespace, timeoutMs }))) continue;
        } else {
          await client.waitForObject(t.kind.kind, name, (o) => cond.test(o as never), { namespace: ctx.namespace, timeoutMs });
        }
      } catch (err) {
        if (err instanceof PodrunError && err.code === 'Timeout') throw new PodrunError('Timeout', `timed out waiting for the condition on ${t.kind.plural}/${name}`);
        if (err instanceof PodrunError && err.code === 'NotFound') throw new PodrunError('NotFound', `${qualifiedPlural(t.kind)} "${name}" not found`);
        throw err;
      }
      await write(ctx.io.stdout, `${id} condition met\n`);
    }
  }
  return 0;
}

export const waitCommand: Command = {
  path: ['wait'],
  usage: 'wait (TYPE/NAME... | TYPE -l SELECTOR) --for=delete|condition=COND[=VALUE]|jsonpath={PATH}[=VALUE] [--timeout=30s]',
  summary: 'Wait for objects to meet a condition, or to be deleted',
  details: [
    'Examples:',
    '  podrun wait pod/web --for=condition=Ready',
    "  podrun wait pod/job --for=jsonpath='{.status.phase}'=Succeeded --timeout=2m",
    '  podrun wait pod/web --for=delete',
    '  podrun wait --for=condition=Ready pod -l app=web',
    '  podrun wait deploy/web --for=condition=available',
    '  podrun wait job/batch --for=condition=complete --timeout=5m',
  ].join('\n'),
  flags: [
    { name: 'for', kind: 'string', value: 'CONDITION', help: 'delete, condition=COND[=VALUE], or jsonpath={PATH}[=VALUE]' },
    { name: 'timeout', kind: 'string', value: 'DURATION', help: 'give up after this long (30s, 2m, 1h; default 30s)' },
    { name: 'selector', short: 'l', kind: 'string', value: 'SELECTOR', help: 'the objects of the type whose labels match (app=web, tier in (a,b), !canary)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const selector = labelSelector(ctx.flags.string('selector'));
    const targets = parseTargets(ctx.args, { verb: 'wait', nameRequired: !selector });
    const cond = parseWaitFor(ctx.flags.string('for'));
    const deadline = ctx.io.now() + timeoutMs(ctx.flags.string('timeout'));
    if (selector) {
      // The objects that match now are the ones waited for, as kubectl's resource builder lists them.
      if (targets.some((t) => t.names.length > 0)) throw usageError('name cannot be provided when a selector is specified');
      for (const t of targets) {
        const objs = await ctx.podrun().list<KubeObject>(t.kind.kind, { namespace: ctx.namespace });
        t.names = objs.filter((o) => requirementsMatch(selector, o.metadata?.labels)).map((o) => o.metadata?.name ?? '');
      }
      if (targets.every((t) => t.names.length === 0)) throw usageError('no matching resources found');
    }
    if (targets.length > 1 || targets[0]!.kind.kind !== 'Pod') return waitObjects(ctx, targets, cond, deadline);
    const names = selector ? targets[0]!.names : podNames(ctx.args, { verb: 'wait', nameRequired: true });
    for (const name of names) {
      if (cond.kind === 'delete') {
        if (await waitDeleted(ctx, name, deadline)) await write(ctx.io.stdout, `pod/${name} condition met\n`);
        continue;
      }
      try {
        await ctx.podrun().waitFor(name, cond.test, { namespace: ctx.namespace, timeoutMs: Math.max(0, deadline - ctx.io.now()) });
      } catch (err) {
        if (err instanceof PodrunError && err.code === 'Timeout') throw timedOut(name);
        throw err;
      }
      await write(ctx.io.stdout, `pod/${name} condition met\n`);
    }
    return 0;
  },
};
