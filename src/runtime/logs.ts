// Reading container logs in the CRI format the shim writes:
//   <RFC 3339 time> <stdout|stderr> <F|P> <text>
// Partial records (P) are joined with what follows, as the kubelet does.
import * as fs from 'node:fs';
import * as path from 'node:path';

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
  /** Ends a follow (the lines end, without an error) when it aborts. */
  signal?: AbortSignal;
}

/**
 * Changes in a folder as inotify reports them (fs.watch): `next()` resolves at once when the
 * folder changed since the last call, else at the next change. The log's writes, its rotation,
 * the exit record and the folder's removal all land here, so a follower sleeps until one does.
 */
class FolderChanges {
  private changed = true;
  private wake?: () => void;
  private readonly watcher?: fs.FSWatcher;

  private stopped = false;

  constructor(dir: string, signal?: AbortSignal) {
    const poke = () => {
      this.changed = true;
      this.wake?.();
    };
    signal?.addEventListener('abort', () => {
      this.stopped = true;
      this.close();
      poke();
    }, { once: true });
    if (signal?.aborted) this.stopped = true;
    try {
      // Persistent: a follower keeps its process alive while it waits, as a timer did.
      this.watcher = fs.watch(dir, poke);
      this.watcher.on('error', poke);
    } catch {
      // Gone already: every look finds what it finds, and finished() ends the follow.
    }
  }

  /** Resolves false once the follow was stopped (the signal aborted). */
  async next(): Promise<boolean> {
    if (this.stopped) return false;
    if (!this.watcher) return true;
    if (!this.changed) await new Promise<void>((r) => (this.wake = r));
    this.wake = undefined;
    this.changed = false;
    return !this.stopped;
  }

  close(): void {
    this.watcher?.close();
  }
}

/** The rotated files of a log (LOG.1, LOG.2, ...), oldest first. */
export function rotatedLogs(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file) + '.';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && /^\d+$/.test(n.slice(base.length)))
    .sort((a, b) => Number(a.slice(base.length)) - Number(b.slice(base.length)))
    .map((n) => path.join(dir, n));
}

function openOr(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
}

/**
 * Lines of one container attempt's log: its rotated files, then the current one; with follow,
 * keeps reading until the container has exited, and crosses over to the new file when the shim
 * rotates the one being read.
 */
export async function* readLog(file: string, opts: FollowOptions): AsyncGenerator<LogLine> {
  const parser = new CriLogParser();
  const buf = Buffer.alloc(65536);
  // The current file first, so that a rotation from here on leaves it in our hands (read to
  // its end below); the rotated files listed after it that are not it come before it.
  let fd = openOr(file);
  const current = fd !== undefined ? fs.fstatSync(fd).ino : undefined;
  for (const old of rotatedLogs(file)) {
    const ofd = openOr(old);
    if (ofd === undefined) continue; // removed by a rotation meanwhile: past the cap
    try {
      if (fs.fstatSync(ofd).ino === current) continue;
      for (let pos = 0, n; (n = fs.readSync(ofd, buf, 0, buf.length, pos)) > 0; pos += n) {
        for (const l of parser.push(buf.subarray(0, n).toString('utf8'))) yield l;
      }
    } finally {
      fs.closeSync(ofd);
    }
  }
  let pos = 0;
  const changes = opts.follow ? new FolderChanges(path.dirname(file), opts.signal) : undefined;
  try {
    for (;;) {
      // Taken before reading: a change while we read wakes the next look.
      if (changes && !(await changes.next())) return;
      fd ??= openOr(file);
    // Decide before reading: everything written before the exit record is then read below.
    const done = !opts.follow || opts.finished();
    if (fd !== undefined) {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        for (const l of parser.push(buf.subarray(0, n).toString('utf8'))) yield l;
      }
      // Rotated under us: what we hold is LOG.N now, read to its end; go on with the new LOG.
      let now: number | undefined;
      try {
        now = fs.statSync(file).ino;
      } catch {
        now = undefined;
      }
      if (now !== undefined && now !== fs.fstatSync(fd).ino) {
        fs.closeSync(fd);
        fd = undefined;
        pos = 0;
        continue;
      }
    }
    if (done) break;
    }
  } finally {
    // Here too when the reader leaves early (break, an aborted follow).
    changes?.close();
    if (fd !== undefined) fs.closeSync(fd);
  }
}
