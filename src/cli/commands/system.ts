// podrun system reset --force: removes everything podrun made for this root, as podman's
// `system reset`: pods, ConfigMaps and Secrets, the network (network host, nftables table,
// bridge), the state folder and the image store.
import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';

export const systemResetCommand: Command = {
  path: ['system', 'reset'],
  usage: 'system reset --force',
  summary: 'Remove all pods, objects, images and podrun networking',
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'do it (there is no undo)' }],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length) throw usageError(`system reset takes no arguments, got: ${ctx.args.join(' ')}`);
    if (!ctx.flags.bool('force')) {
      throw usageError('system reset removes every pod, object, image and podrun network of this root; run it again with --force');
    }
    for (const what of await ctx.podrun().reset()) await write(ctx.io.stdout, `removed ${what}\n`);
    return 0;
  },
};
