// `cp` between the host and a running container (kubectl cp, podman cp), without tar in the image.
//
// The container's side is done by `podrun-shim cp-out|cp-in` (native/shim/copy.c), started
// through exec's path: a clone joins the container's mount namespace (and, rootless, its user
// namespace), takes the container user's identity and execveat()s the static shim opened here on
// the host. So every container path is resolved by the kernel inside the container's root, its
// volumes included, links and all, and files written there belong to the container's user. The
// tool stays out of the container's PID namespace: nothing in the container can see it, trace
// it or reach the host's binary through its /proc/PID/exe.
//
// The host's side is done here, and the stream from the container is treated as hostile (the
// container can replace the tool's view of anything it owns): every name is checked (no `..`,
// no absolute or empty parts), an entry must sit in a folder made or checked earlier in the same
// stream, and nothing on the host is ever opened through a link: a link in the container becomes
// a link on the host, a file is written with O_NOFOLLOW (an existing link is replaced, as tar
// replaces it), and modes lose setuid, setgid and sticky bits.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PodrunError } from '../errors';
import { binaries, native } from '../native';
import { asIdentityOf, type ExecTarget } from './exec';
import { openContainerProcess } from './sandbox';

/** Options of `Podrun.copyFrom` and `Podrun.copyTo`. */
export interface CopyOptions {
  namespace?: string;
  /** The container (default: the pod's only one, or its default-container annotation). */
  container?: string;
  signal?: AbortSignal;
}

/** One record of the stream, as native/shim/copy.c lays out `struct cp_header`. */
const HEADER = 24;
type EntryType = 'D' | 'F' | 'L';
const CHUNK = 64 * 1024;

interface Tool {
  stdin: Writable;
  stdout: Readable;
  /** Everything the tool said on stderr, once it has exited. */
  exit: Promise<{ code: number; stderr: string }>;
  kill(): void;
}

function startTool(t: ExecTarget, args: string[], signal?: AbortSignal): Tool {
  signal?.throwIfAborted();
  const pidfd = openContainerProcess(t);
  if (pidfd === undefined) throw new PodrunError('Conflict', 'container is not running');
  const program = fs.openSync(binaries.shim, 'r');
  const f = native.cloneFlags;
  let h;
  try {
    h = native.exec({
      pidfd,
      nsFlags: f.mount | (t.rootless ? f.user : 0),
      ...asIdentityOf(t.identity),
      cwd: '/',
      argv: ['podrun-shim', ...args],
      env: [],
      path: '',
      tty: false,
      programFd: program,
    });
  } catch (e) {
    throw new PodrunError('System', `cp in container: ${(e as Error).message}`);
  } finally {
    fs.closeSync(pidfd);
    fs.closeSync(program);
  }
  const stdin = new net.Socket({ fd: h.stdin, readable: false, writable: true });
  stdin.on('error', () => undefined); // EPIPE when the tool has stopped reading: its exit says why
  const stdout = new net.Socket({ fd: h.stdout, readable: true, writable: false });
  stdout.on('error', () => stdout.destroy());
  const stderr = new net.Socket({ fd: h.stderr, readable: true, writable: false });
  const said: Buffer[] = [];
  stderr.on('data', (d: Buffer) => said.push(d));
  stderr.on('error', () => stderr.destroy());
  const stderrDone = new Promise<void>((resolve) => stderr.once('close', () => resolve()));
  const kill = () => {
    try {
      native.pidfdSendSignal(h.pidfd, 9);
    } catch {
      /* gone already */
    }
  };
  signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<number>((resolve) => {
    const finish = (info: { exitCode: number; signal: number }) => {
      fs.closeSync(h.pidfd);
      signal?.removeEventListener('abort', kill);
      resolve(info.signal ? 128 + info.signal : info.exitCode);
    };
    const early = native.reapPidfd(h.pidfd);
    if (early) finish(early);
    else new native.PidfdWatch(h.pidfd, () => finish(native.reapPidfd(h.pidfd) ?? { exitCode: -1, signal: 0 }));
  });
  const exit = exited.then(async (code) => {
    await stderrDone;
    return { code, stderr: Buffer.concat(said).toString().trim() };
  });
  return { stdin, stdout, exit, kill };
}

/** Reads exact byte counts from a stream, without holding more than a chunk. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  /** False at a clean end of the stream (no byte of the next record). */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) {
        if (this.buf.length === 0) return false;
        throw new PodrunError('System', 'cp: the stream from the container was cut short');
      }
      this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return true;
  }
  async take(n: number): Promise<Buffer> {
    if (n > 0 && !(await this.fill(n))) throw new PodrunError('System', 'cp: the stream from the container was cut short');
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** `n` bytes, in the pieces they came in. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.buf.length === 0 && !(await this.fill(1))) throw new PodrunError('System', 'cp: the stream from the container was cut short');
      const piece = this.buf.subarray(0, Math.min(n, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      n -= piece.length;
      yield piece;
    }
  }
  async end(): Promise<void> {
    await this.it.return?.();
  }
}

/** The parts of a name from the stream; throws on anything that could leave the copy's root. */
export function entryParts(name: string): string[] {
  if (name === '') return [];
  const parts = name.split('/');
  if (name.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new PodrunError('Invalid', `cp: refusing the entry "${name}" sent by the container`);
  }
  return parts;
}

const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Opens a host file for writing without following a link at its name; a link there is replaced. */
function openNoFollow(file: string, mode: number): number {
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW;
  try {
    return fs.openSync(file, flags, mode);
  } catch (e) {
    if (errnoOf(e) !== 'ELOOP') throw e;
    fs.unlinkSync(file);
    return fs.openSync(file, flags, mode);
  }
}

/** Clears the way for a link or file at `p`: what is there goes, unless it is a folder. */
function clearForNonDir(p: string): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) throw new PodrunError('Conflict', `cannot overwrite directory "${p}" with non-directory`);
  fs.unlinkSync(p);
}

/** Copies `containerPath` out of the container to `hostPath`, as described at the top. */
export async function copyFromContainer(t: ExecTarget, containerPath: string, hostPath: string, signal?: AbortSignal): Promise<void> {
  const tool = startTool(t, ['cp-out', containerPath], signal);
  tool.stdin.end();
  const reader = new ByteReader(tool.stdout);
  const folders = new Set<string>();
  const modes: { p: string; mode: number }[] = [];
  let dest = hostPath;
  let failure: unknown;
  try {
    let first = true;
    while (await reader.fill(HEADER)) {
      const head = await reader.take(HEADER);
      const type = String.fromCharCode(head[0]!) as EntryType;
      const mode = head.readUInt32LE(4) & 0o777;
      const size = Number(head.readBigUInt64LE(8));
      const nameLen = head.readUInt32LE(16);
      if (nameLen > 4096 || !Number.isSafeInteger(size)) throw new PodrunError('Invalid', 'cp: a malformed record from the container');
      const name = (await reader.take(nameLen)).toString();
      const parts = entryParts(name);
      if (first) {
        if (name !== '') throw new PodrunError('Invalid', 'cp: the container sent no root entry');
        // A file into an existing folder lands inside it, as cp(1) puts it; a folder's content
        // merges into the destination, as kubectl cp does.
        if (type !== 'D' && fs.lstatSync(hostPath, { throwIfNoEntry: false })?.isDirectory()) dest = path.join(hostPath, path.posix.basename(containerPath) || 'root');
        first = false;
      } else {
        const parent = parts.slice(0, -1).join('/');
        if (parts.length === 0 || !folders.has(parent)) throw new PodrunError('Invalid', `cp: the container sent "${name}" outside a folder it sent first`);
      }
      const p = path.join(dest, ...parts);
      switch (type) {
        case 'D': {
          const st = fs.lstatSync(p, { throwIfNoEntry: false });
          if (st && !st.isDirectory()) fs.unlinkSync(p);
          if (!st || !st.isDirectory()) fs.mkdirSync(p, { mode: 0o700 });
          folders.add(name);
          modes.push({ p, mode });
          break;
        }
        case 'F': {
          clearDirAt(p);
          const fd = openNoFollow(p, mode);
          try {
            for await (const piece of reader.pieces(size)) fs.writeSync(fd, piece);
          } finally {
            fs.closeSync(fd);
          }
          break;
        }
        case 'L': {
          const target = (await reader.take(size)).toString();
          clearForNonDir(p);
          fs.symlinkSync(target, p);
          break;
        }
        default:
          throw new PodrunError('Invalid', 'cp: a malformed record from the container');
      }
    }
    // Folder modes last, deepest first, so a read-only folder could still be filled.
    for (const { p, mode } of modes.reverse()) fs.chmodSync(p, mode);
  } catch (e) {
    failure = e;
    tool.kill();
  } finally {
    await reader.end();
  }
  const { code, stderr } = await tool.exit;
  signal?.throwIfAborted();
  if (failure) throw failure;
  if (code !== 0) throw toolError(stderr, code, containerPath);
}

/** A file may not replace a folder the stream made (tar refuses that too). */
function clearDirAt(p: string): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new PodrunError('Conflict', `cannot overwrite directory "${p}" with non-directory`);
}

function toolError(stderr: string, code: number, shown: string): PodrunError {
  const text = stderr || `cp of ${shown} failed with exit code ${code}`;
  return new PodrunError(/No such file or directory/.test(text) ? 'NotFound' : 'Invalid', text.split('\n').join('; '));
}

/** Writes to the tool's stdin, waiting when its pipe is full; false once the tool has gone. */
async function send(stdin: Writable, data: Buffer): Promise<boolean> {
  if (stdin.destroyed) return false;
  if (stdin.write(data)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      stdin.off('drain', done);
      stdin.off('close', done);
      resolve();
    };
    stdin.on('drain', done);
    stdin.on('close', done);
  });
  return !stdin.destroyed;
}

function header(type: EntryType, mode: number, size: number, name: string): Buffer {
  const n = Buffer.from(name);
  const h = Buffer.alloc(HEADER + n.length);
  h[0] = type.charCodeAt(0);
  h.writeUInt32LE(mode & 0o7777, 4);
  h.writeBigUInt64LE(BigInt(size), 8);
  h.writeUInt32LE(n.length, 16);
  n.copy(h, HEADER);
  return h;
}

/** Sends one host entry (and, for a folder, what it holds); never follows a link. */
async function sendTree(stdin: Writable, p: string, name: string): Promise<boolean> {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) {
    const target = Buffer.from(fs.readlinkSync(p));
    return (await send(stdin, header('L', 0o777, target.length, name))) && send(stdin, target);
  }
  if (st.isDirectory()) {
    if (!(await send(stdin, header('D', st.mode, 0, name)))) return false;
    for (const entry of fs.readdirSync(p).sort()) {
      if (!(await sendTree(stdin, path.join(p, entry), name ? `${name}/${entry}` : entry))) return false;
    }
    return true;
  }
  if (!st.isFile()) return true; // devices, sockets, fifos: not copied (kubectl's tar skips them too)
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const size = fs.fstatSync(fd).size;
    if (!(await send(stdin, header('F', st.mode, size, name)))) return false;
    let left = size;
    while (left > 0) {
      const buf = Buffer.alloc(Math.min(CHUNK, left));
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      // A file that shrank as it was read is padded: the header promised `size` bytes.
      if (!(await send(stdin, n > 0 ? buf.subarray(0, n) : buf))) return false;
      left -= n > 0 ? n : buf.length;
    }
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** Copies `hostPath` into the container at `containerPath` (inside it when it is a folder). */
export async function copyToContainer(t: ExecTarget, hostPath: string, containerPath: string, signal?: AbortSignal): Promise<void> {
  if (!fs.lstatSync(hostPath, { throwIfNoEntry: false })) throw new PodrunError('NotFound', `${hostPath} doesn't exist in local filesystem`);
  const tool = startTool(t, ['cp-in', containerPath, path.basename(path.resolve(hostPath))], signal);
  tool.stdout.resume();
  let failure: unknown;
  try {
    await sendTree(tool.stdin, hostPath, '');
  } catch (e) {
    failure = e;
    tool.kill();
  }
  tool.stdin.end();
  const { code, stderr } = await tool.exit;
  signal?.throwIfAborted();
  if (failure) throw failure;
  if (code !== 0) throw toolError(stderr, code, containerPath);
}
