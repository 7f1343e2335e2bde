// Flags that several commands take with the same meaning.

import type { FlagSpec } from '../args';

/** -f for apply and delete. */
export const FILE_FLAGS: FlagSpec[] = [
  { name: 'filename', short: 'f', kind: 'list', value: 'FILE', help: 'manifest file, directory, or - for stdin (repeatable)' },
  { name: 'recursive', short: 'R', kind: 'bool', help: 'also read the subdirectories of directories given with -f' },
];

/** The options every command takes. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', kind: 'string', value: 'DIR', help: 'state root (default $PODRUN_ROOT, else $XDG_RUNTIME_DIR/podrun, /run/podrun for root)' },
  { name: 'data-root', kind: 'string', value: 'DIR', help: 'image store root (default $PODRUN_DATA_ROOT, else ~/.local/share/podrun, /var/lib/podrun for root)' },
  { name: 'namespace', short: 'n', kind: 'string', value: 'NS', help: 'namespace (default "default")' },
  { name: 'help', short: 'h', kind: 'bool', help: 'show help' },
];
