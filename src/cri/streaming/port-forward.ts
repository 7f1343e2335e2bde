// Port forwarding over one SPDY connection, as Kubernetes' portforward.k8s.io protocol has it:
// for each forwarded connection the client opens an error stream and a data stream with the
// same `requestid` and the pod's `port`; podrun connects to that port on the sandbox's
// loopback, in its network namespace, and copies both ways. A connection that fails is told on
// its error stream; the others go on.
import type * as net from 'node:net';
import type { SpdySession, SpdyStream } from './spdy';
import type { StreamingBackend } from './server';

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForward(session: SpdySession, sandboxId: string, allowed: number[], backend: Pick<StreamingBackend, 'portForward'>): void {
  const pairs = new Map<string, Pair>();
  const sockets = new Set<net.Socket>();
  session.on('stream', (s: SpdyStream) => {
    const id = s.headers.requestid ?? '';
    const pair = pairs.get(id) ?? {};
    if (s.headers.streamtype === 'error') pair.error = s;
    else if (s.headers.streamtype === 'data') pair.data = s;
    else return s.destroy();
    pairs.set(id, pair);
    if (pair.error && pair.data) {
      pairs.delete(id);
      void forward(pair.error, pair.data);
    }
  });
  session.on('close', () => {
    for (const so of sockets) so.destroy();
  });

  async function forward(error: SpdyStream, data: SpdyStream): Promise<void> {
    const port = Number(data.headers.port);
    const fail = (why: string) => {
      error.end(why);
      data.end();
    };
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(`invalid port "${data.headers.port ?? ''}"`);
    // The request's ports, when it named any, are the ones that may be reached.
    if (allowed.length && !allowed.includes(port)) return fail(`port ${port} was not asked for in the PortForward request`);
    let socket: net.Socket;
    try {
      socket = await backend.portForward(sandboxId, port);
    } catch (e) {
      return fail(`error forwarding port ${port} to pod sandbox ${sandboxId}: ${(e as Error).message}`);
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    data.pipe(socket);
    socket.pipe(data);
    socket.once('close', () => {
      data.end();
      error.end();
    });
  }
}
