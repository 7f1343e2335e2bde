// A finished container's termination message, as the kubelet reads it: the file the container
// wrote at terminationMessagePath (at most 4 KiB, and at most 12 KiB across the pod), or, with
// FallbackToLogsOnError and an empty file after a failure, the tail of its log (80 lines, 2 KiB).
import * as fs from 'node:fs';
import { CriLogParser } from './logs';

export const MAX_MESSAGE_BYTES = 4096;
export const MAX_POD_MESSAGE_BYTES = 12 * 1024;
export const FALLBACK_LINES = 80;
export const FALLBACK_BYTES = 2048;

/** Up to `max` bytes from the start of a file; '' when there is none. */
function head(file: string, max: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(max);
    const n = fs.readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `lines` lines of a CRI log, at most `max` bytes (cut from the front). */
export function logTail(file: string, lines: number, max: number): string {
  let data: Buffer;
  try {
    const st = fs.statSync(file);
    // A CRI record adds ~40 bytes of time, stream and tag to each line; read enough of the end.
    const want = Math.min(st.size, (max + 64) * 4 + lines * 48);
    data = Buffer.alloc(want);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, data, 0, want, st.size - want);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  let text = data.toString('utf8');
  // The first record may be cut: start at the first whole one (unless the whole file was read).
  const nl = text.indexOf('\n');
  if (data.length > 0 && nl >= 0 && text.length > 0 && data.length < fs.statSync(file).size) text = text.slice(nl + 1);
  const parsed = new CriLogParser().push(text).map((l) => l.text);
  const out = parsed.slice(-lines).join('\n') + (parsed.length ? '\n' : '');
  const bytes = Buffer.from(out);
  return bytes.length <= max ? out : bytes.subarray(bytes.length - max).toString('utf8');
}

export interface MessageSource {
  file: string;
  log: string;
  policy: string | undefined;
  exitCode: number;
  /** This container's share of the pod's 12 KiB. */
  maxBytes: number;
}

export function terminationMessage(s: MessageSource): string {
  const written = head(s.file, s.maxBytes);
  if (written || s.policy !== 'FallbackToLogsOnError' || s.exitCode === 0) return written;
  return logTail(s.log, FALLBACK_LINES, Math.min(FALLBACK_BYTES, s.maxBytes));
}
