// What to offer for the word being completed, as cobra's `__complete` does for kubectl: the
// commands, a command's flags, resource types, and the names of objects (read from the engine).
// The shell scripts (completion-scripts.ts) only pass the words and show what comes back.

import '../api/kinds';
import { allKinds, kindForWord } from '../store/kinds';
import { parseArgs, type FlagSpec } from './args';
import type { Command } from './context';

/** Commands whose arguments are TYPE [NAME...] or TYPE/NAME... */
const TYPE_THEN_NAMES = new Set(['get', 'describe', 'delete', 'label', 'annotate', 'scale', 'wait']);
/** Commands whose first argument is a pod. */
const POD_FIRST = new Set(['logs', 'exec', 'attach', 'port-forward', 'debug']);
const OUTPUT_FORMATS = ['json', 'jsonpath=', 'name', 'wide', 'yaml'];

export interface CompletionSource {
  commands: readonly Command[];
  globals: readonly FlagSpec[];
  /** The names of the objects of a kind in a namespace (none when they cannot be read). */
  names(kind: string, namespace: string): Promise<string[]>;
}

function resolve(commands: readonly Command[], words: string[]): { command: Command; length: number } | undefined {
  for (const command of commands) {
    for (const path of [command.path, ...(command.aliases ?? [])]) {
      if (path.length <= words.length && path.every((w, i) => words[i] === w)) return { command, length: path.length };
    }
  }
  return undefined;
}

/** The resource words offered for a TYPE: each kind's plural, as kubectl offers its resources. */
function resourceWords(command: string): string[] {
  const words = [...allKinds().map((k) => k.plural), 'nodes'];
  if (command === 'get') words.push('all');
  return words.sort();
}

/** The candidates for the last of `words` (the words after `podrun`; the last may be empty). */
export async function complete(words: string[], src: CompletionSource): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const flagsFor = (positionals: string[]): FlagSpec[] => {
    const r = resolve(src.commands, positionals);
    return r ? [...src.globals, ...r.command.flags] : [...src.globals];
  };
  const parsed = parseArgs(before, flagsFor);
  const positionals = parsed.positionals;
  const resolved = resolve(src.commands, positionals);
  const specs = flagsFor(positionals);
  const only = (list: string[]): string[] => list.filter((w) => w.startsWith(cur));

  // The value of a flag: `-o <TAB>`.
  const prev = before.at(-1) ?? '';
  const prevSpec = prev.startsWith('--') && !prev.includes('=') ? specs.find((s) => s.name === prev.slice(2)) : /^-[a-zA-Z]$/.test(prev) ? specs.find((s) => s.short === prev[1]) : undefined;
  if (prevSpec && prevSpec.kind !== 'bool') return prevSpec.name === 'output' ? only(OUTPUT_FORMATS) : [];
  if (cur.startsWith('-')) return only(specs.map((s) => `--${s.name}`).sort());

  if (!resolved) {
    const shown = src.commands.filter((c) => !c.hidden);
    if (positionals.length === 0) return only([...new Set(shown.map((c) => c.path[0]!))].sort());
    if (positionals.length === 1) return only(shown.filter((c) => c.path.length > 1 && c.path[0] === positionals[0]).map((c) => c.path[1]!));
    return [];
  }
  const name = resolved.command.path.join(' ');
  const args = positionals.slice(resolved.length);
  const namespace = typeof parsed.flags.get('namespace') === 'string' ? (parsed.flags.get('namespace') as string) : 'default';
  const namesOf = async (word: string): Promise<string[]> => {
    const info = kindForWord(word);
    return info ? src.names(info.kind, namespace) : [];
  };
  if (name === 'completion') return args.length === 0 ? only(['bash', 'zsh']) : [];
  if (name === 'explain') return args.length === 0 ? only(resourceWords(name)) : [];
  if (POD_FIRST.has(name)) return args.length === 0 ? only(await src.names('Pod', namespace)) : [];
  if (!TYPE_THEN_NAMES.has(name)) return [];
  if (args.length === 0) {
    const slash = cur.indexOf('/');
    if (slash < 0) return only(resourceWords(name));
    const type = cur.slice(0, slash);
    return only((await namesOf(type)).map((n) => `${type}/${n}`));
  }
  // TYPE/NAME forms take more of the same; after TYPE, names not yet given.
  if (args[0]!.includes('/')) return [];
  const given = new Set(args.slice(1));
  return only((await namesOf(args[0]!.split(',')[0]!)).filter((n) => !given.has(n)));
}
