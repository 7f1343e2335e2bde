// A pod sandbox: the shim, exec'd by the addon as PID 1 of the pod's new namespaces.
// Creation is a handshake: clone (the child waits) -> write the id maps -> release -> the shim
// reports readiness on its fd 3. Any failure undoes everything made so far.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { PodrunError, SystemError } from '../errors';
import { binaries, native, type PodMount } from '../native';
import { writeStateFile } from '../state/atomic-file';
import type { PodPaths } from '../state/paths';
import { processStartTime, type ProcessIdentity } from '../state/process';
import type { IdMapPlan } from './idmap';
import { writeIdMaps } from './idmap';
import { mountInPod } from './userns-mounts';
import type { VolumeOwnership } from '../volume/ownership';

export interface SandboxSpec {
  hostname: string;
  /** hostNetwork / hostIPC: keep the host's namespace instead of making one. */
  hostNetwork?: boolean;
  hostIPC?: boolean;
  /** hostPID: the host's PID namespace; the shim is then not PID 1 and ends only its own descendants. */
  hostPID?: boolean;
  /** null when podrun runs as root: no user namespace. */
  idmap: IdMapPlan | null;
  /** Pod-level tmpfs mounts made in the shim's mount namespace (shm, memory-backed emptyDirs). */
  tmpfs: { target: string; options: string }[];
  /**
   * Make the pod's namespaces inside this process's user namespace (the rootless network host)
   * instead of a new one: idmap then describes that namespace's mapping, already written.
   */
  joinUserPidfd?: number;
  /** Published ports the shim forwards: host sockets it inherits, and where each goes in the pod. */
  ports?: ShimPort[];
  /** Written under /proc/sys in the pod's namespaces before any container starts. */
  sysctls: { path: string; value: string }[];
  /** fsGroup given to the pod's volumes by the shim (volume/ownership.ts); null: none. */
  fsGroup: VolumeOwnership | null;
  /** Made by root in the pod's mount namespace once its id maps are written, and once the shim is ready (hostUsers: false: userns-mounts.ts). */
  podMounts?: { beforeStart: PodMount[]; onceReady: PodMount[] };
  /** The pod cgroup's cgroup.procs files (src/cgroups): the shim is moved in before it runs; [] for none. */
  cgroupProcs: string[];
}

export interface ShimPort {
  /** A bound host socket; the shim gets a copy, the caller keeps (and closes) its own. */
  fd: number;
  protocol: 'TCP' | 'UDP';
  /** The pod's address to connect to, and the container port. */
  ip: string;
  port: number;
}

export interface SandboxRecord extends ProcessIdentity {
  /** The pod has a user namespace (every rootless pod, root's with hostUsers: false): exec and connections join it. */
  rootless: boolean;
  idmap: IdMapPlan | null;
  createdAt: string;
  /** false until its network and /etc files are in place: a sandbox half made (absent in records of older versions, which were whole). */
  ready?: boolean;
}

function readReady(fd: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = new net.Socket({ fd, readable: true, writable: false });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (buf += d));
    s.on('error', reject);
    s.on('close', () => {
      const line = buf.split('\n')[0];
      if (!line) {
        reject(new PodrunError('Internal', 'the pod shim exited before it was ready'));
        return;
      }
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new PodrunError('Internal', `the pod shim said: ${line}`));
      }
    });
  });
}

/** Waits for a child of this process to exit and collects it, without SIGCHLD handling. */
export function reapChild(pidfd: number, keepAlive = true): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      native.reapPidfd(pidfd);
      fs.closeSync(pidfd);
      resolve();
    };
    if (native.reapPidfd(pidfd) !== null) {
      fs.closeSync(pidfd);
      resolve();
      return;
    }
    new native.PidfdWatch(pidfd, done, keepAlive);
  });
}

export async function createSandbox(paths: PodPaths, spec: SandboxSpec): Promise<SandboxRecord> {
  const f = native.cloneFlags;
  const joined = spec.joinUserPidfd !== undefined;
  const flags = (spec.hostNetwork ? 0 : f.net) | (spec.hostIPC ? 0 : f.ipc) | f.uts | (spec.hostPID ? 0 : f.pid) | f.mount | (spec.idmap && !joined ? f.user : 0);
  const ports = (spec.ports ?? []).map((p, i) => ({ fd: 4 + i, protocol: p.protocol, ip: p.ip, port: p.port }));
  // As root, the shim keeps the host's mount namespace: binds whose propagation follows the
  // host's are cloned there when their container starts (shim/container.c, open_host_tree).
  const hostMnt = spec.idmap ? undefined : fs.openSync('/proc/self/ns/mnt', 'r');
  const config = { protocol: 1, loopback: !spec.hostNetwork, mounts: spec.tmpfs, ports, sysctls: spec.sysctls, fsGroup: spec.fsGroup, hostMountNamespace: hostMnt === undefined ? -1 : 4 + ports.length };
  writeStateFile(paths.shimConfig, JSON.stringify(config) + '\n');
  const logFd = fs.openSync(paths.shimLog, 'a', 0o600);
  let h;
  try {
    h = await native.createSandbox({
      shim: binaries.shim,
      argv: ['podrun-shim', paths.dir],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      hostname: spec.hostname,
      logFd,
      cloneFlags: flags,
      joinUserPidfd: spec.joinUserPidfd ?? -1,
      keepFds: [...(spec.ports ?? []).map((p) => p.fd), ...(hostMnt === undefined ? [] : [hostMnt])],
    });
  } catch (e) {
    throw toSystemError(e, 'the kernel refused new namespaces: check /proc/sys/user/max_user_namespaces');
  } finally {
    fs.closeSync(logFd);
    if (hostMnt !== undefined) fs.closeSync(hostMnt);
  }
  const identity: ProcessIdentity = { pid: h.pid, startTime: processStartTime(h.pid) ?? '0' };
  const record: SandboxRecord = { ...identity, rootless: !!spec.idmap, idmap: spec.idmap, createdAt: new Date().toISOString(), ready: false };
  // Recorded before the child is let go: until then it exits by itself if this process dies
  // (its sync pipe reads EOF); from then on a later engine finds it here and ends it.
  writeStateFile(paths.sandbox, JSON.stringify(record) + '\n');
  const ready = readReady(h.readyFd);
  try {
    // Into the pod's cgroup while it still waits: all it starts is charged to the pod.
    for (const procs of spec.cgroupProcs) fs.writeFileSync(procs, String(h.pid));
    if (spec.idmap && !joined) await writeIdMaps(h.pid, spec.idmap);
    if (spec.podMounts) mountInPod(h.pid, h.pidfd, spec.podMounts.beforeStart);
    fs.writeSync(h.syncFd, 'x');
    fs.closeSync(h.syncFd);
    h.syncFd = -1;
    const r = await ready;
    if (!r.ok) {
      const detail = r.error ? String(r.error) : `${String(r.op)}${r.path ? ` \`${String(r.path)}\`` : ''}: errno ${String(r.errno)}`;
      throw new PodrunError('System', `creating the pod sandbox: ${detail}`);
    }
    // Ready: its socket is made, and what it may not change can be sealed.
    if (spec.podMounts) mountInPod(h.pid, h.pidfd, spec.podMounts.onceReady);
  } catch (e) {
    if (h.syncFd >= 0) fs.closeSync(h.syncFd); // the child reads EOF and exits
    native.pidfdSendSignal(h.pidfd, 9);
    ready.catch(() => undefined);
    await reapChild(h.pidfd);
    throw e;
  }
  // The shim stays our child until this process exits; collect it whenever it ends.
  void reapChild(h.pidfd, false);
  return record;
}

export function toSystemError(e: unknown, hint?: string): Error {
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).errno === 'number') {
    const ee = e as Error & { errno: number; syscall?: string; path?: string };
    return new SystemError(ee.syscall ?? 'system call', ee.errno, e.message.split(': ').pop() ?? '', ee.path, hint);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A pidfd for a container's process as its start record names it, or undefined when it is gone.
 * A pod with its own user namespace (rootless, or hostUsers: false) has a shim that is no one
 * on the host, and its records are written by that shim: a shim taken over could name another
 * pod's process, or a host one, to be exec'ed into. The process must live in the user
 * namespace of the pod's shim, which the engine's own sandbox record names.
 */
export function openContainerProcess(t: { process: ProcessIdentity; sandbox: ProcessIdentity; rootless: boolean }): number | undefined {
  const fd = openRecorded(t.process);
  if (fd === undefined || !t.rootless) return fd;
  const userns = (pid: number): string | undefined => {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/user`);
    } catch {
      return undefined;
    }
  };
  const shimFd = openRecorded(t.sandbox);
  const ours = shimFd === undefined ? undefined : userns(t.sandbox.pid);
  if (shimFd !== undefined) fs.closeSync(shimFd);
  const theirs = userns(t.process.pid);
  if (ours === undefined || theirs !== ours) {
    fs.closeSync(fd);
    throw new PodrunError('Invalid', `process ${t.process.pid} named by the container's start record is not in the pod's user namespace (${theirs ?? 'gone'}, the pod's ${ours ?? 'gone'}): not entered`);
  }
  return fd;
}

/** Opens a pidfd for a recorded process, or undefined when that process is gone (or the pid was reused). */
export function openRecorded(id: ProcessIdentity): number | undefined {
  let fd: number;
  try {
    fd = native.pidfdOpen(id.pid);
  } catch {
    return undefined;
  }
  // Open first, check second: once the fd is open, the pid cannot be recycled under us.
  if (processStartTime(id.pid) !== id.startTime) {
    fs.closeSync(fd);
    return undefined;
  }
  return fd;
}
