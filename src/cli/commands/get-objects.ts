// `get` for the kinds beyond pods, and for several types at once (`get deploy,rs`, `get all`):
// each type's table in turn (a blank line between), or one List for -o json|yaml|name|jsonpath;
// -l filters by labels; -w follows the changes of one type.
import type { Pod } from 'kubernetes-types/core/v1';
import { parseSelector, requirementsMatch, type Requirement } from '../../api/labels';
import type { KubeObject } from '../../api/manifest';
import { PodrunError } from '../../errors';
import type { CommandContext } from '../context';
import { write } from '../context';
import { objectTable } from '../format-objects';
import { podTable, sortPods } from '../format-pods';
import { parseOutputFormat, renderDocument } from '../pod-output';
import { usageError } from '../report-error';
import { qualifiedKind, qualifiedPlural, type Target } from '../resources';

/** The `-l` selector, parsed; usage error naming it when it does not parse. */
export function labelSelector(text: string | undefined): Requirement[] | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSelector(text);
  } catch (e) {
    throw usageError(`unable to parse selector "${text}": ${(e as Error).message}`);
  }
}

/**
 * The objects a target names (each missing one said on stderr as kubectl says it), or every
 * object of its kind in `namespace` (all namespaces when undefined).
 */
export async function targetObjects(ctx: CommandContext, target: Target, namespace: string | undefined): Promise<{ objs: KubeObject[]; missing: boolean }> {
  const client = ctx.podrun();
  if (!target.names.length) return { objs: await client.list<KubeObject>(target.kind.kind, { namespace }), missing: false };
  const objs: KubeObject[] = [];
  let missing = false;
  for (const name of target.names) {
    try {
      objs.push(await client.get<KubeObject>(target.kind.kind, name, { namespace: ctx.namespace }));
    } catch (err) {
      if (!(err instanceof PodrunError) || err.code !== 'NotFound') throw err;
      await write(ctx.io.stderr, `Error from server (NotFound): ${qualifiedPlural(target.kind)} "${name}" not found\n`);
      missing = true;
    }
  }
  return { objs, missing };
}

export async function getObjects(ctx: CommandContext, targets: Target[]): Promise<number> {
  const format = parseOutputFormat(ctx.flags.string('output'));
  const all = ctx.flags.bool('all-namespaces');
  const selector = labelSelector(ctx.flags.string('selector'));
  const namespace = all ? undefined : ctx.namespace;
  const named = targets.some((t) => t.names.length > 0);
  if (all && named) throw usageError('a resource cannot be retrieved by name across all namespaces');
  if (named && selector) throw usageError('name cannot be provided when a selector is specified');
  let code = 0;
  const groups: { target: Target; objs: KubeObject[] }[] = [];
  for (const target of targets) {
    const found = await targetObjects(ctx, target, namespace);
    let objs = found.objs;
    if (found.missing) code = 1;
    if (!target.names.length && target.kind.kind === 'Pod') objs = sortPods(objs as unknown as Pod[]) as unknown as KubeObject[];
    if (selector) objs = objs.filter((o) => requirementsMatch(selector, o.metadata?.labels));
    groups.push({ target, objs });
  }
  const withKind = targets.length > 1;
  if (format.kind === 'table') {
    const shown = groups.filter((g) => g.objs.length > 0);
    if (shown.length === 0) {
      if (!named) await write(ctx.io.stderr, all ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`);
      // kubectl watches on from nothing: the first object to come brings the header.
      if (ctx.flags.bool('watch') && targets.length === 1) return watchObjects(ctx, targets[0]!, [], namespace, selector, code, !ctx.flags.bool('no-headers'));
      return code;
    }
    const now = ctx.io.now();
    const noHeaders = ctx.flags.bool('no-headers');
    const showLabels = ctx.flags.bool('show-labels');
    let first = true;
    for (const g of shown) {
      let table =
        g.target.kind.kind === 'Pod'
          ? podTable(g.objs as unknown as Pod[], { wide: format.wide, withNamespace: all, withKind, now, showLabels })
          : objectTable(g.objs, g.target.kind, { wide: format.wide, withNamespace: all, withKind, now, showLabels });
      if (noHeaders) table = table.slice(table.indexOf('\n') + 1);
      await write(ctx.io.stdout, (first ? '' : '\n') + table);
      first = false;
    }
    if (ctx.flags.bool('watch')) return watchObjects(ctx, groups[0]!.target, groups[0]!.objs, namespace, selector, code, false);
    return code;
  }
  const items = groups.flatMap((g) => g.objs);
  const names = groups.flatMap((g) => g.objs.map((o) => `${qualifiedKind(g.target.kind)}/${o.metadata?.name ?? ''}`));
  if (named && items.length === 0) return code;
  const single = named && items.length === 1 && targets.length === 1 && targets[0]!.names.length === 1;
  const doc = single ? items[0] : { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
  await write(ctx.io.stdout, renderDocument(doc, format, names));
  return code;
}

/** `get TYPE -w`: after the listing, a row for each change (one type). */
async function watchObjects(ctx: CommandContext, target: Target, listed: KubeObject[], namespace: string | undefined, selector: Requirement[] | undefined, code: number, header: boolean): Promise<number> {
  const shown = new Map(listed.map((o) => [o.metadata?.uid ?? '', o.metadata?.resourceVersion]));
  const now = () => ctx.io.now();
  for await (const ev of ctx.podrun().watch<KubeObject>({ kinds: [target.kind.kind], namespace })) {
    if (ev.type === 'EVENT' || ev.type === 'BOOKMARK') continue;
    const o = ev.object;
    if (target.names.length && !target.names.includes(o.metadata?.name ?? '')) continue;
    if (selector && !requirementsMatch(selector, o.metadata?.labels)) continue;
    const uid = o.metadata?.uid ?? '';
    if (ev.type === 'ADDED' && shown.has(uid) && shown.get(uid) === o.metadata?.resourceVersion) continue;
    shown.delete(uid);
    const table = objectTable([o], target.kind, { wide: false, withNamespace: namespace === undefined, withKind: false, now: now() });
    await write(ctx.io.stdout, header ? table : table.slice(table.indexOf('\n') + 1));
    header = false;
  }
  return code;
}
