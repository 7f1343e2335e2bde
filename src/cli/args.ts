// The command line, read the way kubectl (spf13/pflag) reads it: `--flag=value` and
// `--flag value`, `-n ns`, `-nns`, `-n=ns`, grouped booleans (`-it`), flags anywhere among the
// arguments, and `--` ending the flags (what follows is exec's command). Which flags exist
// depends on the command, and the command is only known once its words have been read, so the
// parser asks `flagsFor` with the words seen so far each time it meets a flag.

import { suggestionsFor } from './suggest';

export type FlagKind = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  /** Long name, without dashes. */
  name: string;
  /** One-letter short name, without the dash. */
  short?: string;
  /** bool takes no value; list may repeat and keeps every value; int must be an integer. */
  kind: FlagKind;
  /** Placeholder in help, e.g. `FILE`. */
  value?: string;
  /**
   * pflag's NoOptDefVal: the value of the flag given bare (`--dry-run`); a value then needs
   * `=` (`--dry-run=server`), and the next word stays an argument.
   */
  bareValue?: string;
  help: string;
}

export type FlagValue = boolean | string | string[] | number;

export interface ParsedArgs {
  /** Words that are not flags, the command's own words included. */
  positionals: string[];
  /** Values by long name; absent when the flag was not given. */
  flags: Map<string, FlagValue>;
  /** Everything after `--`; undefined when there was no `--`. */
  afterDash?: string[];
  /** The first problem met, worded as kubectl words it; parsing stops there. */
  error?: string;
  /** With an unknown long flag: the command's flags near it (`--selector` for `--selectr`). */
  suggestions?: string[];
}

function parseBool(raw: string): boolean | undefined {
  // pflag takes Go's strconv.ParseBool spellings.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  return undefined;
}

function store(flags: Map<string, FlagValue>, spec: FlagSpec, raw: string, shown: string): string | undefined {
  switch (spec.kind) {
    case 'bool': {
      const b = parseBool(raw);
      if (b === undefined) return `invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`;
      flags.set(spec.name, b);
      return undefined;
    }
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) return `invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`;
      flags.set(spec.name, Number(raw));
      return undefined;
    case 'list': {
      const prev = flags.get(spec.name);
      flags.set(spec.name, [...(Array.isArray(prev) ? prev : []), raw]);
      return undefined;
    }
    case 'string':
      flags.set(spec.name, raw);
      return undefined;
  }
}

export function parseArgs(argv: string[], flagsFor: (positionals: string[]) => FlagSpec[]): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Map() };
  const fail = (error: string): ParsedArgs => ({ ...out, error });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.afterDash = argv.slice(i + 1);
      return out;
    }
    // A lone `-` is a value (stdin), as in `apply -f -`, and so is anything not starting with `-`.
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const specs = flagsFor(out.positionals);
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = specs.find((s) => s.name === name);
      if (!spec) return { ...fail(`unknown flag: --${name}`), suggestions: suggestionsFor(name, specs.map((s) => s.name)).map((n) => `--${n}`) };
      let raw: string;
      if (eq >= 0) raw = arg.slice(eq + 1);
      else if (spec.kind === 'bool') raw = 'true';
      else if (spec.bareValue !== undefined) raw = spec.bareValue;
      else if (i + 1 < argv.length) raw = argv[++i]!;
      else return fail(`flag needs an argument: --${name}`);
      const err = store(out.flags, spec, raw, `--${name}`);
      if (err) return fail(err);
      continue;
    }
    // Short flags: booleans may be grouped; a flag with a value takes the rest of the word
    // (after an optional `=`) or else the next word.
    for (let j = 1; j < arg.length; j++) {
      const ch = arg[j]!;
      const spec = specs.find((s) => s.short === ch);
      if (!spec) return fail(`unknown shorthand flag: '${ch}' in ${arg}`);
      const shown = `-${ch}, --${spec.name}`;
      const rest = arg.slice(j + 1);
      if (spec.kind === 'bool') {
        if (rest.startsWith('=')) {
          const err = store(out.flags, spec, rest.slice(1), shown);
          if (err) return fail(err);
          break;
        }
        out.flags.set(spec.name, true);
        continue;
      }
      let raw: string;
      if (rest !== '') raw = rest.startsWith('=') ? rest.slice(1) : rest;
      else if (i + 1 < argv.length) raw = argv[++i]!;
      else return fail(`flag needs an argument: '${ch}' in -${ch}`);
      const err = store(out.flags, spec, raw, shown);
      if (err) return fail(err);
      break;
    }
  }
  return out;
}

/** Typed reads of parsed flags, so commands need no casts. */
export class Flags {
  constructor(private readonly values: Map<string, FlagValue>) {}
  has(name: string): boolean {
    return this.values.has(name);
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
  int(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
}
