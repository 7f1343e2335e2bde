// Reading container logs in the CRI format the shim writes:
//   <RFC 3339 time> <stdout|stderr> <F|P> <text>
// Partial records (P) are joined with what follows, as the kubelet does.
import * as fs from 'node:fs';

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export class CriLogParser {
  private carry = '';
  private partial = '';

  /** Feeds raw file bytes; returns the complete lines they finish. */
  push(chunk: string): LogLine[] {
    const out: LogLine[] = [];
    const data = this.carry + chunk;
    const lines = data.split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) {
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      const c = line.indexOf(' ', b + 1);
      if (a < 0 || b < 0) continue;
      const tag = line.slice(b + 1, c < 0 ? undefined : c);
      const text = c < 0 ? '' : line.slice(c + 1);
      if (tag === 'P') {
        this.partial += text;
        continue;
      }
      out.push({ time: line.slice(0, a), stream: line.slice(a + 1, b) as LogLine['stream'], text: this.partial + text });
      this.partial = '';
    }
    return out;
  }
}

export interface FollowOptions {
  follow: boolean;
  /** Is the writer done (the container's exit record exists)? Checked only when following. */
  finished(): boolean;
  pollMs?: number;
}

/** Lines of one log file; with follow, keeps reading until the container has exited. */
export async function* readLog(file: string, opts: FollowOptions): AsyncGenerator<LogLine> {
  const parser = new CriLogParser();
  let fd: number | undefined;
  let pos = 0;
  const buf = Buffer.alloc(65536);
  for (;;) {
    if (fd === undefined) {
      try {
        fd = fs.openSync(file, 'r');
      } catch {
        fd = undefined;
      }
    }
    // Decide before reading: everything written before the exit record is then read below.
    const done = !opts.follow || opts.finished();
    if (fd !== undefined) {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        for (const l of parser.push(buf.subarray(0, n).toString('utf8'))) yield l;
      }
    }
    if (done) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
  if (fd !== undefined) fs.closeSync(fd);
}
