// podrun cri: a CRI v1 runtime for a kubelet, crictl or critest, in the foreground until
// SIGTERM or SIGINT. The process is also this root's engine (as `podrun serve`), so what comes
// over CRI is what `podrun get` shows, on the same images and state.

import type { Command } from '../context';
import { usageError } from '../report-error';
import type { CriServer } from '../../cri/server';

export const criCommand: Command = {
  path: ['cri'],
  usage: 'cri [--listen unix:///PATH]',
  summary: 'Serve CRI v1 (RuntimeService, ImageService) on a unix socket, and run the engine',
  details: [
    'The socket is owner-only. Default: /run/podrun/cri.sock as root, $XDG_RUNTIME_DIR/podrun/cri.sock otherwise.',
    '',
    'Examples:',
    '  podrun cri --listen unix:///run/podrun/cri.sock',
    '  crictl --runtime-endpoint unix:///run/podrun/cri.sock version',
  ].join('\n'),
  flags: [{ name: 'listen', kind: 'string', value: 'ENDPOINT', help: 'where to listen: unix:///path (or a path)' }],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    // Loaded here, not with the CLI: gRPC and the schema cost every other command 90 ms.
    const { CriServer: Server, defaultCriSocket } = await import('../../cri/server');
    const podrun = ctx.podrun();
    let server: CriServer | undefined;
    try {
      // The socket opens once the engine runs: a kubelet's first call finds the runtime there.
      await podrun.serve({
        foreground: true,
        started: async (engine) => {
          server = await Server.listen(ctx.flags.string('listen') ?? defaultCriSocket(), { images: podrun, runtime: engine.runtime, root: podrun.root.dir, dataRoot: podrun.dataRoot });
        },
      });
    } finally {
      await server?.close();
    }
    return 0;
  },
};
