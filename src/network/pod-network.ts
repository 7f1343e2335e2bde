// Pod networking: every pod gets an address from the pod CIDR on a bridge with one veth per
// pod. Rootful, the bridge lives in the host's network namespace, or in the one held by the
// process PODRUN_NETWORK_NAMESPACE_PID names (tests and benchmarks use a sandbox namespace with
// no default route, so nothing reaches the host's network). Rootless, it lives in the network
// host (network-host.ts), whose user namespace owns every pod's namespaces.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { native } from '../native';
import { writeStateFile } from '../state/atomic-file';
import { processStartTime } from '../state/process';
import { Ipam } from './ipam';
import { DEFAULT_IDENTITY, rootNetworkIdentity } from './root-identity';

export interface NetworkOptions {
  cidr: string;
  bridge: string;
  /** podrun's nftables table (ip family) for this root's NAT and hostPorts. */
  table: string;
  mtu: number;
  /** A process whose network namespace holds the bridge; undefined: ours (the host's). */
  hostPid?: number;
  /** The start time hostPid had when the options were read: a reused pid is not that namespace. */
  hostStartTime?: string;
}

export interface PodAddress {
  ip: string;
  prefix: number;
  gateway: string;
  veth: string;
}

/**
 * The pod network of a state root: rootful, the root's own bridge, CIDR and table
 * (root-identity.ts) unless PODRUN_POD_CIDR / PODRUN_BRIDGE say; rootless, the defaults in the
 * root's own network host.
 */
export function networkOptions(env: NodeJS.ProcessEnv = process.env, stateDir?: string): NetworkOptions {
  const pid = env.PODRUN_NETWORK_NAMESPACE_PID;
  const rootful = (process.getuid?.() ?? 0) === 0;
  const claimed = stateDir && rootful && !env.PODRUN_POD_CIDR && !env.PODRUN_BRIDGE ? rootNetworkIdentity(stateDir, pid ? Number(pid) : undefined) : DEFAULT_IDENTITY;
  return {
    cidr: env.PODRUN_POD_CIDR || claimed.cidr,
    bridge: env.PODRUN_BRIDGE || claimed.bridge,
    table: claimed.table,
    mtu: Number(env.PODRUN_MTU) || 1500,
    hostPid: pid ? Number(pid) : undefined,
    hostStartTime: pid ? processStartTime(Number(pid)) : undefined,
  };
}

/**
 * Throws unless opts.hostPid is still the process it was when the options were read: a gone
 * holder's pid may be reused by a process in the machine's own namespace, which podrun must
 * never program.
 */
export function checkNetworkHost(opts: NetworkOptions): void {
  if (opts.hostPid === undefined) return;
  const now = processStartTime(opts.hostPid);
  if (now === undefined || now !== opts.hostStartTime) throw new PodrunError('Conflict', `the network namespace holder ${opts.hostPid} (PODRUN_NETWORK_NAMESPACE_PID) is gone`);
}

/** Where the bridge is: a process in that namespace (and whether to join its user namespace). */
export interface BridgeHost {
  pidfd: number;
  joinUser: boolean;
}

export class PodNetwork {
  private readonly ipam: Ipam;

  constructor(
    stateDir: string,
    readonly opts: NetworkOptions,
  ) {
    this.ipam = new Ipam(path.join(stateDir, 'network', 'ipam'), opts.cidr);
  }

  allocate(podId: string): { ip: string; prefix: number; gateway: string } {
    return this.ipam.allocate(podId);
  }

  /**
   * Wires the pod's network namespace (held by its shim) to the bridge with an allocated
   * address. `host` undefined: the bridge is in our namespace or opts.hostPid's.
   */
  async attach(podId: string, a: { ip: string; prefix: number; gateway: string }, shimPid: number, file: string, host?: BridgeHost): Promise<PodAddress> {
    const veth = `veth${podId.slice(0, 8)}`;
    let hostPidfd = host?.pidfd ?? -1;
    let ownHostFd = false;
    const podPidfd = native.pidfdOpen(shimPid);
    try {
      if (!host && this.opts.hostPid !== undefined) {
        hostPidfd = native.pidfdOpen(this.opts.hostPid);
        ownHostFd = true;
        // Checked after the pidfd is open: then the pidfd is the process we checked.
        checkNetworkHost(this.opts);
      }
      // The pidfds stay open until the worker is done with them (finally, below).
      await native.configurePodNetwork({ hostPidfd, hostJoinUser: !!host?.joinUser, forwarding: !host, removeBridge: false, podPidfd, bridge: this.opts.bridge, hostVeth: veth, ip: a.ip, gateway: a.gateway, prefix: a.prefix, mtu: this.opts.mtu });
    } catch (e) {
      const err = e as Error & { syscall?: string };
      throw new PodrunError('System', `pod network: ${err.message}`, err.syscall === 'ioctl PIDFD_GET_NET_NAMESPACE' ? 'podrun needs Linux 6.11 or newer for pod networking' : undefined);
    } finally {
      fs.closeSync(podPidfd);
      if (ownHostFd) fs.closeSync(hostPidfd);
    }
    const addr: PodAddress = { ...a, veth };
    writeStateFile(file, JSON.stringify(addr) + '\n');
    return addr;
  }

  /** Deletes the rootful bridge (system reset); a rootless one goes with its network host. */
  async removeBridge(): Promise<void> {
    let hostPidfd = -1;
    try {
      if (this.opts.hostPid !== undefined) hostPidfd = native.pidfdOpen(this.opts.hostPid);
      await native.configurePodNetwork({ hostPidfd, hostJoinUser: false, forwarding: false, podPidfd: -1, bridge: this.opts.bridge, hostVeth: '', ip: '0.0.0.0', gateway: '0.0.0.0', prefix: 0, mtu: 0, removeBridge: true });
    } finally {
      if (hostPidfd >= 0) fs.closeSync(hostPidfd);
    }
  }

  /** Releases an address that was allocated but never attached. */
  releaseIp(podId: string, ip: string): void {
    this.ipam.release(ip, podId);
  }

  /**
   * The address goes back (the veth went with the pod's namespace), and with it any other the
   * pod held: one allocated by an engine killed before it wrote the pod's network record.
   */
  release(podId: string, addr: PodAddress | undefined): void {
    if (addr) this.ipam.release(addr.ip, podId);
    this.ipam.releaseAll(podId);
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
