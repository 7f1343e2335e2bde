// A small SPDY/3.1 client, as Kubernetes' streaming clients use it (HTTP/1.1 Upgrade, then
// SYN_STREAM per stream, DATA both ways, FIN): enough to drive podrun's streaming server in
// tests where crictl is not installed. Written from the SPDY/3 draft, not from podrun's server.
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../src/cri/streaming/spdy-dictionary';

export interface ClientStream {
  id: number;
  /** What the server sent on it, so far. */
  received(): string;
  /** Resolves when the server has ended it (FIN or reset). */
  ended: Promise<void>;
  write(data: string | Buffer): void;
  end(): void;
}

interface StreamState {
  chunks: Buffer[];
  done: () => void;
}

export class SpdyClient {
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly streams = new Map<number, StreamState>();
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private work: Promise<void> = Promise.resolve();
  /** The protocol the server chose (X-Stream-Protocol-Version). */
  protocol = '';

  private constructor(private readonly socket: net.Socket) {}

  /** Upgrades a request to `url` (http://host:port/path); rejects with the status line when refused. */
  static connect(url: string, protocols: string[]): Promise<SpdyClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(Number(u.port), u.hostname);
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const text = head.subarray(0, end).toString('latin1');
        if (!text.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(`${text.split('\r\n')[0]}: ${head.subarray(end + 4).toString()}`));
        }
        const c = new SpdyClient(socket);
        c.protocol = /x-stream-protocol-version: *([^\r\n]*)/i.exec(text)?.[1] ?? '';
        socket.on('data', (x: Buffer) => c.received(x));
        c.received(head.subarray(end + 4));
        resolve(c);
      };
      socket.on('data', onData);
      socket.on('error', reject);
      socket.write(`POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${protocols.map((p) => `X-Stream-Protocol-Version: ${p}\r\n`).join('')}\r\n`);
    });
  }

  async open(headers: Record<string, string>): Promise<ClientStream> {
    const id = this.nextId;
    this.nextId += 2;
    const pairs = Object.entries(headers);
    const parts: Buffer[] = [u32(pairs.length)];
    for (const [k, v] of pairs) parts.push(u32(k.length), Buffer.from(k), u32(Buffer.byteLength(v)), Buffer.from(v));
    const block = await flushed(this.deflate, Buffer.concat(parts));
    const body = Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), block]);
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const state: StreamState = { chunks: [], done };
    this.streams.set(id, state);
    this.socket.write(control(1, 0, body));
    return {
      id,
      received: () => Buffer.concat(state.chunks).toString('utf8'),
      ended,
      write: (data) => this.socket.write(dataFrame(id, Buffer.from(data), false)),
      end: () => this.socket.write(dataFrame(id, Buffer.alloc(0), true)),
    };
  }

  close(): void {
    this.socket.destroy();
  }

  private received(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) return;
      const f = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.work = this.work.then(() => this.frame(f));
    }
  }

  private async frame(f: Buffer): Promise<void> {
    const fin = (f[4]! & 1) !== 0;
    if ((f[0]! & 0x80) === 0) {
      const s = this.streams.get(f.readUInt32BE(0) & 0x7fffffff);
      if (f.length > 8) s?.chunks.push(Buffer.from(f.subarray(8)));
      if (fin) s?.done();
      return;
    }
    const type = f.readUInt16BE(2);
    if (type === 2) await flushed(this.inflate, f.subarray(12)); // SYN_REPLY: keep the context in step
    if (type === 3) this.streams.get(f.readUInt32BE(8) & 0x7fffffff)?.done(); // RST_STREAM
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([h, body]);
}

function dataFrame(id: number, data: Buffer, fin: boolean): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id);
  h[4] = fin ? 1 : 0;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

function flushed(z: zlib.Deflate | zlib.Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const on = (d: Buffer) => out.push(d);
    z.on('data', on);
    z.write(input);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', on);
      resolve(Buffer.concat(out));
    });
  });
}
