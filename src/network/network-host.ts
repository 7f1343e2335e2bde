// The rootless network host: one long-lived user + network namespace per state root (podman's
// rootless-netns idea). Its user namespace has the full id mapping, once; every rootless pod's
// namespaces are then made inside it, so the pod bridge and each pod's veth can be wired by one
// user who owns both ends, and no pod needs newuidmap of its own.
//
// The holder is a podrun shim with no containers (PID 1 of its namespaces, reaping nothing),
// recorded by pid + start time like every sandbox, so a later podrun finds it again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import type { IdMapPlan } from '../runtime/idmap';
import { createSandbox, openRecorded, reapChild, type SandboxRecord } from '../runtime/sandbox';
import { writeStateFile } from '../state/atomic-file';
import { PodPaths } from '../state/paths';

export interface NetworkHostHandle {
  /** A pidfd of the holder: join its user namespace (pods) or user + net (wiring). Owned by the NetworkHost. */
  pidfd: number;
  pid: number;
  /** The id mapping of its user namespace, which every pod made inside it shares. */
  idmap: IdMapPlan;
}

export class NetworkHost {
  private current?: NetworkHostHandle;
  private starting?: Promise<NetworkHostHandle>;
  private readonly paths: PodPaths;

  constructor(dir: string) {
    this.paths = new PodPaths(dir);
  }

  /** The running host, re-attached from its record or made now (once, however many callers). */
  async get(idmap: IdMapPlan): Promise<NetworkHostHandle> {
    if (this.current && native.reapPidfd(this.current.pidfd) === null && this.alive(this.current)) return this.current;
    this.drop();
    this.starting ??= this.start(idmap).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private alive(h: NetworkHostHandle): boolean {
    try {
      return native.pidfdSendSignal(h.pidfd, 0);
    } catch {
      return false;
    }
  }

  private async start(idmap: IdMapPlan): Promise<NetworkHostHandle> {
    const recorded = this.read();
    if (recorded?.idmap) {
      const pidfd = openRecorded(recorded);
      if (pidfd !== undefined) return (this.current = { pidfd, pid: recorded.pid, idmap: recorded.idmap });
    }
    fs.rmSync(this.paths.dir, { recursive: true, force: true });
    fs.mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    const sandbox = await createSandbox(this.paths, { hostname: 'podrun-network', idmap, tmpfs: [], sysctls: [], fsGroup: null, cgroupProcs: [] });
    writeStateFile(this.paths.sandbox, JSON.stringify(sandbox) + '\n');
    const pidfd = openRecorded(sandbox);
    if (pidfd === undefined) throw new Error('the network host exited as soon as it started');
    return (this.current = { pidfd, pid: sandbox.pid, idmap });
  }

  private read(): SandboxRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.paths.sandbox, 'utf8')) as SandboxRecord;
    } catch {
      return undefined;
    }
  }

  private drop(): void {
    if (this.current) fs.closeSync(this.current.pidfd);
    this.current = undefined;
  }

  /** Whether a network host is recorded and alive (without making one). */
  running(): boolean {
    const r = this.read();
    const fd = r ? openRecorded(r) : undefined;
    if (fd === undefined) return false;
    fs.closeSync(fd);
    return true;
  }

  /** Ends the holder: its network namespace, bridge and veths go with it. */
  async stop(): Promise<void> {
    this.drop();
    const r = this.read();
    const fd = r ? openRecorded(r) : undefined;
    if (fd !== undefined) {
      native.pidfdSendSignal(fd, 9);
      await reapChild(fd);
    }
    fs.rmSync(this.paths.dir, { recursive: true, force: true });
  }

  /** Lets go of our pidfd; the holder keeps running for the next podrun. */
  close(): void {
    this.drop();
  }
}

export function networkHostDir(stateDir: string): string {
  return path.join(stateDir, 'network', 'host');
}
