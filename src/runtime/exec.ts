// `exec`: a new process in all of a running container's namespaces, as the container's user,
// started by the addon (setns in a freshly cloned child, then execve) and watched by pidfd.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tty from 'node:tty';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { PodrunError } from '../errors';
import { native } from '../native';
import type { ExecIdentity } from './container-plan';
import { DEFAULT_PATH } from './container-plan';
import type { ExecSession } from '../types';
import type { ProcessIdentity } from '../state/process';
import { openContainerProcess } from './sandbox';

export interface ExecTarget {
  /** The container's process, as its start record names it. */
  process: ProcessIdentity;
  /** The pod's shim, as the engine's own sandbox record names it. */
  sandbox: ProcessIdentity;
  identity: ExecIdentity;
  rootless: boolean;
}

function readStream(fd: number): Readable {
  const s = new net.Socket({ fd, readable: true, writable: false });
  // A pty master reports EIO once the other side is gone: that is the end of the output.
  s.on('error', () => s.destroy());
  return s;
}

function isCgroupProcs(p: string): boolean {
  const root = (process.env.PODRUN_CGROUP_ROOT ?? '/sys/fs/cgroup').replace(/\/+$/, '');
  return p.startsWith(`${root}/`) && p.endsWith('/cgroup.procs') && !p.split('/').includes('..');
}

/** The request fields that make a process the container's user, with its capabilities. */
export function asIdentityOf(i: ExecIdentity) {
  return {
    uid: i.uid,
    gid: i.gid,
    groups: i.groups,
    setGroups: i.setGroups,
    capBounding: BigInt(i.capBounding),
    capEffective: BigInt(i.capEffective),
    noNewPrivs: i.noNewPrivs,
    // The container's filter; exec.json of a container started before podrun loaded seccomp has
    // none, and that container runs unconfined.
    seccomp: i.seccomp?.filter ?? null,
    // exec.json of a container started by an older podrun has none. Joined by root before setns:
    // only cgroup.procs files (exec.json is in the pod's reach when its shim runs as the pod).
    cgroupProcs: (i.cgroupProcs ?? []).filter(isCgroupProcs),
  };
}

/**
 * The flags of the namespaces the container does not share with this process. One it shares (the
 * host's PID namespace of a hostPID pod, the host's network) is not joined: joining it again from
 * the pod's user namespace is refused (EPERM: it belongs to the host's), and changes nothing.
 */
function notShared(pid: number, flags: Record<'net' | 'ipc' | 'pid', number>): number {
  let out = 0;
  for (const [ns, flag] of Object.entries(flags)) {
    try {
      if (fs.statSync(`/proc/${pid}/ns/${ns}`).ino === fs.statSync(`/proc/self/ns/${ns}`).ino) continue;
    } catch {
      /* unreadable: joined, as before */
    }
    out |= flag;
  }
  return out;
}

export function execInContainer(t: ExecTarget, argv: string[], opts: { tty?: boolean; stdin?: boolean; rows?: number; cols?: number; signal?: AbortSignal }): ExecSession {
  opts.signal?.throwIfAborted();
  const pidfd = openContainerProcess(t);
  if (pidfd === undefined) throw new PodrunError('Conflict', 'container is not running');
  const f = native.cloneFlags;
  const env = [...t.identity.env];
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  let h;
  try {
    h = native.exec({
      pidfd,
      nsFlags: f.mount | f.uts | notShared(t.process.pid, { net: f.net, ipc: f.ipc, pid: f.pid }) | (t.rootless ? f.user : 0),
      ...asIdentityOf(t.identity),
      cwd: t.identity.cwd,
      argv,
      env,
      path,
      tty: !!opts.tty,
      rows: opts.rows,
      cols: opts.cols,
    });
  } catch (e) {
    const err = e as Error & { syscall?: string; path?: string };
    if (err.syscall === 'executable file not found in $PATH') {
      throw new PodrunError('Invalid', `exec: "${argv[0]}": executable file not found in $PATH`);
    }
    throw new PodrunError('System', `exec in container: ${err.message}`);
  } finally {
    fs.closeSync(pidfd);
  }
  let stdin: Writable;
  let stdout: Readable;
  let stderr: Readable | null = null;
  if (opts.tty) {
    // A pty master is a tty to libuv: net.Socket refuses it.
    const out = new tty.ReadStream(h.stdout);
    out.on('error', () => out.destroy()); // EIO once the terminal's other side is closed
    const input = new tty.WriteStream(h.stdin);
    input.on('error', () => undefined);
    stdin = input;
    stdout = out;
  } else {
    stdin = new net.Socket({ fd: h.stdin, readable: false, writable: true });
    stdin.on('error', () => undefined);
    stdout = readStream(h.stdout);
    stderr = readStream(h.stderr);
  }
  if (!opts.stdin) {
    if (opts.tty) {
      stdin.destroy();
      stdin = new PassThrough();
    } else stdin.end();
  }
  let exited = false;
  const exit = new Promise<{ exitCode: number; signal: number }>((resolve) => {
    const finish = (info: { exitCode: number; signal: number }) => {
      exited = true;
      fs.closeSync(h.pidfd);
      // Give the output a moment to drain; a daemon that keeps the pipe open must not hang us.
      const streams = [stdout, stderr].filter((s): s is Readable => !!s);
      let open = streams.filter((s) => !s.destroyed && !s.readableEnded).length;
      const done = () => resolve(info);
      if (open === 0) return done();
      const timer = setTimeout(done, 500);
      for (const s of streams)
        s.once('close', () => {
          if (--open === 0) {
            clearTimeout(timer);
            done();
          }
        });
    };
    const early = native.reapPidfd(h.pidfd);
    if (early) finish(early);
    else new native.PidfdWatch(h.pidfd, () => finish(native.reapPidfd(h.pidfd) ?? { exitCode: -1, signal: 0 }));
  });
  const kill = (signal = 15) => {
    if (exited) return;
    try {
      native.pidfdSendSignal(h.pidfd, signal);
    } catch {
      /* already gone */
    }
  };
  const abort = () => kill(9);
  opts.signal?.addEventListener('abort', abort, { once: true });
  void exit.then(() => opts.signal?.removeEventListener('abort', abort));
  return {
    stdin,
    stdout,
    stderr,
    exit,
    resize: (rows, cols) => {
      if (opts.tty) native.setWinsize(h.stdout, rows, cols);
    },
    kill,
    async [Symbol.asyncDispose]() {
      kill(9);
      stdin.destroy();
      await exit;
    },
  };
}
