// Naming pods on the command line as kubectl does: `pods NAME...`, `pod NAME`, `po NAME`, or
// `pod/NAME pod/OTHER`. Only pods are reachable through the API that commands use, so any other
// type is refused with kubectl's wording.

import '../api/kinds';
import { kindForWord, type KindInfo } from '../store/kinds';
import { usageError } from './report-error';

const POD_WORDS = new Set(['pod', 'pods', 'po']);
const NODE_WORDS = new Set(['node', 'nodes', 'no']);

/** `get nodes`, `describe node`: the word, or its resource/name form (`node/host1`). */
export function isNodeType(word: string | undefined): boolean {
  return word !== undefined && NODE_WORDS.has(word.split('/')[0]!.toLowerCase());
}

/** The node names in args that start with a node type word (`nodes a b`, `node/a`). */
export function nodeNames(args: string[]): string[] {
  if (args[0]?.includes('/')) return args.map((a) => a.slice(a.indexOf('/') + 1));
  return args.slice(1);
}

export function isPodType(word: string): boolean {
  return POD_WORDS.has(word.toLowerCase());
}

function noSuchType(type: string): Error {
  return usageError(`the server doesn't have a resource type "${type}"`);
}

/**
 * The pod names in `args`; `verb` words the error for a missing type. When `nameRequired`, at
 * least one name must follow the type.
 */
export function podNames(args: string[], opts: { verb?: string; nameRequired?: boolean } = {}): string[] {
  if (args.length === 0) throw usageError(`you must specify the type of resource to ${opts.verb ?? 'get'}`);
  const first = args[0]!;
  if (first.includes('/')) {
    return args.map((a) => {
      const slash = a.indexOf('/');
      if (slash < 0) {
        throw usageError(
          "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podrun get resource/<resource_name>' instead of 'podrun get resource resource/<resource_name>'",
        );
      }
      const type = a.slice(0, slash);
      const name = a.slice(slash + 1);
      if (!isPodType(type)) throw noSuchType(type);
      if (!name) throw usageError(`arguments in resource/name form must have a single resource and name`);
      return name;
    });
  }
  if (!isPodType(first)) throw noSuchType(first);
  const names = args.slice(1);
  if (opts.nameRequired && names.length === 0) throw usageError('resource(s) were provided, but no name was specified');
  return names;
}

/** One pod, for commands that take exactly one: `NAME`, `pod/NAME` or `pod NAME`. */
export function singlePod(args: string[], what: string): string {
  if (args.length === 0) throw usageError(`${what} requires a pod name`);
  const [a, b] = args;
  if (args.length === 1) return a!.includes('/') ? podNames([a!])[0]! : a!;
  if (args.length === 2 && isPodType(a!)) return b!;
  throw usageError(`${what} takes one pod, got: ${args.join(' ')}`);
}

/** One type named on the command line, with the names after it (none: all of that type). */
export interface Target {
  kind: KindInfo;
  names: string[];
}

/** What `get all` lists, in kubectl's order (services are not podrun's). */
export const ALL_KINDS = ['Pod', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'CronJob'];

function kindOf(word: string): KindInfo {
  const info = kindForWord(word);
  if (!info) throw noSuchType(word);
  return info;
}

/**
 * Types and names as kubectl reads them: `TYPE[,TYPE...] [NAME...]` (`get deploy,rs`, `get
 * deployment web`), `TYPE/NAME...` (`deploy/web rs/web-abc`), and `all`.
 */
export function parseTargets(args: string[], opts: { verb?: string; nameRequired?: boolean } = {}): Target[] {
  if (args.length === 0) throw usageError(`you must specify the type of resource to ${opts.verb ?? 'get'}`);
  if (args[0]!.includes('/')) {
    const out: Target[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash < 0) {
        throw usageError(
          "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podrun get resource/<resource_name>' instead of 'podrun get resource resource/<resource_name>'",
        );
      }
      const kind = kindOf(a.slice(0, slash));
      const name = a.slice(slash + 1);
      if (!name) throw usageError('arguments in resource/name form must have a single resource and name');
      const same = out.find((t) => t.kind === kind);
      if (same) same.names.push(name);
      else out.push({ kind, names: [name] });
    }
    return out;
  }
  const names = args.slice(1);
  const words = args[0]!.split(',').filter(Boolean);
  const kinds = words.flatMap((w) => (w.toLowerCase() === 'all' ? ALL_KINDS.map((k) => kindForWord(k)!) : [kindOf(w)]));
  if (names.length > 0 && kinds.length > 1) throw usageError('a resource cannot be retrieved by name across multiple types');
  if (opts.nameRequired && names.length === 0) throw usageError('resource(s) were provided, but no name was specified');
  return kinds.map((kind) => ({ kind, names }));
}

/** kubectl's name of a kind with its group: `pod`, `deployment.apps`, `job.batch`. */
export function qualifiedKind(info: Pick<KindInfo, 'kind' | 'apiVersion'>): string {
  const group = info.apiVersion.includes('/') ? info.apiVersion.split('/')[0] : '';
  return group ? `${info.kind.toLowerCase()}.${group}` : info.kind.toLowerCase();
}

/** kubectl's plural with its group, as NotFound says it: `deployments.apps`. */
export function qualifiedPlural(info: Pick<KindInfo, 'plural' | 'apiVersion'>): string {
  const group = info.apiVersion.includes('/') ? info.apiVersion.split('/')[0] : '';
  return group ? `${info.plural}.${group}` : info.plural;
}
