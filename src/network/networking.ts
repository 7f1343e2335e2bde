// Everything network a pod goes through, in the order the engine needs it:
//   prepare (before the sandbox: the network host to join, an address, host sockets bound)
//   -> attach (after: the veth, the address, nftables publications)
//   -> release (on delete), with undo for a pod that failed half-way, and reconcile after a crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { native } from '../native';
import type { IdMapPlan } from '../runtime/idmap';
import type { ShimPort } from '../runtime/sandbox';
import { writeStateFile } from '../state/atomic-file';
import type { PodPaths } from '../state/paths';
import { bindHostPorts, hostPortsOf, NftablesPorts, type Publication } from './host-ports';
import { releaseRootNetwork } from './root-identity';
import { which } from '../which';
import { NetworkHost, networkHostDir, type NetworkHostHandle } from './network-host';
import { outboundTools, runningPasta, startPasta, tunNotice, tunUnusable } from './pasta';
import { checkNetworkHost, PodNetwork, readAddress, type NetworkOptions, type PodAddress } from './pod-network';

export type PortDriver = 'nftables' | 'forwarder';

/** What prepare made for one pod; attach and undo finish or take it back. */
export interface PreparedNetwork {
  /** Rootless: the network host whose user namespace the pod is made in. */
  join?: NetworkHostHandle;
  /** The id mapping the pod's user namespace will have (the network host's, when joined). */
  idmap: IdMapPlan | null;
  alloc?: { ip: string; prefix: number; gateway: string };
  driver: PortDriver;
  publications: Publication[];
  /** The nftables elements are in place (attach got that far): undo withdraws them. */
  published?: boolean;
  /** Host sockets for the shim (forwarder driver); closed by attach or undo. */
  shimPorts: ShimPort[];
}

export interface PodNetworkRecords {
  address?: PodAddress;
  ports?: PortsRecord;
}

interface PortsRecord {
  driver: PortDriver;
  publications: Publication[];
}

function portsFile(paths: PodPaths): string {
  return path.join(paths.dir, 'ports.json');
}

export function readPorts(paths: PodPaths): PortsRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(portsFile(paths), 'utf8')) as PortsRecord;
  } catch {
    return undefined;
  }
}

export class Networking {
  readonly network: PodNetwork;
  private readonly host: NetworkHost;
  private readonly rootless = (process.getuid?.() ?? 0) !== 0;
  private table?: NftablesPorts | null;
  /** The network host (by holder pid) whose outbound connection (pasta) is made or being made. */
  private outbound?: { pid: number; ready: Promise<boolean> };

  constructor(
    private readonly stateDir: string,
    opts: NetworkOptions,
    private readonly notice: (text: string) => void,
  ) {
    this.network = new PodNetwork(stateDir, opts);
    this.host = new NetworkHost(networkHostDir(stateDir));
  }

  /**
   * Rootless: the network host reaches beyond the host through pasta (network/pasta.ts), made
   * once per network host (again if it died); where it cannot be, a notice says why (once per root).
   */
  private async connectOutbound(host: NetworkHostHandle): Promise<void> {
    const dir = networkHostDir(this.stateDir);
    for (;;) {
      const current = this.outbound;
      if (current?.pid !== host.pid) break;
      const started = await current.ready;
      if (this.outbound !== current) continue; // another pod started it again meanwhile: wait for that
      // Made for this network host already: again only if that pasta has died since.
      if (!started || runningPasta(dir)) return;
      break;
    }
    const ready = this.startOutbound(dir, host.pid);
    this.outbound = { pid: host.pid, ready };
    await ready;
  }

  /** pasta for the network host, or the notice that says why not; whether it runs. */
  private async startOutbound(dir: string, holderPid: number): Promise<boolean> {
    const tools = outboundTools();
    if ('notice' in tools) {
      this.notice(tools.notice);
      return false;
    }
    const tun = tunUnusable();
    if (tun) {
      this.notice(tunNotice(tun));
      return false;
    }
    try {
      await startPasta(dir, holderPid, this.network.opts.cidr, tools);
      return true;
    } catch (e) {
      this.notice(`rootless pods have no outbound network: ${(e as Error).message}; pod IPs, localhost, hostPort and port-forward work`);
      return false;
    }
  }

  /** podrun's nftables table, as root when `nft` exists: outbound NAT, and DNAT for hostPorts. */
  private nftTable(): NftablesPorts | null {
    if (this.table === undefined) {
      const nft = this.rootless ? undefined : which('nft');
      this.table = nft ? new NftablesPorts(nft, this.network.opts.cidr, this.network.opts.table, this.network.opts.hostPid, () => checkNetworkHost(this.network.opts)) : null;
    }
    return this.table;
  }

  /** The port driver: DNAT through the table, unless PODRUN_PORT_DRIVER=forwarder chooses the shims. */
  private nft(): NftablesPorts | null {
    return process.env.PODRUN_PORT_DRIVER === 'forwarder' ? null : this.nftTable();
  }

  async prepare(id: string, pod: Pod, idmap: IdMapPlan | null): Promise<PreparedNetwork> {
    const prepared: PreparedNetwork = { idmap, driver: 'forwarder', publications: [], shimPorts: [] };
    // Rootless pods live in the network host's user namespace; root's (hostUsers: false) have their own.
    if (idmap && this.rootless) {
      try {
        prepared.join = await this.host.get(idmap);
        prepared.idmap = prepared.join.idmap;
        await this.connectOutbound(prepared.join);
      } catch (e) {
        this.notice(`rootless pods get no pod IP: the network host could not start (${(e as Error).message})`);
      }
    }
    try {
      if (!pod.spec?.hostNetwork && (!this.rootless || prepared.join)) prepared.alloc = this.network.allocate(id);
      const ports = hostPortsOf(pod);
      if (!ports.length) return prepared;
      const nft = this.nft();
      if (!nft && !this.rootless && process.env.PODRUN_PORT_DRIVER !== 'forwarder') {
        this.notice('nft was not found (as root: apt-get install nftables): hostPorts go through podrun\'s forwarder in the pod\'s shim instead of DNAT');
      }
      prepared.driver = nft ? 'nftables' : 'forwarder';
      // Kubernetes DNATs to podIP:containerPort; a pod without an address is reached on its loopback.
      const target = prepared.alloc?.ip ?? '127.0.0.1';
      prepared.publications = ports.map((p) => ({ ...p, podIP: target }));
      if (!nft) {
        const nsPidfd = this.rootless || this.network.opts.hostPid === undefined ? undefined : native.pidfdOpen(this.network.opts.hostPid);
        try {
          if (nsPidfd !== undefined) checkNetworkHost(this.network.opts);
          const fds = bindHostPorts(ports, nsPidfd);
          prepared.shimPorts = ports.map((p, i) => ({ fd: fds[i], protocol: p.protocol, ip: target, port: p.containerPort }));
        } finally {
          if (nsPidfd !== undefined) fs.closeSync(nsPidfd);
        }
      }
      return prepared;
    } catch (e) {
      if (prepared.alloc) this.network.releaseIp(id, prepared.alloc.ip);
      throw e;
    }
  }

  /** After the sandbox exists: wiring and publications. Returns the pod's IPs. */
  async attach(id: string, prepared: PreparedNetwork, shimPid: number, paths: PodPaths): Promise<string[]> {
    this.closeShimPorts(prepared);
    // Only a pod that publishes has a record (no file is none): a file costs a new inode.
    if (prepared.publications.length) writeStateFile(portsFile(paths), JSON.stringify({ driver: prepared.driver, publications: prepared.publications }) + '\n');
    const ips: string[] = [];
    if (prepared.alloc) {
      const host = prepared.join ? { pidfd: prepared.join.pidfd, joinUser: true } : undefined;
      ips.push((await this.network.attach(id, prepared.alloc, shimPid, paths.network, host)).ip);
      if (!prepared.join) this.outboundNat();
    }
    if (prepared.driver === 'nftables') {
      this.nft()?.publish(prepared.publications);
      prepared.published = true;
    }
    return ips;
  }

  private natReady = false;

  /** Rootful pods reach beyond the host through masquerade (once per engine; gone with the last pod). */
  private outboundNat(): void {
    clearTimeout(this.tableRemoval); // a pod again: the table stays
    this.tableRemoval = undefined;
    if (this.natReady || this.rootless) return;
    const table = this.nftTable();
    if (table) table.ensure();
    else this.notice('nft was not found (as root: apt-get install nftables): pods have no outbound NAT; pod IPs, localhost and hostPort (forwarded by the shim) work');
    this.natReady = true;
  }

  private closeShimPorts(prepared: PreparedNetwork): void {
    for (const p of prepared.shimPorts) fs.closeSync(p.fd);
    prepared.shimPorts = [];
  }

  /** A pod that failed half-way: whatever prepare and attach made goes back. */
  undo(id: string, prepared: PreparedNetwork | undefined, paths: PodPaths): void {
    if (!prepared) return;
    this.closeShimPorts(prepared);
    if (prepared.alloc) this.network.releaseIp(id, prepared.alloc.ip);
    // Only what this pod published: a refused duplicate's elements are another pod's.
    if (prepared.published) this.nftTable()?.withdraw(prepared.publications);
  }

  /** What release needs, read while the pod's folder still exists. */
  records(paths: PodPaths): PodNetworkRecords {
    return { address: readAddress(paths.network), ports: readPorts(paths) };
  }

  /** A deleted pod: its address and publications (its veth went with its namespace). */
  release(id: string, records: PodNetworkRecords, othersHaveAddresses: boolean): void {
    this.network.release(id, records.address);
    const ports = records.ports;
    if (ports?.driver === 'nftables' && ports.publications.length) this.nftTable()?.withdraw(ports.publications);
    // The last pod with an address gone: so is the table (nothing of podrun's stays in the
    // ruleset), after a short linger, so that deleting one pod and making the next does not pay
    // two nft runs (about 10 ms) on the way. The engine's close removes it at once.
    if (records.address && !this.rootless && !othersHaveAddresses) this.scheduleTableRemoval();
  }

  private tableRemoval?: NodeJS.Timeout;
  static readonly TABLE_LINGER_MS = 1000;

  private scheduleTableRemoval(): void {
    clearTimeout(this.tableRemoval);
    this.tableRemoval = setTimeout(() => this.removeTableNow(), Networking.TABLE_LINGER_MS);
    this.tableRemoval.unref();
  }

  private removeTableNow(): void {
    clearTimeout(this.tableRemoval);
    this.tableRemoval = undefined;
    const table = this.nftTable();
    if (table?.exists()) table.remove();
    this.natReady = false;
  }

  /** After a crash: addresses and publications of pods that are gone come back. */
  reconcile(live: { id: string; paths: PodPaths }[]): void {
    this.network.reconcile(new Set(live.map((w) => w.id)));
    const table = this.nftTable();
    if (!table) return;
    const pubs = live.flatMap((w) => {
      const r = readPorts(w.paths);
      return r?.driver === 'nftables' ? r.publications : [];
    });
    if (live.some((w) => readAddress(w.paths.network))) {
      table.resync(pubs);
      this.natReady = true;
    } else if (table.exists()) table.remove();
  }

  /** The engine ends: with no pod left, the network host ends too (it lives only while podrun runs). */
  close(podsLeft: number): void {
    if (this.tableRemoval) this.removeTableNow();
    if (podsLeft === 0) void this.host.stop().catch(() => undefined);
    else this.host.close();
  }

  /** `podrun system reset`: every piece of podrun's network, pods already deleted. */
  async reset(): Promise<string[]> {
    clearTimeout(this.tableRemoval);
    this.tableRemoval = undefined;
    const removed: string[] = [];
    if (this.host.running()) removed.push('network host');
    await this.host.stop();
    const table = this.nftTable();
    if (table?.exists()) {
      table.remove();
      removed.push(`nftables table ip ${table.table}`);
    }
    if (!this.rootless) {
      try {
        await this.network.removeBridge();
        removed.push(`bridge ${this.network.opts.bridge}`);
      } catch {
        /* none */
      }
      // The root's slot goes back: another root may have this bridge and range next.
      releaseRootNetwork(this.stateDir, this.network.opts.hostPid);
    }
    return removed;
  }

  /** Whether the network host is up (tests, `podrun system info`). */
  hostRunning(): boolean {
    return this.host.running();
  }
}
