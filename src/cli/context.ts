// What a command sees: its arguments, the streams, the terminal, the clock, and the podrun
// client, created on first use. Commands touch nothing else of the process, so tests can run
// them against in-memory streams and a fake client.

import type { Readable, Writable } from 'node:stream';
import type { Podrun } from '../podrun';
import type { Flags, FlagSpec } from './args';

/** The controlling terminal, as exec needs it; main wires it to process.stdin/stdout. */
export interface Terminal {
  /** Whether stdin is a terminal that can be put in raw mode. */
  stdinIsTTY(): boolean;
  setRaw(on: boolean): void;
  /** Current size of the terminal on stdout, when stdout is one. */
  size(): { rows: number; cols: number } | undefined;
  /** Calls `cb` on every SIGWINCH; returns the function that stops it. */
  onResize(cb: () => void): () => void;
}

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  terminal: Terminal;
  /** Milliseconds since the epoch; ages are computed against it. */
  now(): number;
}

export interface CommandContext {
  io: CliIO;
  flags: Flags;
  /** Positional arguments after the command's own words. */
  args: string[];
  /** The words after `--`, undefined without `--`. */
  afterDash?: string[];
  namespace: string;
  /** Whether -n was given (apply and delete -f then override or check objects' namespaces). */
  namespaceGiven: boolean;
  /** PODRUN_DEBUG=1: errors carry their stack. */
  debug: boolean;
  podrun(): Podrun;
}

export interface Command {
  /** The words that select it: `['get']`, `['image', 'import']`. */
  path: string[];
  /** Other word sequences that select it: `[['images']]`. */
  aliases?: string[][];
  /** `-h` output's first line, after the words. */
  usage: string;
  summary: string;
  /** Extra lines for `CMD --help`: examples, notes. */
  details?: string;
  flags: FlagSpec[];
  /**
   * How the client is built: 'spawn' starts a background `podrun serve` when none runs;
   * 'local' is for serve itself and for the image store, which need no engine.
   */
  engine: 'spawn' | 'local';
  /** The words after `--` are the command to run (exec), not more arguments. */
  takesCommand?: boolean;
  /** Left out of help and suggestions (`__complete`, which the completion scripts call). */
  hidden?: boolean;
  /** Resolves to the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Writes text and waits when the stream is full, so `podrun logs` on a big log stays flat in memory. */
export async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }
}
