// A WebSocket client of Kubernetes' channel protocols (channel.k8s.io and base64.channel.k8s.io,
// plain or v4), on the `ws` package's client: what an API server or a browser console sends to a
// CRI streaming URL. Written from the protocol's description, not from podrun's server.
import { WebSocket } from 'ws';

export interface ChannelMessage {
  channel: number;
  /** The payload, decoded from base64 where the protocol is base64, as latin1 text. */
  data: string;
}

export class WsClient {
  readonly messages: ChannelMessage[] = [];
  /** Resolves once the server has closed the connection. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (raw: Buffer) => {
      if (!raw.length) return;
      if (this.base64) this.messages.push({ channel: raw[0]! - 0x30, data: Buffer.from(raw.subarray(1).toString('latin1'), 'base64').toString('latin1') });
      else this.messages.push({ channel: raw[0]!, data: raw.subarray(1).toString('latin1') });
    });
  }

  get base64(): boolean {
    return this.protocol.includes('base64');
  }

  /** Connects to an http:// streaming URL; rejects with the status line and body when refused. */
  static connect(url: string, protocols: string[]): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http:/, 'ws:'), protocols);
      ws.once('open', () => resolve(new WsClient(ws, ws.protocol)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => reject(new Error(`${res.statusCode} ${res.statusMessage}: ${body.trim()}`)));
      });
      ws.once('error', reject);
    });
  }

  send(channel: number, data: string): void {
    if (this.base64) this.ws.send(String.fromCharCode(0x30 + channel) + Buffer.from(data).toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(data)]));
  }

  /** Everything the server sent on one channel. */
  text(channel: number): string {
    return this.messages
      .filter((m) => m.channel === channel)
      .map((m) => m.data)
      .join('');
  }

  close(): void {
    this.ws.close();
  }
}
