// podrun port-forward POD [LOCAL:]REMOTE... [--address A,B]: as kubectl port-forward, until
// interrupted. Connections reach the pod's own localhost:REMOTE.
import type { Command } from '../context';
import { write } from '../context';
import { parsePortSpec } from '../../runtime/port-forward';
import { usageError } from '../report-error';
import { podNames } from '../resources';

export const portForwardCommand: Command = {
  path: ['port-forward'],
  usage: 'port-forward POD [LOCAL_PORT:]REMOTE_PORT [...]',
  summary: "Forward local ports to a pod's ports",
  flags: [{ name: 'address', kind: 'string', value: 'ADDR', help: 'addresses to listen on, comma-separated (default 127.0.0.1)' }],
  engine: 'spawn',
  async run(ctx) {
    const [target, ...specs] = ctx.args;
    if (!target) throw usageError('port-forward requires a pod name and at least one port');
    if (!specs.length) throw usageError('port-forward requires at least one port');
    const name = target.includes('/') ? podNames([target])[0] : target;
    const mappings = specs.map(parsePortSpec);
    const addresses = (ctx.flags.string('address') ?? '127.0.0.1').split(',').map((a) => a.trim()).filter(Boolean);
    const out = ctx.io.stdout;
    const session = await ctx.podrun().portForward(name!, mappings, {
      namespace: ctx.namespace,
      addresses,
      onConnection: (m) => void write(out, `Handling connection for ${m.local}\n`),
      onError: (m, e) => void write(ctx.io.stderr, `error: forwarding port ${m.local} -> ${m.remote}: ${e.message}\n`),
    });
    for (const m of session.ports) for (const a of addresses) await write(out, `Forwarding from ${a}:${m.local} -> ${m.remote}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await session.close();
    return 0;
  },
};
