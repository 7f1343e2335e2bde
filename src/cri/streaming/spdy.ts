// SPDY/3.1 framing, server side, as Kubernetes' streaming clients speak it (kubectl, crictl,
// critest and the kubelet's proxy, through moby/spdystream): after an HTTP/1.1 Upgrade, the
// client opens streams with SYN_STREAM (headers such as `streamtype: stdout`), the server
// answers each with SYN_REPLY, and both send DATA frames until FIN.
//
// Why not a library: spdy-transport, the one maintained SPDY package for Node, speaks HTTP over
// SPDY and refuses a SYN_STREAM without `:method` and `:path`, which these streams never carry.
// What is implemented is what those clients use: SYN_STREAM, SYN_REPLY, DATA, RST_STREAM, PING
// (answered), GOAWAY, HEADERS; SETTINGS and WINDOW_UPDATE are read and ignored, as spdystream
// itself does no flow control. Header blocks are zlib with SPDY's dictionary, one compression
// context per direction for the whole connection.
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary';

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;
/** RST_STREAM's CANCEL. */
const CANCEL = 5;
/** A frame's length is 24 bits; podrun's own frames stay well below. */
const MAX_DATA = 32 * 1024;
/** Frames larger than this are a broken or hostile client: the connection ends. */
const MAX_FRAME = 16 * 1024 * 1024;

export type Headers = Record<string, string>;

/** One SPDY stream: readable (the client's DATA), writable (ours); end() sends FIN. */
export class SpdyStream extends Duplex {
  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Headers,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    /* data is pushed as frames arrive */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    for (let i = 0; i < chunk.length; i += MAX_DATA) this.session.sendData(this.id, chunk.subarray(i, i + MAX_DATA), false);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true);
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.session.forget(this.id, err !== null);
    cb(err);
  }
}

/** A SPDY/3.1 connection on an upgraded socket; 'stream' for each stream the client opens, 'close' at the end. */
export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  /** Frames are handled one at a time, in order: header blocks share one zlib context. */
  private work: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly socket: net.Socket, head: Buffer) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.received(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.end());
    this.inflate.on('error', () => socket.destroy());
    this.deflate.on('error', () => socket.destroy());
    if (head.length) this.received(head);
  }

  private received(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 8) {
      const length = this.buf.readUIntBE(5, 3);
      if (length > MAX_FRAME) {
        this.socket.destroy();
        return;
      }
      if (this.buf.length < 8 + length) return;
      const frame = this.buf.subarray(0, 8 + length);
      this.buf = this.buf.subarray(8 + length);
      this.work = this.work
        .then(() => this.frame(frame))
        .catch(() => {
          this.socket.destroy();
        });
    }
  }

  private async frame(f: Buffer): Promise<void> {
    const flags = f[4]!;
    const body = f.subarray(8);
    if ((f[0]! & 0x80) === 0) {
      // DATA: the stream id, then the payload.
      const s = this.streams.get(f.readUInt32BE(0) & 0x7fffffff);
      if (!s) return;
      if (body.length) s.push(Buffer.from(body));
      if (flags & FLAG_FIN) s.push(null);
      return;
    }
    const type = f.readUInt16BE(2);
    if (type === SYN_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const headers = parseHeaders(await this.inflateBlock(body.subarray(10)));
      const s = new SpdyStream(this, id, headers);
      this.streams.set(id, s);
      await this.reply(id);
      if (flags & FLAG_FIN) s.push(null);
      this.emit('stream', s);
    } else if (type === HEADERS) {
      await this.inflateBlock(body.subarray(4)); // read, to keep the zlib context in step
    } else if (type === RST_STREAM) {
      const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
      s?.push(null);
      s?.destroy();
    } else if (type === PING) {
      this.write(f);
    } else if (type === GOAWAY) {
      this.end();
    }
    // SETTINGS, WINDOW_UPDATE and anything else: ignored, as spdystream ignores them.
  }

  private inflateBlock(block: Buffer): Promise<Buffer> {
    return zlibBlock(this.inflate, block);
  }

  private async reply(id: number): Promise<void> {
    // No headers: four zero bytes (a count of 0), compressed in our direction's context.
    const block = await zlibBlock(this.deflate, Buffer.alloc(4));
    const body = Buffer.alloc(4 + block.length);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    block.copy(body, 4);
    this.write(controlFrame(SYN_REPLY, 0, body));
  }

  sendData(id: number, data: Buffer, fin: boolean): void {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head[4] = fin ? FLAG_FIN : 0;
    head.writeUIntBE(data.length, 5, 3);
    this.write(data.length ? Buffer.concat([head, data]) : head);
  }

  /** A stream ended: by us (nothing to say), or destroyed with an error (the client is told). */
  forget(id: number, reset: boolean): void {
    if (!this.streams.delete(id) || !reset) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(CANCEL, 4);
    this.write(controlFrame(RST_STREAM, 0, body));
  }

  private write(b: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(b);
  }

  /** GOAWAY, then the socket closes once what was written has gone. */
  close(): void {
    if (this.closed) return;
    const body = Buffer.alloc(8);
    this.write(controlFrame(GOAWAY, 0, body));
    this.closed = true;
    this.socket.end();
  }

  private ended = false;

  /** The connection is gone: every stream ends, and 'close' is said once. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.push(null);
      s.destroy();
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

/** One header block through a zlib stream that lives as long as the connection (SYNC_FLUSH between blocks). */
function zlibBlock(z: zlib.Inflate | zlib.Deflate, block: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (d: Buffer) => out.push(d);
    z.on('data', onData);
    z.write(block);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      resolve(Buffer.concat(out));
    });
  });
}

/** A SPDY/3 name/value block: a count, then each name and value with a 32-bit length; values may hold several, NUL-separated (the first is kept). */
export function parseHeaders(b: Buffer): Headers {
  const out: Headers = {};
  let at = 0;
  const take = (): string => {
    const n = b.readUInt32BE(at);
    at += 4;
    if (at + n > b.length) throw new Error('SPDY header block is truncated');
    const s = b.subarray(at, at + n).toString('utf8');
    at += n;
    return s;
  };
  const count = b.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    out[name] = take().split('\0')[0]!;
  }
  return out;
}
