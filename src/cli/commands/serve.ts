// podrun serve: run the engine in this process, in the foreground, until SIGTERM or SIGINT.
// Other podrun commands (and Node programs using engine 'auto') go through it. It prints
// nothing but errors, so it can run under a service manager that logs stderr.

import type { Command } from '../context';
import { usageError } from '../report-error';

export const serveCommand: Command = {
  path: ['serve'],
  usage: 'serve [--allowed-unsafe-sysctls=NAME|PREFIX*,...]',
  summary: 'Run the engine in the foreground (until SIGTERM)',
  details: [
    'Examples:',
    "  podrun serve --allowed-unsafe-sysctls='kernel.msg*,net.core.somaxconn'",
  ].join('\n'),
  flags: [
    {
      name: 'allowed-unsafe-sysctls',
      kind: 'list',
      value: 'NAMES',
      help: "namespaced sysctls beyond the safe set that pods may set, names or patterns ending in '*' (ipc: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*; net: net.*)",
    },
  ],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    // The engine unrefs its socket and timers so that a library user's process can exit; here
    // the process exists only to serve, so hold the event loop open until serve() returns.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      await ctx.podrun().serve({ foreground: true });
    } finally {
      clearInterval(keepAlive);
    }
    return 0;
  },
};
