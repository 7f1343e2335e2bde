// podrun completion bash|zsh: the script that teaches the shell podrun's words; and the hidden
// `__complete` that the script calls for the candidates (commands, flags, kinds, object names).

import type { KubeObject } from '../../api/manifest';
import { BASH_COMPLETION, ZSH_COMPLETION } from '../completion-scripts';
import { complete } from '../completion';
import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';
import { GLOBAL_FLAGS } from './shared-flags';

/** cobra's ShellCompDirectiveNoFileComp: podrun's arguments are never file names where it completes. */
const NO_FILE_COMP = 4;

export const completionCommand: Command = {
  path: ['completion'],
  usage: 'completion SHELL',
  summary: 'Print the shell completion script for bash or zsh',
  details: ['Examples:', '  source <(podrun completion bash)', '  podrun completion zsh > "${fpath[1]}/_podrun"'].join('\n'),
  flags: [],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length === 0) throw usageError('Shell not specified.');
    if (ctx.args.length > 1) throw usageError('Too many arguments. Expected only the shell type.');
    const shell = ctx.args[0]!;
    const script = shell === 'bash' ? BASH_COMPLETION : shell === 'zsh' ? ZSH_COMPLETION : undefined;
    if (!script) throw usageError(`Unsupported shell type "${shell}".`);
    await write(ctx.io.stdout, script);
    return 0;
  },
};

export const completeCommand: Command = {
  path: ['__complete'],
  hidden: true,
  usage: '__complete -- WORD... (the last one is being completed)',
  summary: 'The candidates for a word being completed, one a line, then :DIRECTIVE',
  flags: [],
  engine: 'spawn',
  takesCommand: true,
  async run(ctx) {
    // Loaded here, not at the top: the command table imports this file.
    const { COMMANDS } = await import('./index');
    const words = ctx.afterDash ?? ctx.args;
    const lines = await complete(words, {
      commands: COMMANDS,
      globals: GLOBAL_FLAGS,
      names: async (kind, namespace) => {
        try {
          return (await ctx.podrun().list<KubeObject>(kind, { namespace })).map((o) => o.metadata?.name ?? '').filter(Boolean);
        } catch {
          // No engine, no names: completion offers what it can without them.
          return [];
        }
      },
    });
    await write(ctx.io.stdout, lines.map((l) => `${l}\n`).join('') + `:${NO_FILE_COMP}\n`);
    return 0;
  },
};
