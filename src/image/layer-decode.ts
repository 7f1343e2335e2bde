// A layer blob turned into its tar off the main thread (the addon's LayerDecoder): written
// compressed bytes come out as tar bytes, and at the end the stream knows the blob's digest and
// the tar's (the DiffID). Chunks are gathered while a push runs on the threadpool, so each push
// is one large batch and neither side waits for the other chunk by chunk.
import * as fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { native, type LayerDecodeResult, type LayerDecoder } from '../native';

/** Bytes gathered beyond which the writer waits for the threadpool to take them. */
const GATHER_LIMIT = 4 << 20;

export interface LayerDecodeOptions {
  /**
   * Where the blob's bytes are also kept, so that an interrupted download can resume. It is
   * removed once the blob was whole and right; a broken download leaves it.
   */
  partial?: string;
  /** Blob bytes so far, as they arrive. */
  onBytes?: (total: number) => void;
  /** Judges the blob at its end (its digest and size): an error fails the stream. */
  check?: (result: LayerDecodeResult) => Error | undefined;
}

export class LayerDecodeStream extends Transform {
  /** Set once the last bytes are decoded. */
  result?: LayerDecodeResult;
  private readonly decoder: LayerDecoder;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private total = 0;
  private running = false;
  /** A write held back until its batch is taken. */
  private waiting?: TransformCallback;
  private flushing?: TransformCallback;
  private closing = false;
  private readonly settleWaiters: (() => void)[] = [];

  constructor(private readonly opts: LayerDecodeOptions = {}) {
    super({ readableHighWaterMark: 4 << 20, writableHighWaterMark: 1 << 20 });
    if (opts.partial) this.fd = fs.openSync(opts.partial, 'w', 0o600);
    this.decoder = new native.LayerDecoder(this.fd);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.total += chunk.length;
    this.opts.onBytes?.(this.total);
    if (this.pendingBytes < GATHER_LIMIT) done();
    else this.waiting = done;
    this.kick();
  }

  override _flush(done: TransformCallback): void {
    this.flushing = done;
    this.kick();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    // A push still running writes to the partial file: it is closed when that push returns.
    if (!this.running) this.closePartial(false);
    done(err);
  }

  private kick(): void {
    if (this.running || this.destroyed) return;
    const end = this.flushing !== undefined;
    if (!end && this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.running = true;
    this.decoder.push(batch, end, (err, outputs, result) => {
      this.running = false;
      if (this.destroyed) return this.closePartial(false);
      if (err) return this.destroy(err);
      if (end && result) {
        this.result = result;
        // The whole blob arrived, right or wrong: nothing is left to resume.
        const bad = this.opts.check?.(result) ?? (result.error ? new Error(result.error) : undefined);
        // Judged before the last tar bytes go on: a wrong blob is called that, not a broken tar.
        if (bad) {
          this.closePartial(true);
          return this.destroy(bad);
        }
        for (const b of outputs ?? batch) this.push(b);
        // The tar's last bytes are unpacked while the partial file goes.
        return this.closePartial(true, () => this.flushing!());
      }
      for (const b of outputs ?? batch) this.push(b);
      this.kick();
    });
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  /**
   * Resolves once no push runs and the partial file is closed: after a failure, what it holds
   * is all there will be (a retry may read its size to resume from).
   */
  settled(): Promise<void> {
    if (!this.running && this.fd < 0 && !this.closing) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Closes the partial file; `remove`: the blob was whole (right or wrong), nothing to resume. */
  private closePartial(remove: boolean, then?: () => void): void {
    const done = () => {
      this.closing = false;
      then?.();
      for (const w of this.settleWaiters.splice(0)) w();
    };
    if (this.fd < 0) return done();
    const fd = this.fd;
    this.fd = -1;
    this.closing = true;
    fs.close(fd, () => (remove && this.opts.partial ? fs.rm(this.opts.partial, { force: true }, done) : done()));
  }
}
