// Usage text, made from the command table so that help cannot drift from the flags that exist.

import type { FlagSpec } from './args';
import type { Command } from './context';
import { KUBECTL_DESCRIBE, tabwrite } from './table';

function flagLines(flags: FlagSpec[]): string {
  const lines = flags.map((f) => {
    const names = f.short ? `-${f.short}, --${f.name}` : `    --${f.name}`;
    return `  ${names}${f.value ? ` ${f.value}` : ''}\t${f.help}\n`;
  });
  return tabwrite(lines.join(''), KUBECTL_DESCRIBE);
}

const words = (c: Command): string => c.path.join(' ');

export function mainHelp(commands: Command[], globals: FlagSpec[]): string {
  const list = commands.filter((c) => !c.hidden).map((c) => `  ${words(c)}\t${c.summary}\n`).join('');
  return [
    'podrun runs Kubernetes-style pods on this host, with kubectl\'s commands.',
    '',
    'Usage:',
    '  podrun COMMAND [ARGS] [flags]',
    '',
    'Commands:',
    tabwrite(list, KUBECTL_DESCRIBE).trimEnd(),
    '',
    'Global flags (anywhere on the line):',
    flagLines(globals).trimEnd(),
    '',
    "Use 'podrun COMMAND --help' for a command's flags.",
    '',
  ].join('\n');
}

export function commandHelp(c: Command, globals: FlagSpec[]): string {
  const parts = [c.summary, '', 'Usage:', `  podrun ${c.usage}`, ''];
  if (c.aliases?.length) parts.push(`Aliases: ${c.aliases.map((a) => a.join(' ')).join(', ')}`, '');
  if (c.flags.length) parts.push('Flags:', flagLines(c.flags).trimEnd(), '');
  if (c.details) parts.push(c.details, '');
  parts.push('Global flags:', flagLines(globals).trimEnd(), '');
  return parts.join('\n');
}
