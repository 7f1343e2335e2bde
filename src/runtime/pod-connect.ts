// TCP connections made inside a pod's network namespace, from Node: the addon clones a child
// that joins the namespace, creates the socket there and starts a non-blocking connect, then
// hands the socket back (native/core/netconnect.c). The connect finishes here, on the event
// loop: a poll for writability, then SO_ERROR. Probes use it; port-forwarding will too.
//
// Why not a blocking connect in the child with SO_SNDTIMEO: the addon would then wait for the
// child on Node's main thread for up to the whole timeout. Why not hand the connecting socket
// straight to net.Socket: a socket wrapped from an fd is taken as already connected, so a
// refused connect would surface later as a read error, and a TCP probe that sends nothing
// could not tell success from failure.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { native } from '../native';
import type { ProcessIdentity } from '../state/process';
import { openRecorded } from './sandbox';

/** Where a connection is made: the network namespace of this process (a pod's container). */
export interface PodNetTarget {
  process: ProcessIdentity;
  /** The pod has its own user namespace that owns its network namespace. */
  rootless: boolean;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

/** A failed dial: `code` is the errno name (ETIMEDOUT for our own timeout), `syscall` the call. */
export class DialError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  /** The deadline passed before the connect finished. */
  readonly timedOut: boolean;
  constructor(message: string, errno: number, syscall: string, timedOut = false) {
    super(message);
    this.name = 'DialError';
    this.errno = errno;
    this.code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
    this.syscall = syscall;
    this.timedOut = timedOut;
  }
}

/**
 * Connects to host:port (an IP literal, as seen from inside the pod) and resolves with the
 * connected socket's fd, owned by the caller. Rejects with DialError.
 */
export function dialInPod(target: PodNetTarget, host: string, port: number, timeoutMs: number): Promise<number> {
  if (!net.isIP(host)) return Promise.reject(new DialError(`not an IP address: ${host}`, os.constants.errno.EINVAL, 'inet_pton'));
  const pidfd = openRecorded(target.process);
  if (pidfd === undefined) return Promise.reject(new DialError('the container is not running', os.constants.errno.ESRCH, 'setns'));
  let fd: number;
  try {
    fd = native.connectInNetns({ pidfd, rootless: target.rootless, host, port });
  } catch (e) {
    const err = e as Error & { errno?: number; syscall?: string };
    return Promise.reject(new DialError(err.message, err.errno ?? os.constants.errno.EIO, err.syscall ?? 'connect'));
  } finally {
    fs.closeSync(pidfd);
  }
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.close();
      fs.closeSync(fd);
      reject(new DialError('i/o timeout', os.constants.errno.ETIMEDOUT, 'connect', true));
    }, Math.max(0, timeoutMs));
    const watch = new native.WritableWatch(fd, () => {
      clearTimeout(timer);
      let soerr: number;
      try {
        soerr = native.socketError(fd);
      } catch (e) {
        soerr = (e as { errno?: number }).errno ?? os.constants.errno.EIO;
      }
      if (soerr === 0) return resolve(fd);
      fs.closeSync(fd);
      reject(new DialError(os.constants.errno.ECONNREFUSED === soerr ? 'connection refused' : `connect failed (errno ${soerr})`, soerr, 'connect'));
    });
  });
}

/** dialInPod, wrapped as a connected net.Socket (destroy it to close). */
export async function connectInPod(target: PodNetTarget, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const fd = await dialInPod(target, host, port, timeoutMs);
  // The poll handle of the wait above is stopped already, so libuv may now own the fd.
  return new net.Socket({ fd, readable: true, writable: true });
}
