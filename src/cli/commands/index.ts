// The command table: every command, and how words on the command line select one.

import type { Command } from '../context';
import { applyCommand } from './apply';
import { attachCommand } from './attach';
import { debugCommand } from './debug';
import { deleteCommand } from './delete';
import { describeCommand } from './describe';
import { execCommand } from './exec';
import { getCommand } from './get';
import { imageImportCommand, imageListCommand, imagePruneCommand, imageRemoveCommand } from './image';
import { loginCommand, logoutCommand } from './login';
import { logsCommand } from './logs';
import { portForwardCommand } from './port-forward';
import { pullCommand } from './pull';
import { serveCommand } from './serve';
import { criCommand } from './cri';
import { systemResetCommand } from './system';
import { versionCommand } from './version';
import { waitCommand } from './wait';
import { rolloutCommand, scaleCommand, setImageCommand } from './workloads';
import { createCommand } from './create';
import { annotateCommand, labelCommand } from './label';
import { explainCommand } from './explain';
import { completeCommand, completionCommand } from './completion';
import { runCommand } from './run';
import { cpCommand } from './cp';
import { topCommand } from './top';
import { patchCommand } from './patch';

export const COMMANDS: Command[] = [
  applyCommand,
  getCommand,
  describeCommand,
  logsCommand,
  execCommand,
  debugCommand,
  attachCommand,
  runCommand,
  cpCommand,
  topCommand,
  patchCommand,
  portForwardCommand,
  deleteCommand,
  createCommand,
  scaleCommand,
  rolloutCommand,
  setImageCommand,
  labelCommand,
  annotateCommand,
  explainCommand,
  completionCommand,
  completeCommand,
  waitCommand,
  serveCommand,
  criCommand,
  systemResetCommand,
  imageImportCommand,
  pullCommand,
  loginCommand,
  logoutCommand,
  imageListCommand,
  imageRemoveCommand,
  imagePruneCommand,
  versionCommand,
];

/** Words that only group commands (`image`): alone they select nothing. */
export const GROUPS = new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]!));

/** The command that the leading words select, and how many words that took. */
export function resolveCommand(words: string[]): { command: Command; length: number } | undefined {
  for (const command of COMMANDS) {
    for (const path of [command.path, ...(command.aliases ?? [])]) {
      if (path.length <= words.length && path.every((w, i) => words[i] === w)) return { command, length: path.length };
    }
  }
  return undefined;
}
