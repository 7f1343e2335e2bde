// Kubernetes' channel protocols over one WebSocket (its wsstream): every message begins with the
// number of the channel it belongs to, as a byte (channel.k8s.io) or as a digit before base64
// text (base64.channel.k8s.io); the channels are the streams SPDY would have opened one by one.
// Each channel is a Duplex here, so remote-command.ts and port-forward.ts serve both transports.
// The framing of WebSocket itself is the `ws` package's.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export type ChannelCodec = 'binary' | 'base64';

/** The codec a negotiated subprotocol implies ('' or channel.k8s.io: binary). */
export function codecOf(protocol: string): ChannelCodec {
  return protocol.endsWith('base64.channel.k8s.io') ? 'base64' : 'binary';
}

export class WsChannel extends Duplex {
  constructor(
    private readonly conn: WsChannels,
    readonly num: number,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    /* data is pushed as messages arrive */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.conn.send(this.num, chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    // Before v5 a channel cannot be closed alone: it ends with the connection.
    cb();
  }
}

/** A WebSocket carrying numbered channels; 'close' once the connection has ended. */
export class WsChannels extends EventEmitter {
  private readonly channels: WsChannel[] = [];
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    count: number,
    private readonly codec: ChannelCodec,
  ) {
    super();
    for (let i = 0; i < count; i++) this.channels.push(new WsChannel(this, i));
    // Text (base64) and binary messages alike arrive as Buffers (ws's default binaryType).
    ws.on('message', (data: Buffer) => this.receive(data));
    ws.on('close', () => this.ended());
    ws.on('error', () => this.ended());
  }

  channel(n: number): WsChannel {
    return this.channels[n]!;
  }

  private receive(data: Buffer): void {
    if (data.length === 0) return;
    const num = this.codec === 'base64' ? data[0]! - 0x30 : data[0]!;
    const ch = this.channels[num];
    // A frame for a channel that is not there is skipped, as wsstream skips it.
    if (!ch) return;
    const payload = this.codec === 'base64' ? Buffer.from(data.subarray(1).toString('latin1'), 'base64') : data.subarray(1);
    if (payload.length) ch.push(payload);
  }

  /** One message on channel num (an empty one tells the client the connection is ready). */
  send(num: number, data: Buffer, cb: (e?: Error | null) => void = () => undefined): void {
    if (this.closed) return cb();
    if (this.codec === 'base64') this.ws.send(String.fromCharCode(0x30 + num) + data.toString('base64'), { binary: false }, () => cb());
    else this.ws.send(Buffer.concat([Buffer.of(num), data]), { binary: true }, () => cb());
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.channels) ch.push(null);
    this.emit('close');
  }

  /** A normal close, once what was written has gone. */
  close(): void {
    if (this.closed) return;
    this.ws.close(1000);
  }
}
