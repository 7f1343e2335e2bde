// Pod networking, rootful for now: every pod gets an address from the pod CIDR on a bridge
// with one veth per pod. The bridge lives in the host's network namespace, or in the one held
// by the process PODRUN_NETWORK_NAMESPACE_PID names (tests and benchmarks use a sandbox
// namespace with no default route, so nothing reaches the host's network). Rootless pods keep
// loopback only until the per-user network host exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { native } from '../native';
import { writeStateFile } from '../state/atomic-file';
import { processStartTime } from '../state/process';
import { Ipam } from './ipam';

export interface NetworkOptions {
  cidr: string;
  bridge: string;
  mtu: number;
  /** A process whose network namespace holds the bridge; undefined: ours (the host's). */
  hostPid?: number;
}

export interface PodAddress {
  ip: string;
  prefix: number;
  gateway: string;
  veth: string;
}

export function networkOptions(env: NodeJS.ProcessEnv = process.env): NetworkOptions {
  const pid = env.PODRUN_NETWORK_NAMESPACE_PID;
  return {
    cidr: env.PODRUN_POD_CIDR || '10.88.0.0/16',
    bridge: env.PODRUN_BRIDGE || 'podrun0',
    mtu: 1500,
    hostPid: pid ? Number(pid) : undefined,
  };
}

export class PodNetwork {
  private readonly ipam: Ipam;
  readonly rootless = (process.getuid?.() ?? 0) !== 0;

  constructor(
    stateDir: string,
    private readonly opts: NetworkOptions,
  ) {
    this.ipam = new Ipam(path.join(stateDir, 'network', 'ipam'), opts.cidr);
  }

  /** Whether a pod gets an address: its own network namespace, and rootful (for now). */
  enabled(pod: Pod): boolean {
    return !pod.spec?.hostNetwork && !this.rootless;
  }

  /** Allocates an address and wires the pod's network namespace (held by its shim) to the bridge. */
  attach(podId: string, shimPid: number, file: string): PodAddress {
    const a = this.ipam.allocate(podId);
    const veth = `veth${podId.slice(0, 8)}`;
    let hostPidfd = -1;
    const podPidfd = native.pidfdOpen(shimPid);
    try {
      if (this.opts.hostPid !== undefined) {
        hostPidfd = native.pidfdOpen(this.opts.hostPid);
        if (processStartTime(this.opts.hostPid) === undefined) throw new PodrunError('Conflict', `the network namespace holder ${this.opts.hostPid} is gone`);
      }
      native.configurePodNetwork({ hostPidfd, hostJoinUser: false, podPidfd, bridge: this.opts.bridge, hostVeth: veth, ip: a.ip, gateway: a.gateway, prefix: a.prefix, mtu: this.opts.mtu });
    } catch (e) {
      this.ipam.release(a.ip, podId);
      const err = e as Error & { syscall?: string };
      throw new PodrunError('System', `pod network: ${err.message}`, err.syscall === 'ioctl PIDFD_GET_NET_NAMESPACE' ? 'podrun needs Linux 6.11 or newer for pod networking' : undefined);
    } finally {
      fs.closeSync(podPidfd);
      if (hostPidfd >= 0) fs.closeSync(hostPidfd);
    }
    const addr: PodAddress = { ...a, veth };
    writeStateFile(file, JSON.stringify(addr) + '\n');
    return addr;
  }

  /** The address goes back; the veth went with the pod's namespace. */
  release(podId: string, addr: PodAddress | undefined): void {
    if (addr) this.ipam.release(addr.ip, podId);
  }

  /** After a crash: addresses of pods that no longer exist come back. */
  reconcile(liveIds: Set<string>): string[] {
    return this.ipam.reconcile((owner) => liveIds.has(owner));
  }
}

export function readAddress(file: string): PodAddress | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PodAddress;
  } catch {
    return undefined;
  }
}
