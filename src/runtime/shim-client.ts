// A connection to one pod's shim: JSON lines, one reply per request (matched by id), and
// events (container exits) after `subscribe`.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { PodrunError } from '../errors';
import type { ContainerPlan } from './container-plan';
import type { OverlayProbe, ShimRequest, ShimRequestLine } from './shim-protocol';

export const SHIM_PROTOCOL = 1;

export interface ShimExitEvent {
  event: 'exit';
  name: string;
  attempt: number;
  exitCode: number;
  signal: number;
  finishedAt: string;
}

export interface ShimStartReply {
  pid: number;
  startTime: number;
  startedAt: string;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class ShimClient extends EventEmitter {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(private readonly sock: net.Socket) {
    super();
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new PodrunError('Internal', 'the pod shim closed the connection'));
      this.pending.clear();
      this.emit('close');
    });
  }

  static connect(socketPath: string): Promise<ShimClient> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      sock.once('connect', () => {
        sock.removeListener('error', reject);
        const client = new ShimClient(sock);
        client
          .request({ op: 'hello' })
          .then((r) => {
            if (r.protocol !== SHIM_PROTOCOL) throw new PodrunError('Conflict', `the pod shim speaks protocol ${String(r.protocol)}, not ${SHIM_PROTOCOL}`);
            resolve(client);
          })
          .catch((e: Error) => {
            client.close();
            reject(e);
          });
      });
      sock.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request(body: ShimRequest): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new PodrunError('Internal', 'the pod shim is gone'));
    const id = this.nextId++;
    const line: ShimRequestLine = { ...body, id };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(JSON.stringify(line) + '\n');
    });
  }

  async subscribe(): Promise<void> {
    await this.request({ op: 'subscribe' });
  }

  async start(plan: ContainerPlan): Promise<ShimStartReply> {
    const r = await this.request({ op: 'start', container: plan });
    return { pid: Number(r.pid), startTime: Number(r.startTime), startedAt: String(r.startedAt) };
  }

  /** Whether overlayfs mounts in the pod's namespaces, tried on the given directories; the error when not. */
  probeOverlay(o: OverlayProbe & { userxattr: boolean }): Promise<string | undefined> {
    return this.probe({ op: 'probe-overlay', ...o });
  }

  /** The same through fuse-overlayfs (`program`): undefined when it mounts here. */
  probeFuseOverlay(o: OverlayProbe & { program: string }): Promise<string | undefined> {
    return this.probe({ op: 'probe-fuse-overlayfs', ...o });
  }

  /** A probe request: undefined when the shim did it, else the shim's reason. */
  private async probe(req: ShimRequest): Promise<string | undefined> {
    try {
      await this.request(req);
      return undefined;
    } catch (e) {
      if (e instanceof ShimRequestError) return e.message;
      throw e;
    }
  }

  /** false when the container is not running. */
  async signal(name: string, signal: number): Promise<boolean> {
    try {
      await this.request({ op: 'signal', name, signal });
      return true;
    } catch (e) {
      if (e instanceof ShimRequestError && e.errno === 3 /* ESRCH */) return false;
      throw e;
    }
  }

  /** The running container `name` writes its log to a new file at its path. */
  async reopenLog(name: string): Promise<void> {
    await this.request({ op: 'reopen-log', name });
  }

  /** Ends the pod: every process is killed; `remove` lists folders the shim deletes before it exits. */
  async shutdown(opts: { remove?: string[] } = {}): Promise<void> {
    await this.request({ op: 'shutdown', remove: opts.remove ?? [] });
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event === 'exit') {
        this.emit('exit', msg as unknown as ShimExitEvent);
        continue;
      }
      // A request the shim could not parse is answered without its id (0). The shim answers the
      // requests of one connection in order, so that reply belongs to the oldest one waiting;
      // dropping it would leave its caller waiting forever.
      const id = Number(msg.id) || (msg.ok ? 0 : (this.pending.keys().next().value ?? 0));
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (msg.ok) p.resolve(msg);
      else p.reject(new ShimRequestError(String(msg.error), Number(msg.errno ?? 0), msg.op as string | undefined, msg.path as string | undefined));
    }
  }
}

export class ShimRequestError extends PodrunError {
  constructor(
    message: string,
    readonly errno: number,
    readonly op?: string,
    readonly path?: string,
  ) {
    super('System', message);
    this.name = 'ShimRequestError';
  }
}
