// One invocation of the CLI, from words to exit code: parse, pick the command, build the client
// it needs, run it, and turn any error into its one stderr line. Everything the process
// provides comes in as arguments, so tests drive it with fake streams and a fake client.

import type { Podrun } from '../podrun';
import type { PodrunOptions } from '../types';
import { Flags, parseArgs, type FlagSpec, type ParsedArgs } from './args';
import { GROUPS, COMMANDS, resolveCommand } from './commands';
import { GLOBAL_FLAGS } from './commands/shared-flags';
import type { CliIO, Command, CommandContext } from './context';
import { write } from './context';
import { commandHelp, mainHelp } from './help';
import { formatError } from './report-error';
import { didYouMean, suggestionsFor } from './suggest';

export type Env = Record<string, string | undefined>;
export type ClientFactory = (opts: PodrunOptions) => Podrun;

/** The flags allowed once `positionals` have been read: the global ones, plus the command's once it is known. */
function flagsFor(positionals: string[]): FlagSpec[] {
  const r = resolveCommand(positionals);
  return r ? [...GLOBAL_FLAGS, ...r.command.flags] : GLOBAL_FLAGS;
}

/** The error for words that name no command, with the commands near the mistyped word (as cobra suggests them). */
function unknownCommand(words: string[]): string {
  const [first, second] = words;
  const shown = COMMANDS.filter((c) => !c.hidden);
  if (first !== undefined && GROUPS.has(first)) {
    const subs = shown.filter((c) => c.path[0] === first).map((c) => c.path[1]!);
    if (second === undefined) return `podrun ${first} requires a subcommand: ${subs.join(', ')}`;
    return `unknown command "${second}" for "podrun ${first}"${didYouMean(suggestionsFor(second, subs))}`;
  }
  return `unknown command "${first}" for "podrun"${didYouMean(suggestionsFor(first ?? '', new Set(shown.map((c) => c.path[0]!))))}`;
}

/** `error: MESSAGE`, ended by one newline (a suggestion list already ends with its own). */
function errorLine(message: string): string {
  return `error: ${message}${message.endsWith('\n') ? '' : '\n'}`;
}

/** The parser's error, with the flags near an unknown one. */
function parseError(parsed: ParsedArgs): string {
  return errorLine(`${parsed.error}${didYouMean(parsed.suggestions ?? [])}`);
}

export async function run(argv: string[], io: CliIO, env: Env, makeClient: ClientFactory): Promise<number> {
  const debug = env.PODRUN_DEBUG === '1';
  const parsed = parseArgs(argv, flagsFor);
  const flags = new Flags(parsed.flags);
  const words = parsed.positionals;

  if (words[0] === 'help' || words.length === 0) {
    const topic = words.slice(words[0] === 'help' ? 1 : 0);
    const found = topic.length > 0 ? resolveCommand(topic) : undefined;
    if (topic.length > 0 && !found) {
      await write(io.stderr, errorLine(unknownCommand(topic)));
      return 1;
    }
    if (parsed.error && words.length === 0) {
      await write(io.stderr, parseError(parsed));
      return 1;
    }
    await write(io.stdout, found ? commandHelp(found.command, GLOBAL_FLAGS) : mainHelp(COMMANDS, GLOBAL_FLAGS));
    return 0;
  }

  const resolved = resolveCommand(words);
  if (!resolved) {
    await write(io.stderr, errorLine(unknownCommand(words)));
    return 1;
  }
  const command: Command = resolved.command;
  if (parsed.error) {
    await write(io.stderr, parseError(parsed));
    return 1;
  }
  if (flags.bool('help')) {
    await write(io.stdout, commandHelp(command, GLOBAL_FLAGS));
    return 0;
  }

  let args = words.slice(resolved.length);
  let afterDash = parsed.afterDash;
  if (!command.takesCommand && afterDash) {
    // kubectl reads words after `--` as more arguments everywhere but exec.
    args = [...args, ...afterDash];
    afterDash = undefined;
  }

  const options: PodrunOptions = {};
  const root = flags.string('root') ?? env.PODRUN_ROOT;
  const dataRoot = flags.string('data-root') ?? env.PODRUN_DATA_ROOT;
  if (root) options.root = root;
  if (dataRoot) options.dataRoot = dataRoot;
  // serve's own: the engine it runs lets pods set these (the kubelet's flag).
  if (flags.has('allowed-unsafe-sysctls')) options.allowedUnsafeSysctls = flags.list('allowed-unsafe-sysctls').flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (command.engine === 'spawn') options.engine = 'spawn';
  // The engine's notices, once each, in the shape kubectl gives the API server's warnings.
  options.onNotice = (text) => void io.stderr.write(`Warning: ${text}\n`);
  let client: Podrun | undefined;

  const ctx: CommandContext = {
    io,
    flags,
    args,
    afterDash,
    namespace: flags.string('namespace') || 'default',
    namespaceGiven: flags.has('namespace'),
    debug,
    podrun: () => (client ??= makeClient(options)),
  };
  let code: number;
  try {
    code = await command.run(ctx);
  } catch (err) {
    await write(io.stderr, formatError(err, debug));
    code = 1;
  }
  if (client) {
    try {
      await client.close();
    } catch (err) {
      // The command's outcome stands; a failed close is worth a line but not a changed code.
      await write(io.stderr, formatError(err, debug));
    }
  }
  return code;
}
