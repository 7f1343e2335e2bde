// podrun attach NAME [-c C] [-i] [-t]: the output (and with -i the input) of a running
// container's main process, as kubectl attach; with -t its terminal, in raw mode.
import type { Command } from '../context';
import { write } from '../context';
import { execContainer } from '../container-choice';
import { singlePod } from '../resources';
import { attach, decideTTY } from './exec';

export const attachCommand: Command = {
  path: ['attach'],
  usage: 'attach NAME [-c CONTAINER] [-i] [-t]',
  summary: "Attach to a running container's main process",
  flags: [
    { name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the container (default: the first one)' },
    { name: 'stdin', short: 'i', kind: 'bool', help: "pass stdin to the container (it needs stdin: true)" },
    { name: 'tty', short: 't', kind: 'bool', help: 'the container has a terminal (tty: true): use raw mode' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const name = singlePod(ctx.args, 'attach');
    const client = ctx.podrun();
    const pod = await client.getPod(name, ctx.namespace);
    const { container, note } = execContainer(pod, ctx.flags.string('container'));
    if (note) await write(ctx.io.stderr, note + '\n');
    return attachTo(ctx, name, container, ctx.flags.bool('stdin'), ctx.flags.bool('tty'));
  },
};

/** Shared with `debug -it`. */
export async function attachTo(ctx: Parameters<Command['run']>[0], name: string, container: string, stdin: boolean, wantTTY: boolean): Promise<number> {
  const { tty, warning } = decideTTY(wantTTY, stdin, ctx.io.terminal.stdinIsTTY());
  if (warning) await write(ctx.io.stderr, warning + '\n');
  const session = await ctx.podrun().attach(name, { namespace: ctx.namespace, container });
  if (tty) {
    const size = ctx.io.terminal.size();
    if (size) session.resize(size.rows, size.cols);
  }
  return attach(ctx.io, session, stdin, tty);
}
