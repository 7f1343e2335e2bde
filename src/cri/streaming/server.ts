// The streaming server behind CRI's Exec, Attach and PortForward: those calls answer a URL on
// 127.0.0.1 with a one-time token (as the kubelet's streaming library and containerd do), and
// the client (crictl, critest, the kubelet proxying kubectl) upgrades a request to that URL to
// SPDY/3.1 or to a WebSocket and speaks remotecommand or portforward over it. A token is good
// for one connection within a minute of its call; anything else is refused before any upgrade.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type * as net from 'node:net';
import type { ExecSession } from '../../types';
import type { Duplex } from 'node:stream';
import { servePortForward, serveWsPortForward, type PortForwarder } from './port-forward';
import { awaitStreams, failureReport, REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand, wantedStreams, type RemoteCommandProtocol, type StreamConnection, type StreamOptions } from './remote-command';
import { WebSocketServer, type WebSocket } from 'ws';
import { SpdySession } from './spdy';
import { codecOf, WsChannels } from './ws-channels';

/** What the server needs of the runtime. */
export interface StreamingBackend extends PortForwarder {
  exec(containerId: string, cmd: string[], opts: { tty: boolean; stdin: boolean }): ExecSession;
  attach(containerId: string): Promise<ExecSession>;
}

export type StreamRequest =
  | ({ kind: 'exec'; containerId: string; cmd: string[] } & StreamOptions)
  | ({ kind: 'attach'; containerId: string } & StreamOptions)
  | { kind: 'portforward'; sandboxId: string; ports: number[] };

/** As the kubelet's streaming server: a URL is used within a minute, or not at all. */
const TOKEN_TTL_MS = 60_000;
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** WebSocket subprotocols of exec and attach, as the kubelet's streaming library serves them (v4 first). */
const WS_REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];
const WS_PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** remotecommand's WebSocket channels. */
const WS = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export class StreamingServer {
  private readonly tokens = new Map<string, { req: StreamRequest; timer: NodeJS.Timeout }>();
  private readonly sockets = new Set<net.Socket>();
  /** The WebSocket handshake and framing (the `ws` package); upgrades are routed here by upgrade(). */
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  private constructor(
    private readonly server: http.Server,
    private readonly backend: StreamingBackend,
    private readonly base: string,
  ) {}

  static async listen(backend: StreamingBackend, host = '127.0.0.1'): Promise<StreamingServer> {
    const server = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('this URL takes an upgrade to SPDY/3.1 or a WebSocket\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    const s = new StreamingServer(server, backend, `http://${host}:${port}`);
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => s.upgrade(req, socket, head));
    server.on('connection', (socket: net.Socket) => {
      s.sockets.add(socket);
      socket.once('close', () => s.sockets.delete(socket));
    });
    return s;
  }

  /** A one-time URL for the request. */
  url(req: StreamRequest): string {
    const token = randomBytes(24).toString('base64url');
    const timer = setTimeout(() => this.tokens.delete(token), TOKEN_TTL_MS);
    timer.unref();
    this.tokens.set(token, { req, timer });
    return `${this.base}/${req.kind}/${token}`;
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const refuse = (code: number, why: string) => {
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    };
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)(?:\?.*)?$/.exec(req.url ?? '');
    const entry = m ? this.tokens.get(m[2]!) : undefined;
    if (!m || !entry || entry.req.kind !== m[1]) return refuse(404, 'unknown or expired streaming URL');
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return this.upgradeWebSocket(req, socket, head, m[2]!, entry, refuse);
    if (upgrade !== 'spdy/3.1') return refuse(400, `upgrade to SPDY/3.1 or a WebSocket only (asked: ${req.headers.upgrade ?? 'none'})`);
    const offered = String(req.headers['x-stream-protocol-version'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const ours: readonly string[] = entry.req.kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : REMOTE_COMMAND_PROTOCOLS;
    // The client's order of preference, as the kubelet's negotiation takes it.
    const protocol = offered.find((p) => ours.includes(p)) ?? (offered.length === 0 && entry.req.kind !== 'portforward' ? 'channel.k8s.io' : undefined);
    if (!protocol) return refuse(403, `no common stream protocol: offered ${offered.join(', ') || 'none'}, served ${ours.join(', ')}`);
    clearTimeout(entry.timer);
    this.tokens.delete(m[2]!);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    const session = new SpdySession(socket, head);
    const r = entry.req;
    if (r.kind === 'portforward') servePortForward(session, r.sandboxId, r.ports, this.backend);
    else void this.spdyRemoteCommand(session, r, protocol as RemoteCommandProtocol);
  }

  /**
   * A WebSocket client (kubectl through an API server that speaks WebSockets, a browser console):
   * the subprotocol picks binary or base64 channels and the status format; none offered is the
   * oldest, binary channel.k8s.io. Port forwarding takes the request's ports, else the URL's.
   */
  private upgradeWebSocket(req: http.IncomingMessage, socket: net.Socket, head: Buffer, token: string, entry: { req: StreamRequest; timer: NodeJS.Timeout }, refuse: (code: number, why: string) => void): void {
    const r = entry.req;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const ours = r.kind === 'portforward' ? WS_PORT_FORWARD_PROTOCOLS : WS_REMOTE_COMMAND_PROTOCOLS;
    const protocol = offered.length ? offered.find((p) => ours.includes(p)) : '';
    if (protocol === undefined) return refuse(403, `no common WebSocket subprotocol: offered ${offered.join(', ')}, served ${ours.join(', ')}`);
    let ports: number[] = [];
    if (r.kind === 'portforward') {
      ports = r.ports.length ? r.ports : wsPorts(req.url ?? '');
      if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) return refuse(400, 'query parameter "port" is required: one or more ports, 1-65535');
    }
    clearTimeout(entry.timer);
    this.tokens.delete(token);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const codec = codecOf(protocol);
      if (r.kind === 'portforward') return serveWsPortForward(new WsChannels(ws, ports.length * 2, codec), r.sandboxId, ports, this.backend);
      const conn = new WsChannels(ws, 5, codec);
      const streams = new Map<string, Duplex>([['error', conn.channel(WS.error)]]);
      if (r.stdin) streams.set('stdin', conn.channel(WS.stdin));
      if (r.stdout) streams.set('stdout', conn.channel(WS.stdout));
      if (r.stderr && !r.tty) streams.set('stderr', conn.channel(WS.stderr));
      if (r.tty) streams.set('resize', conn.channel(WS.resize));
      // An empty message on the lowest channel the server writes: the client's sign that the connection is up.
      conn.send(r.stdout ? WS.stdout : r.stderr && !r.tty ? WS.stderr : WS.error, Buffer.alloc(0));
      void this.remoteCommand(conn, streams, r, protocol.startsWith('v4.') ? 'v4.channel.k8s.io' : 'channel.k8s.io');
    });
  }

  private async spdyRemoteCommand(session: SpdySession, r: Extract<StreamRequest, { kind: 'exec' | 'attach' }>, protocol: RemoteCommandProtocol): Promise<void> {
    const streams = await awaitStreams(session, wantedStreams(r, protocol));
    if (!streams) return session.close();
    await this.remoteCommand(session, streams, r, protocol);
  }

  /** Starts the exec (or attaches) and carries it over the streams to its end. */
  private async remoteCommand(session: StreamConnection, streams: Map<string, Duplex>, r: Extract<StreamRequest, { kind: 'exec' | 'attach' }>, protocol: RemoteCommandProtocol): Promise<void> {
    let proc: ExecSession;
    try {
      proc = r.kind === 'exec' ? this.backend.exec(r.containerId, r.cmd, { tty: r.tty, stdin: r.stdin }) : await this.backend.attach(r.containerId);
    } catch (e) {
      streams.get('error')!.end(failureReport((e as Error).message, protocol));
      for (const s of streams.values()) s.end();
      return session.close();
    }
    // An attachment ends with the container or a detach: neither is the client's failure.
    const reported = r.kind === 'attach' ? { ...proc, exit: proc.exit.then(() => ({ exitCode: 0, signal: 0 })) } : proc;
    await serveRemoteCommand(session, streams, reported, protocol);
  }

  /** Ends every connection and the listener. */
  async close(): Promise<void> {
    for (const t of this.tokens.values()) clearTimeout(t.timer);
    this.tokens.clear();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The ports of a WebSocket port-forward URL: `?port=80&port=8080` or `?port=80,8080`. */
function wsPorts(url: string): number[] {
  const q = new URL(url, 'http://x').searchParams.getAll('port');
  return q.flatMap((v) => v.split(',')).map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
}
