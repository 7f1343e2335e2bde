// --dry-run=none|client|server, read as kubectl reads it (cmdutil.GetDryRunStrategy), for every
// command that changes objects: apply, create, delete, scale, run, label, annotate. Given bare,
// the flag takes pflag's NoOptDefVal `unchanged` and means client, with kubectl's deprecation
// warning; Go's boolean spellings are still taken, warned about, as kubectl still takes them.

import type { FlagSpec, Flags } from './args';
import { usageError } from './report-error';

export type DryRun = 'none' | 'client' | 'server';

/** kubectl's NoOptDefVal for --dry-run: what a bare `--dry-run` reads as. */
const BARE = 'unchanged';

export const DRY_RUN_FLAG: FlagSpec = {
  name: 'dry-run',
  kind: 'string',
  value: 'STRATEGY',
  bareValue: BARE,
  help: 'none (default), client (bare --dry-run: print what would be sent, send nothing) or server (checked and defaulted by the engine, nothing kept)',
};

/** The strategy, and a warning to print on stderr when the spelling is a deprecated one. */
export function parseDryRun(raw: string | undefined): { strategy: DryRun; warning?: string } {
  if (raw === undefined) return { strategy: 'none' };
  switch (raw) {
    case BARE:
      return { strategy: 'client', warning: '--dry-run is deprecated and can be replaced with --dry-run=client.' };
    case 'client':
    case 'server':
    case 'none':
      return { strategy: raw };
  }
  // Go's strconv.ParseBool spellings, as pflag reads booleans.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return { strategy: 'client', warning: `--dry-run=${raw} is deprecated (boolean value) and can be replaced with --dry-run=client.` };
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return { strategy: 'none', warning: `--dry-run=${raw} is deprecated (boolean value) and can be replaced with --dry-run=none.` };
  throw usageError(`Invalid dry-run value (${raw}). Must be "none", "server", or "client".`);
}

/** The command's strategy; a deprecation warning goes to `warn` (stderr, kubectl's klog line as `Warning: ...`). */
export function dryRunOf(flags: Flags, warn: (line: string) => void): DryRun {
  const { strategy, warning } = parseDryRun(flags.string('dry-run'));
  if (warning) warn(`Warning: ${warning}\n`);
  return strategy;
}

/** What kubectl appends to the verb of its success line: `pod/web created (dry run)`. */
export function dryRunSuffix(strategy: DryRun): string {
  return strategy === 'client' ? ' (dry run)' : strategy === 'server' ? ' (server dry run)' : '';
}
