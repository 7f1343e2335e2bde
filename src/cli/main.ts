// The `podrun` executable: bin/podrun calls main(process.argv.slice(2)). This file only
// connects the process (streams, terminal, environment, the real client) to run().

import type { Readable } from 'node:stream';
import type { Podrun } from '../podrun';
import type { PodrunOptions } from '../types';
import type { CliIO, Terminal } from './context';
import { run } from './run';

const terminal: Terminal = {
  stdinIsTTY: () => process.stdin.isTTY === true,
  setRaw: (on) => {
    if (process.stdin.isTTY) process.stdin.setRawMode(on);
  },
  size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
  onResize: (cb) => {
    process.on('SIGWINCH', cb);
    return () => {
      process.off('SIGWINCH', cb);
    };
  },
};

const io: CliIO = {
  // Read lazily: touching process.stdin opens it, which commands that never read it should not do.
  get stdin(): Readable {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  terminal,
  now: () => Date.now(),
};

/**
 * The real client, loaded when a command first needs it: loading it loads the native addon,
 * and a missing or broken addon must read as one `error:` line from that command, not as a
 * stack trace from every command (help and version included).
 */
function makeClient(opts: PodrunOptions): Podrun {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Podrun: PodrunClass } = require('../podrun') as typeof import('../podrun');
  return new PodrunClass(opts);
}

export async function main(argv: string[]): Promise<void> {
  // `podrun logs -f web | head`: once the reader is gone, stop quietly as kubectl does on SIGPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await run(argv, io, process.env, makeClient);
}
