// CRI clients on a unix socket that send the socket's path as HTTP/2's `:authority` (crictl and
// critest before 1.31, older kubelets, grpc-java and older grpc-core clients) are reset by
// Node's HTTP/2 (nghttp2) with PROTOCOL_ERROR: RFC 9113 wants an authority to be host[:port].
// grpc-go servers (containerd, CRI-O) never look at it. So podrun reads each connection before
// Node does and makes every `:authority` of a request `localhost`, which is what newer clients
// send on a unix socket anyway; the authority means nothing on a local socket.
//
// Rewriting a header inside HPACK (RFC 7541) is safe only where no dynamic table remembers the
// old value, so the server's SETTINGS are shown to the client with a header table of size 0:
// from then on the client's header blocks hold only literals and static-table references (the
// client signals the change with a size update, which the server's decoder follows too).
// Values are replaced whole, so Huffman-coded ones need no decoding.
import { Duplex, Transform, type TransformCallback } from 'node:stream';

const PREFACE_LENGTH = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
const FRAME_HEADER = 9;
const HEADERS = 1;
const SETTINGS = 4;
const CONTINUATION = 9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const ACK = 0x1;
const SETTINGS_HEADER_TABLE_SIZE = 1;
/** The smallest frame payload every peer accepts (SETTINGS_MAX_FRAME_SIZE's floor). */
const MAX_PAYLOAD = 16384;
/** The static table's index of `:authority` (RFC 7541, Appendix A). */
const STATIC_AUTHORITY = 1;
const LOCALHOST = Buffer.from([9, ...Buffer.from('localhost')]); // a raw string literal, 9 octets

/** An HPACK integer with an N-bit prefix at buf[at]: its value and where what follows begins. */
function readInt(buf: Buffer, at: number, prefix: number): [number, number] {
  const max = (1 << prefix) - 1;
  let n = buf[at]! & max;
  let i = at + 1;
  if (n < max) return [n, i];
  for (let shift = 0; ; shift += 7) {
    if (i >= buf.length || shift > 28) throw new Error('HPACK: integer out of range');
    const b = buf[i++]!;
    n += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [n, i];
  }
}

/** An HPACK string literal at buf[at]: whether it is Huffman-coded, its octets, and its end. */
function readString(buf: Buffer, at: number): { huffman: boolean; bytes: Buffer; end: number } {
  if (at >= buf.length) throw new Error('HPACK: string literal missing');
  const huffman = (buf[at]! & 0x80) !== 0;
  const [len, start] = readInt(buf, at, 7);
  if (start + len > buf.length) throw new Error('HPACK: string literal past the block');
  return { huffman, bytes: buf.subarray(start, start + len), end: start + len };
}

/** A header block with every literal `:authority` value made `localhost`. */
export function rewriteAuthority(block: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < block.length) {
    const b = block[i]!;
    if (b & 0x80 || (b & 0xe0) === 0x20) {
      // Indexed field (7-bit prefix) or dynamic table size update (5-bit): nothing literal.
      const [, next] = readInt(block, i, b & 0x80 ? 7 : 5);
      out.push(block.subarray(i, next));
      i = next;
      continue;
    }
    // A literal: with incremental indexing (6-bit name index), else without or never indexed (4).
    const [nameIndex, afterIndex] = readInt(block, i, (b & 0xc0) === 0x40 ? 6 : 4);
    let valueAt = afterIndex;
    let authority = nameIndex === STATIC_AUTHORITY;
    if (nameIndex === 0) {
      const name = readString(block, afterIndex);
      authority = !name.huffman && name.bytes.toString('latin1') === ':authority';
      valueAt = name.end;
    }
    const value = readString(block, valueAt);
    out.push(block.subarray(i, valueAt), authority ? LOCALHOST : block.subarray(valueAt, value.end));
    i = value.end;
  }
  return Buffer.concat(out);
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** Splits a byte stream into HTTP/2 frames after `skip` octets of preface, which pass as they are. */
abstract class FrameStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private skip: number) {
    super();
  }

  protected abstract onFrame(type: number, flags: number, stream: number, payload: Buffer, whole: Buffer): void;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.skip -= n;
      }
      while (this.buf.length >= FRAME_HEADER) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < FRAME_HEADER + len) break;
        const whole = this.buf.subarray(0, FRAME_HEADER + len);
        this.buf = this.buf.subarray(FRAME_HEADER + len);
        this.onFrame(whole[3]!, whole[4]!, whole.readUInt32BE(5) & 0x7fffffff, whole.subarray(FRAME_HEADER), whole);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}

/** The client's side: each header block, once whole, goes on with `:authority: localhost`. */
class ClientFrames extends FrameStream {
  private pending?: { stream: number; flags: number; priority?: Buffer; fragments: Buffer[] };

  constructor() {
    super(PREFACE_LENGTH);
  }

  protected onFrame(type: number, flags: number, stream: number, payload: Buffer, whole: Buffer): void {
    if (type === HEADERS) {
      let at = 0;
      let pad = 0;
      if (flags & PADDED) {
        pad = payload[0] ?? 0;
        at = 1;
      }
      const priority = flags & PRIORITY ? payload.subarray(at, at + 5) : undefined;
      if (priority) at += 5;
      this.pending = { stream, flags, priority, fragments: [payload.subarray(at, payload.length - pad)] };
    } else if (type === CONTINUATION && this.pending) {
      this.pending.fragments.push(payload);
    } else {
      this.push(whole);
      return;
    }
    if (flags & END_HEADERS) this.flushHeaders();
  }

  private flushHeaders(): void {
    const p = this.pending!;
    this.pending = undefined;
    const block = rewriteAuthority(Buffer.concat(p.fragments));
    const body = p.priority ? Buffer.concat([p.priority, block]) : block;
    const first = body.subarray(0, MAX_PAYLOAD);
    const flags = (p.flags & (END_STREAM | PRIORITY)) | (body.length <= MAX_PAYLOAD ? END_HEADERS : 0);
    this.push(frame(HEADERS, flags, p.stream, first));
    for (let at = MAX_PAYLOAD; at < body.length; at += MAX_PAYLOAD) {
      const part = body.subarray(at, at + MAX_PAYLOAD);
      this.push(frame(CONTINUATION, at + MAX_PAYLOAD >= body.length ? END_HEADERS : 0, p.stream, part));
    }
  }
}

/** The server's side: its SETTINGS reach the client with a header table of size 0. */
class ServerFrames extends FrameStream {
  constructor() {
    super(0);
  }

  protected onFrame(type: number, flags: number, stream: number, payload: Buffer, whole: Buffer): void {
    if (type !== SETTINGS || flags & ACK) {
      this.push(whole);
      return;
    }
    const entries: Buffer[] = [];
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      if (payload.readUInt16BE(at) !== SETTINGS_HEADER_TABLE_SIZE) entries.push(payload.subarray(at, at + 6));
    }
    const none = Buffer.alloc(6);
    none.writeUInt16BE(SETTINGS_HEADER_TABLE_SIZE, 0);
    this.push(frame(SETTINGS, flags, stream, Buffer.concat([none, ...entries])));
  }
}

/** The connection as the HTTP/2 server should see it: what the client sends, rewritten as above. */
export function normalizeAuthority(socket: Duplex): Duplex {
  const fromClient = new ClientFrames();
  const toClient = new ServerFrames();
  socket.pipe(fromClient);
  toClient.pipe(socket);
  const conn = Duplex.from({ readable: fromClient, writable: toClient });
  const end = () => {
    socket.destroy();
    conn.destroy();
  };
  // A broken frame (or a peer gone) ends the connection, as a protocol error ends it in nghttp2.
  for (const s of [socket, fromClient, toClient, conn]) s.once('error', end);
  socket.once('close', () => conn.destroy());
  conn.once('close', () => socket.destroy());
  return conn;
}
