// `kubectl port-forward` for podrun: listen on the host, and for each connection dial the pod's
// own localhost:REMOTE from inside its network namespace (dialInPod: a cloned child joins the
// namespace and hands the socket back over SCM_RIGHTS), then splice the two sockets together.
// It lives as long as the caller's process, as kubectl's does.
import * as net from 'node:net';
import { PodrunError } from '../errors';
import { dialInPod, type PodNetTarget } from './pod-connect';

export interface PortMapping {
  /** 0: any free port (reported back in `ports`). */
  local: number;
  remote: number;
}

export interface PortForwardSession {
  /** The mappings with their actual local ports, in the order given. */
  ports: PortMapping[];
  addresses: string[];
  /** Stops listening and ends the connections being forwarded. */
  close(): Promise<void>;
  /** `await using`: close(). */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface PortForwardEvents {
  /** A connection arrived (kubectl prints "Handling connection for PORT"). */
  onConnection?: (m: PortMapping) => void;
  /** A connection could not reach the pod (kubectl prints the error and goes on). */
  onError?: (m: PortMapping, e: Error) => void;
  /** Closes the forward when it aborts (before it listens: the call rejects with the signal's reason). */
  signal?: AbortSignal;
}

const DIAL_TIMEOUT_MS = 10_000;

export async function portForward(target: PodNetTarget, mappings: PortMapping[], addresses: string[], ev: PortForwardEvents = {}): Promise<PortForwardSession> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: PortMapping[] = [];
  const onAbort = () => void close();
  ev.signal?.throwIfAborted();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    ev.signal?.removeEventListener('abort', onAbort);
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  try {
    for (const m of mappings) {
      let local = m.local;
      for (const address of addresses) {
        const mapping = { local, remote: m.remote };
        // Half-open on both sides: a client that sends its request and shuts down its write side
        // (HTTP/1.0 clients, `nc -N`) must still get the answer.
        const server = net.createServer({ allowHalfOpen: true }, (client) => {
          sockets.add(client);
          client.on('close', () => sockets.delete(client));
          client.on('error', () => client.destroy());
          client.pause();
          ev.onConnection?.(mapping);
          dialInPod(target, '127.0.0.1', m.remote, DIAL_TIMEOUT_MS).then(
            (fd) => {
              const up = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
              sockets.add(up);
              up.on('close', () => {
                sockets.delete(up);
                client.destroy();
              });
              up.on('error', () => up.destroy());
              client.on('close', () => up.destroy());
              client.pipe(up);
              up.pipe(client);
              client.resume();
            },
            (e: Error) => {
              ev.onError?.(mapping, e);
              client.destroy();
            },
          );
        });
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', (e: NodeJS.ErrnoException) =>
            reject(new PodrunError('Conflict', `unable to listen on ${address}:${local}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`)),
          );
          server.listen(local, address, () => resolve());
        });
        // The first address decides a `:REMOTE` port; the others listen on the same one.
        local = (server.address() as net.AddressInfo).port;
        mapping.local = local;
      }
      ports.push({ local, remote: m.remote });
    }
  } catch (e) {
    await close();
    throw e;
  }
  if (ev.signal?.aborted) {
    await close();
    ev.signal.throwIfAborted();
  }
  ev.signal?.addEventListener('abort', onAbort, { once: true });
  return { ports, addresses, close, [Symbol.asyncDispose]: close };
}

/** kubectl's port syntax: `8080` (same both sides), `8080:80`, `:80` (any local port). */
export function parsePortSpec(spec: string): PortMapping {
  const m = /^(\d*)(?::(\d+))?$/.exec(spec);
  const port = (s: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new PodrunError('Invalid', `invalid port: ${spec}`);
    return n;
  };
  if (!m || (m[1] === '' && m[2] === undefined)) throw new PodrunError('Invalid', `invalid port syntax: ${spec} (want LOCAL:REMOTE, :REMOTE or PORT)`);
  const remote = port(m[2] ?? m[1]!);
  if (remote === 0) throw new PodrunError('Invalid', `invalid port: ${spec}: the remote port must be 1-65535`);
  return { local: m[1] === '' ? 0 : port(m[1]!), remote };
}
