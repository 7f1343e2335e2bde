// podrun exec NAME [-c C] [-i] [-t] -- CMD...: run a command in a running container with this
// terminal's streams, and leave with its exit code (`command terminated with exit code N`).

import type { Readable } from 'node:stream';
import type { ExecSession } from '../../types';
import type { CliIO, Command } from '../context';
import { write } from '../context';
import { execContainer } from '../container-choice';
import { usageError } from '../report-error';
import { singlePod } from '../resources';
import { podFor } from '../pod-of';

/** After the process exits, how long its output may still take to arrive before we stop waiting. */
const DRAIN_MS = 2000;

function ended(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/**
 * kubectl's rule: a TTY only with -i, and only when stdin is a terminal; otherwise it warns
 * and goes on without one.
 */
export function decideTTY(tty: boolean, stdin: boolean, stdinIsTTY: boolean): { tty: boolean; warning?: string } {
  if (!tty || !stdin) return { tty: false };
  if (!stdinIsTTY) return { tty: false, warning: 'Unable to use a TTY - input is not a terminal or the right kind of file' };
  return { tty: true };
}

/** Wires the session to the streams until the process exits; resolves to its exit code. */
export async function attach(io: CliIO, session: ExecSession, useStdin: boolean, tty: boolean): Promise<number> {
  session.stdout.pipe(io.stdout, { end: false });
  session.stderr?.pipe(io.stderr, { end: false });
  if (useStdin) io.stdin.pipe(session.stdin);
  let stopResize = (): void => {};
  if (tty) {
    io.terminal.setRaw(true);
    stopResize = io.terminal.onResize(() => {
      const size = io.terminal.size();
      if (size) session.resize(size.rows, size.cols);
    });
  }
  try {
    const { exitCode, signal } = await session.exit;
    // The process is gone but its last output may still be in flight; a stream that never
    // ends (a leaked descriptor in a grandchild) must not keep us here.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([ended(session.stdout), ended(session.stderr)]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    return exitCode !== 0 ? exitCode : signal ? 128 + signal : 0;
  } finally {
    stopResize();
    if (tty) io.terminal.setRaw(false);
    if (useStdin) {
      io.stdin.unpipe(session.stdin);
      // Our stdin would otherwise keep the event loop, and so the CLI, alive.
      io.stdin.pause();
    }
    session.stdout.unpipe(io.stdout);
    session.stderr?.unpipe(io.stderr);
  }
}

export const execCommand: Command = {
  path: ['exec'],
  usage: 'exec NAME [-c CONTAINER] [-i] [-t] -- COMMAND [ARG...]',
  summary: 'Run a command in a container',
  details: ['Examples:', '  podrun exec web -- ls /', '  podrun exec -it web -c app -- sh'].join('\n'),
  flags: [
    { name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the container (default: the first one)' },
    { name: 'stdin', short: 'i', kind: 'bool', help: 'pass stdin to the command' },
    { name: 'tty', short: 't', kind: 'bool', help: 'give the command a terminal (with -i)' },
  ],
  engine: 'spawn',
  takesCommand: true,
  async run(ctx) {
    if (ctx.args.length === 0) throw usageError('pod, type/name or --filename must be specified');
    if (ctx.afterDash === undefined && ctx.args.length > 1) {
      throw usageError('exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead');
    }
    const given = ctx.args.length === 1 && ctx.args[0]!.includes('/') ? ctx.args[0]! : singlePod(ctx.args, 'exec');
    const chosen = await podFor(ctx.podrun(), given, ctx.namespace);
    if (chosen.note) await write(ctx.io.stderr, `${chosen.note}\n`);
    const name = chosen.name;
    const argv = ctx.afterDash ?? [];
    if (argv.length === 0) throw usageError('you must specify at least one command for the container');

    const client = ctx.podrun();
    const pod = await client.getPod(name, ctx.namespace);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      throw usageError(`cannot exec into a container in a completed pod; current phase is ${phase}`);
    }
    const { container, note } = execContainer(pod, ctx.flags.string('container'));
    if (note) await write(ctx.io.stderr, note + '\n');
    const useStdin = ctx.flags.bool('stdin');
    const { tty, warning } = decideTTY(ctx.flags.bool('tty'), useStdin, ctx.io.terminal.stdinIsTTY());
    if (warning) await write(ctx.io.stderr, warning + '\n');
    const size = tty ? ctx.io.terminal.size() : undefined;

    const session = await client.exec(name, argv, {
      namespace: ctx.namespace,
      container,
      tty,
      stdin: useStdin,
      rows: size?.rows,
      cols: size?.cols,
    });
    const code = await attach(ctx.io, session, useStdin, tty);
    if (code !== 0) await write(ctx.io.stderr, `command terminated with exit code ${code}\n`);
    return code;
  },
};
