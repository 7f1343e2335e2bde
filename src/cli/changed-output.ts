// What apply, create and scale print for the objects they changed (or, with --dry-run, would
// change): kubectl's success line `deployment.apps/web created (dry run)`, or with -o the
// objects themselves — one as itself, several as a List — and -o name's `kind.group/name`
// without the verb, as kubectl's printers do (the name printer drops the operation).

import type { KubeObject } from '../api/manifest';
import { kindInfo } from '../store/kinds';
import type { CommandContext } from './context';
import { write } from './context';
import { dryRunSuffix, type DryRun } from './dry-run';
import { parseOutputFormat, renderDocument, type OutputFormat } from './pod-output';
import { qualifiedKind } from './resources';

export interface Changed {
  kind: string;
  name: string;
  /** kubectl's verb: created, configured, unchanged, scaled. */
  action: string;
  /** The object to print with -o json|yaml|jsonpath (fetched or built by the command). */
  object?: KubeObject;
}

/** -o for these commands: json, yaml, name or jsonpath; anything else (none, wide) keeps the success lines. */
export function changedFormat(ctx: CommandContext): Exclude<OutputFormat, { kind: 'table' }> | undefined {
  const format = parseOutputFormat(ctx.flags.string('output'));
  return format.kind === 'table' ? undefined : format;
}

/** `deployment.apps/web` for a kind podrun knows; the kind in lower case otherwise. */
export function changedId(kind: string, name: string): string {
  const info = kindInfo(kind);
  return `${info ? qualifiedKind(info) : kind.toLowerCase()}/${name}`;
}

/** The type fields first, as the API server's answers have them. */
function typed(o: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = o;
  return { apiVersion, kind, metadata, ...rest } as KubeObject;
}

export async function printChanged(ctx: CommandContext, items: Changed[], strategy: DryRun): Promise<void> {
  const format = changedFormat(ctx);
  if (!format) {
    for (const i of items) await write(ctx.io.stdout, `${changedId(i.kind, i.name)} ${i.action}${dryRunSuffix(strategy)}\n`);
    return;
  }
  if (items.length === 0) return;
  const objs = items.map((i) => typed(i.object ?? ({ apiVersion: kindInfo(i.kind)?.apiVersion ?? 'v1', kind: i.kind, metadata: { name: i.name } } as KubeObject)));
  const doc = objs.length === 1 ? objs[0] : { apiVersion: 'v1', items: objs, kind: 'List', metadata: { resourceVersion: '' } };
  await write(ctx.io.stdout, renderDocument(doc, format, items.map((i) => changedId(i.kind, i.name))));
}

/** The -o flag of apply, create and scale. */
export const CHANGED_OUTPUT_FLAG = { name: 'output', short: 'o', kind: 'string' as const, value: 'FORMAT', help: 'json, yaml, name or jsonpath=TEMPLATE: print the objects instead of a line each' };
