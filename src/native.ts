// The only module that loads the addon; everything native is typed here (node-pty's native.d.ts idea).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SandboxRequest {
  shim: string;
  argv: string[];
  env: string[];
  hostname: string;
  logFd: number;
  cloneFlags: number;
  /** Make the namespaces inside this process's user namespace (cloneFlags without user); -1: no. */
  joinUserPidfd: number;
  /** Sockets the shim inherits as fds 4, 5, ... (published ports). */
  keepFds: number[];
}

/** One mount root's engine makes in a pod's own mount namespace (native/core/idmap-mount.c). */
export interface PodMount {
  /** tmpfs: a fresh one at target; bind: source as it is; idmap: source through the pod's id map; readonly: the mount at target made read-only. */
  kind: 'tmpfs' | 'bind' | 'idmap' | 'readonly';
  /** A host path (ignored for tmpfs). */
  source: string;
  /** A path in the pod's mount namespace, made when missing. */
  target: string;
  /** Leave target alone when it is a mount point already. */
  once: boolean;
}

export interface PodMountsRequest {
  /** The pod's shim: its mount namespace is entered. */
  pidfd: number;
  /** /proc/PID/ns/user of the pod: the id map of idmap mounts. */
  usernsFd: number;
  mounts: PodMount[];
}

export interface SandboxHandle {
  pid: number;
  pidfd: number;
  /** Write one byte once the id maps are written; closing it aborts the child. */
  syncFd: number;
  /** The shim's readiness channel: one JSON line, then EOF. */
  readyFd: number;
}

export interface ExitInfo {
  exitCode: number;
  signal: number;
}

export interface ExecRequest {
  pidfd: number;
  nsFlags: number;
  uid: number;
  gid: number;
  groups: number[];
  setGroups: boolean;
  capBounding: bigint;
  capEffective: bigint;
  noNewPrivs: boolean;
  /** Required: the container's seccomp filter (hex of its sock_filter array), or null: unconfined. */
  seccomp: string | null;
  cwd: string;
  argv: string[];
  env: string[];
  path: string;
  tty: boolean;
  rows?: number;
  cols?: number;
  /** A host file (opened before the clone) to execveat instead of argv[0] looked up in the container. */
  programFd?: number;
  /** cgroup.procs files the process joins before entering the container ([] for none). */
  cgroupProcs: string[];
}

export interface ExecHandle {
  pid: number;
  pidfd: number;
  stdin: number;
  stdout: number;
  /** -1 with a tty: stderr shares the terminal. */
  stderr: number;
}

export interface PidfdWatch {
  close(): void;
}

export interface ConnectInNetnsRequest {
  /** A process of the pod (a container's init); its network namespace is joined. */
  pidfd: number;
  /** Join the pod's user namespace too (a rootless pod's network namespace belongs to it). */
  rootless: boolean;
  /** An IPv4 or IPv6 literal. */
  host: string;
  port: number;
}

export interface ListenRequest {
  /** A process whose network namespace gets the socket; absent: ours. */
  pidfd?: number;
  rootless?: boolean;
  host: string;
  port: number;
  udp?: boolean;
}

export interface WritableWatch {
  close(): void;
}

/** What a LayerDecoder saw, once the last push is done. */
export interface LayerDecodeResult {
  /** `sha256:` of the bytes pushed: the blob's digest. */
  digest: string;
  /** `sha256:` of the tar: the layer's DiffID (the same as digest when it was not compressed). */
  diffId: string;
  /** Bytes pushed, and bytes of tar. */
  size: number;
  bytes: number;
  /** The gzip stream was broken or cut short. */
  error?: string;
}

export interface LayerDecoder {
  /**
   * Hands `chunks` to the threadpool: hashed, copied to the partial file, gunzipped when the
   * blob is gzip (told by its first byte). `outputs` is the tar that came out, or undefined
   * when the blob is a plain tar (the chunks themselves are). One push at a time.
   */
  push(chunks: Buffer[], end: boolean, done: (err: Error | null, outputs?: Buffer[], result?: LayerDecodeResult) => void): void;
}

export interface CloneFlags {
  user: number;
  net: number;
  ipc: number;
  uts: number;
  pid: number;
  mount: number;
  cgroup: number;
}

export interface PodNetworkRequest {
  /** A process in the namespace that holds the bridge; -1 for our own. */
  hostPidfd: number;
  hostJoinUser: boolean;
  /** A process of the pod (its shim). */
  podPidfd: number;
  bridge: string;
  hostVeth: string;
  ip: string;
  gateway: string;
  prefix: number;
  mtu: number;
  /** Instead of wiring a pod: delete the bridge (system reset). */
  removeBridge: boolean;
  /** When making the bridge: turn on IPv4 forwarding in its namespace (rootful outbound NAT). */
  forwarding: boolean;
}

interface Addon {
  /**
   * Clones the shim into new namespaces, on libuv's threadpool. The fds in the request must stay
   * open until the promise settles.
   */
  createSandbox(req: SandboxRequest): Promise<SandboxHandle>;
  /** Bridge (made once), a veth into the pod as eth0, its address and default route; on the threadpool. */
  configurePodNetwork(req: PodNetworkRequest): Promise<void>;
  pidfdOpen(pid: number): number;
  /** false when the process has already exited */
  pidfdSendSignal(pidfd: number, signal: number): boolean;
  /** null while running; exitCode -1 when it exited but is not our child */
  reapPidfd(pidfd: number): ExitInfo | null;
  /** keepAlive false: the watch does not keep the event loop running. */
  PidfdWatch: new (pidfd: number, onExit: () => void, keepAlive?: boolean) => PidfdWatch;
  exec(req: ExecRequest): ExecHandle;
  /** Mounts made in a pod's mount namespace by a child that enters it (pods with hostUsers: false). Throws { errno, syscall, path }. */
  podMounts(req: PodMountsRequest): void;
  /** lsetxattr(2): never follows a final symlink. Throws { errno, syscall: 'lsetxattr' }. */
  setXattr(path: string, name: string, value: string): void;
  /** mknod(2) then chmod to exactly `mode & 07777`. Throws { errno, syscall: 'mknod' | 'chmod', path }. */
  mknod(path: string, kind: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): void;
  /** chattr +T: ext2/3/4 spread the folders made inside across block groups. false: not taken (other filesystems). */
  markTopDir(path: string): boolean;
  /** fd holding an exclusive flock, or -1 when another process holds it */
  lockFile(path: string): number;
  setWinsize(fd: number, rows: number, cols: number): void;
  /**
   * A non-blocking, close-on-exec TCP socket made in the pod's network namespace, its connect
   * started (maybe still in progress). Throws { errno, syscall: 'connect' | 'setns' | ... }.
   */
  connectInNetns(req: ConnectInNetnsRequest): number;
  /** A bound (and for TCP listening) non-blocking, close-on-exec socket. Throws { errno, syscall: 'bind' }. */
  listenSocket(req: ListenRequest): number;
  /** SO_ERROR of a socket: 0, or the errno its non-blocking connect failed with. */
  socketError(fd: number): number;
  /** Calls back once when fd is writable; the watch is stopped before the callback. */
  WritableWatch: new (fd: number, onWritable: () => void) => WritableWatch;
  /** partialFd: where the pushed bytes are also written (-1: nowhere). */
  LayerDecoder: new (partialFd: number) => LayerDecoder;
  cloneFlags: CloneFlags;
}

const packageRoot = path.resolve(__dirname, '..');
const buildDir = path.join(packageRoot, 'build', 'Release');

function load(): Addon {
  const file = path.join(buildDir, 'podrun.node');
  if (!fs.existsSync(file)) {
    throw new Error(`podrun: the native addon is not built (${file}); run \`npm run build\``);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Addon;
}

export const native: Addon = load();

/** Paths of the executables built beside the addon. */
export const binaries = {
  shim: path.join(buildDir, 'podrun-shim'),
  payload: path.join(buildDir, 'podrun-payload'),
};
