// Port forwarding, as Kubernetes' portforward.k8s.io protocol has it. Over SPDY: for each
// forwarded connection the client opens an error stream and a data stream with the same
// `requestid` and the pod's `port`. Over a WebSocket: one connection per port, on channels 2i
// (data) and 2i+1 (error), each first carrying the port (16 bits, little-endian). Either way
// podrun connects to the port on the sandbox's loopback, in its network namespace, and copies
// both ways; a connection that fails is told on its error stream, and the others go on.
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { SpdySession, SpdyStream } from './spdy';
import type { WsChannels } from './ws-channels';

/** How a connection to a port in a sandbox is made (the runtime's PortForward). */
export interface PortForwarder {
  portForward(sandboxId: string, port: number): Promise<net.Socket>;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForward(session: SpdySession, sandboxId: string, allowed: number[], backend: PortForwarder): void {
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

  function forward(error: SpdyStream, data: SpdyStream): Promise<void> {
    const port = Number(data.headers.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      error.end(`invalid port "${data.headers.port ?? ''}"`);
      data.end();
      return Promise.resolve();
    }
    return forwardPort({ sandboxId, port, allowed, backend, sockets }, error, data);
  }
}

/** The WebSocket form: one connection for each of `ports`, and the WebSocket closed once all have ended. */
export function serveWsPortForward(conn: WsChannels, sandboxId: string, ports: number[], backend: PortForwarder): void {
  const sockets = new Set<net.Socket>();
  conn.once('close', () => {
    for (const so of sockets) so.destroy();
  });
  const done = ports.map((port, i) => {
    const data = conn.channel(2 * i);
    const error = conn.channel(2 * i + 1);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    data.write(portBytes);
    error.write(portBytes);
    return forwardPort({ sandboxId, port, allowed: ports, backend, sockets }, error, data);
  });
  void Promise.all(done).then(() => conn.close());
}

interface ForwardContext {
  sandboxId: string;
  port: number;
  /** The request's ports: when it named any, the only ones that may be reached. */
  allowed: number[];
  backend: PortForwarder;
  /** Open connections, ended with the client's. */
  sockets: Set<net.Socket>;
}

/** One forwarded connection, to its end (resolved when the pod's side or the client's has closed). */
async function forwardPort(x: ForwardContext, error: Duplex, data: Duplex): Promise<void> {
  const { port, sandboxId } = x;
  const fail = (why: string) => {
    error.end(why);
    data.end();
  };
  if (x.allowed.length && !x.allowed.includes(port)) return fail(`port ${port} was not asked for in the PortForward request`);
  let socket: net.Socket;
  try {
    socket = await x.backend.portForward(sandboxId, port);
  } catch (e) {
    return fail(`error forwarding port ${port} to pod sandbox ${sandboxId}: ${(e as Error).message}`);
  }
  x.sockets.add(socket);
  socket.on('error', () => socket.destroy());
  data.pipe(socket);
  socket.pipe(data);
  await new Promise<void>((resolve) => {
    socket.once('close', () => {
      x.sockets.delete(socket);
      data.end();
      error.end();
      resolve();
    });
  });
}
