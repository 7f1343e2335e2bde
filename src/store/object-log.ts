// The store's record on disk: one file of JSON lines, each a change (an object put, a key
// deleted) or a reservation of resourceVersions. A change is one write(2) appended to an open
// file: no new inode per change (on the unjournaled ext4 podrun is measured on, each new inode
// costs ~0.5 ms), and a process killed between two changes loses neither. A line torn by a
// crash does not parse and is skipped; the next process ends it before appending. Once the log
// outgrows its last compaction several times over, it is replaced, atomically, by one line per
// live object.
import * as fs from 'node:fs';
import type { KubeObject } from '../api/manifest';
import { writeStateFile } from '../state/atomic-file';

export type LogLine = { rv: number; put: KubeObject } | { rv: number; del: string } | { reserve: number };

/** Compaction waits until the log is this big at least, and this many times its compacted size. */
const COMPACT_MIN_BYTES = 1 << 20;
const COMPACT_FACTOR = 4;

export interface LogContents {
  /** Live objects by store key. */
  objects: Map<string, KubeObject>;
  /** The highest resourceVersion handed out or reserved. */
  rv: number;
}

export class ObjectLog {
  private fd: number;
  private size: number;
  private compactedSize: number;

  private constructor(readonly file: string) {
    this.fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    this.size = fs.fstatSync(this.fd).size;
    this.compactedSize = this.size;
  }

  /** Opens (creating) the log and reads what it says. */
  static open(file: string, keyOf: (o: KubeObject) => string): { log: ObjectLog; contents: LogContents } {
    const contents: LogContents = { objects: new Map(), rv: 0 };
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue; // torn by a crash
      }
      if ('reserve' in line) contents.rv = Math.max(contents.rv, line.reserve);
      else if ('put' in line) {
        contents.rv = Math.max(contents.rv, line.rv);
        contents.objects.set(keyOf(line.put), line.put);
      } else if ('del' in line) {
        contents.rv = Math.max(contents.rv, line.rv);
        contents.objects.delete(line.del);
      }
    }
    const log = new ObjectLog(file);
    // A torn last line: end it, so the next record starts on a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) log.write('\n');
    return { log, contents };
  }

  private write(text: string): void {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    this.size += buf.length;
  }

  append(line: LogLine): void {
    this.write(JSON.stringify(line) + '\n');
  }

  /** Whether the log has grown enough that compact() is worth its cost. */
  get wantsCompaction(): boolean {
    return this.size > COMPACT_MIN_BYTES && this.size > COMPACT_FACTOR * this.compactedSize;
  }

  /** Replaces the log by the reservation and one line per live object. */
  compact(objects: Iterable<KubeObject>, reserve: number, rvOf: (o: KubeObject) => number): void {
    let text = JSON.stringify({ reserve }) + '\n';
    for (const o of objects) text += JSON.stringify({ rv: rvOf(o), put: o }) + '\n';
    writeStateFile(this.file, text);
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND, 0o600);
    this.size = this.compactedSize = Buffer.byteLength(text);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
