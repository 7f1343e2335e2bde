// Published ports (`ports[].hostPort`), and rootful pods' outbound NAT, which lives in the same
// nftables table. Two drivers for ports, one contract: while the pod exists,
// hostIP:hostPort on the host reaches podIP:containerPort.
//  - nftables (rootful, when `nft` exists): DNAT as the CNI portmap plugin and kube-proxy do,
//    in prerouting and output, with masquerade for host-loopback clients and hairpin traffic.
//    Elements of four maps, so publishing and withdrawing a pod never touch a rule handle.
//  - forwarder (rootless, or rootful without nft): podrun binds the host socket and the pod's
//    shim inherits it and forwards each connection or datagram (native/shim/ports.c).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { PodrunError, ValidationError } from '../errors';
import { native } from '../native';

export interface HostPort {
  protocol: 'TCP' | 'UDP';
  /** '' for every address of the host, as Kubernetes' empty hostIP. */
  hostIP: string;
  hostPort: number;
  containerPort: number;
  /** spec.containers[0].ports[1], for errors. */
  field: string;
}

export interface Publication extends HostPort {
  podIP: string;
}

/** The host ports a pod asks for: app containers and sidecars (they run for the pod's life). */
export function hostPortsOf(pod: Pod): HostPort[] {
  if (pod.spec?.hostNetwork) return []; // the container's own ports are the host's already
  const out: HostPort[] = [];
  const collect = (list: Container[] | undefined, base: string, only?: (c: Container) => boolean) =>
    (list ?? []).forEach((c, i) => {
      if (only && !only(c)) return;
      (c.ports ?? []).forEach((p, j) => {
        if (!p.hostPort) return;
        const protocol = (p.protocol ?? 'TCP') as string;
        if (protocol !== 'TCP' && protocol !== 'UDP') {
          throw new ValidationError(`${base}[${i}].ports[${j}].protocol`, `Unsupported value: "${protocol}": podrun publishes "TCP" and "UDP"`);
        }
        out.push({ protocol, hostIP: p.hostIP ?? '', hostPort: p.hostPort, containerPort: p.containerPort, field: `${base}[${i}].ports[${j}].hostPort` });
      });
    });
  collect(pod.spec?.containers, 'spec.containers');
  collect(pod.spec?.initContainers, 'spec.initContainers', (c) => c.restartPolicy === 'Always');
  return out;
}

function allocatedError(p: HostPort, why: string): ValidationError {
  return new ValidationError(p.field, `Invalid value: ${p.hostPort}: ${p.hostIP || '0.0.0.0'}:${p.hostPort}/${p.protocol} is already allocated (${why})`);
}

/**
 * The forwarder's host sockets, bound now so a conflict fails the pod before anything runs.
 * `nsPidfd`: bind in that process's network namespace (the rootful sandbox namespace of tests).
 * The caller closes the returned fds once the shim holds its copies.
 */
export function bindHostPorts(ports: HostPort[], nsPidfd?: number): number[] {
  const fds: number[] = [];
  try {
    for (const p of ports) {
      try {
        fds.push(native.listenSocket({ pidfd: nsPidfd, host: p.hostIP || '0.0.0.0', port: p.hostPort, udp: p.protocol === 'UDP' }));
      } catch (e) {
        const errno = (e as { errno?: number }).errno;
        if (errno === 98) throw allocatedError(p, 'address already in use');
        if (errno === 13) {
          throw new PodrunError('Invalid', `${p.field}: Invalid value: ${p.hostPort}: permission denied`, 'rootless pods can publish only ports at or above net.ipv4.ip_unprivileged_port_start (1024 by default)');
        }
        if (errno === 99) throw new ValidationError(p.field.replace(/hostPort$/, 'hostIP'), `Invalid value: "${p.hostIP}": not an address of this host`);
        throw e;
      }
    }
    return fds;
  } catch (e) {
    for (const fd of fds) fs.closeSync(fd);
    throw e;
  }
}

function mapName(p: HostPort): string {
  return `hostports-${p.protocol.toLowerCase()}${p.hostIP ? '' : '-any'}`;
}

function element(table: string, p: Publication, withValue: boolean): string {
  const key = p.hostIP ? `${p.hostIP} . ${p.hostPort}` : `${p.hostPort}`;
  return `element ip ${table} ${mapName(p)} { ${key}${withValue ? ` : ${p.podIP} . ${p.containerPort}` : ''} }`;
}

export class NftablesPorts {
  constructor(
    private readonly nft: string,
    private readonly cidr: string,
    /** The root's table (network/root-identity.ts). */
    readonly table: string,
    /** The network namespace to program: a process in it; undefined: ours. */
    private readonly nsPid?: number,
    /** Throws when nsPid is no longer that namespace's process. */
    private readonly checkHost: () => void = () => undefined,
  ) {}

  /** One nft transaction: all of it applies, or none. */
  private run(script: string): { ok: boolean; stderr: string } {
    this.checkHost();
    const cmd = this.nsPid === undefined ? this.nft : 'nsenter';
    const args = this.nsPid === undefined ? ['-f', '-'] : ['-t', String(this.nsPid), '-n', this.nft, '-f', '-'];
    const r = spawnSync(cmd, args, { input: script, encoding: 'utf8' });
    if (r.error) throw new PodrunError('System', `${cmd}: ${r.error.message}`);
    return { ok: r.status === 0, stderr: (r.stderr || '').trim() };
  }

  /** The table, maps and rules, made idempotently (rules are rewritten, maps kept). */
  private skeleton(): string {
    const lines = [`add table ip ${this.table}`];
    for (const proto of ['tcp', 'udp']) {
      lines.push(`add map ip ${this.table} hostports-${proto} { type ipv4_addr . inet_service : ipv4_addr . inet_service; }`);
      lines.push(`add map ip ${this.table} hostports-${proto}-any { type inet_service : ipv4_addr . inet_service; }`);
    }
    lines.push(`add chain ip ${this.table} hostports`, `flush chain ip ${this.table} hostports`);
    for (const proto of ['tcp', 'udp']) {
      lines.push(`add rule ip ${this.table} hostports dnat ip to ip daddr . ${proto} dport map @hostports-${proto}`);
      lines.push(`add rule ip ${this.table} hostports dnat ip to ${proto} dport map @hostports-${proto}-any`);
    }
    const hook = (name: string, spec: string, rules: string[]) => {
      lines.push(`add chain ip ${this.table} ${name} { ${spec}; policy accept; }`, `flush chain ip ${this.table} ${name}`);
      for (const r of rules) lines.push(`add rule ip ${this.table} ${name} ${r}`);
    };
    hook('prerouting', 'type nat hook prerouting priority dstnat', ['fib daddr type local jump hostports']);
    hook('output', 'type nat hook output priority -100', ['fib daddr type local jump hostports']);
    // Host-loopback clients (route_localnet on the bridge lets them out) and pods reaching a
    // published port of the host (hairpin) must see replies come back through the host; pods'
    // own traffic leaves with the host's address (outbound NAT, as CNI bridge's ipMasq).
    hook('postrouting', 'type nat hook postrouting priority srcnat', [
      `ip saddr 127.0.0.0/8 ip daddr ${this.cidr} masquerade`,
      `ct status dnat ip saddr ${this.cidr} masquerade`,
      `ip saddr ${this.cidr} ip daddr != ${this.cidr} masquerade`,
    ]);
    return lines.join('\n') + '\n';
  }

  /** The table with its rules and (empty or kept) maps: while any rootful pod has an address. */
  ensure(): void {
    const r = this.run(this.skeleton());
    if (!r.ok) throw new PodrunError('System', `nft: ${r.stderr.split('\n')[0]}`);
  }

  publish(pubs: Publication[]): void {
    if (!pubs.length) return;
    const r = this.run(this.skeleton() + pubs.map((p) => `create ${element(this.table, p, true)}`).join('\n') + '\n');
    if (r.ok) return;
    if (/File exists/.test(r.stderr)) {
      const taken = pubs.find((p) => this.run(`create ${element(this.table, p, true)}\ndelete ${element(this.table, p, false)}\n`).ok === false) ?? pubs[0];
      throw allocatedError(taken, 'published by another pod');
    }
    throw new PodrunError('System', `nft: ${r.stderr.split('\n')[0]}`);
  }

  withdraw(pubs: Publication[]): void {
    if (!pubs.length) return;
    // One element at a time: one that is already gone must not keep the others.
    for (const p of pubs) this.run(`delete ${element(this.table, p, false)}\n`);
  }

  /** After a crash: exactly the live pods' publications, nothing else. */
  resync(pubs: Publication[]): void {
    const flush = ['tcp', 'udp'].flatMap((proto) => [`flush map ip ${this.table} hostports-${proto}`, `flush map ip ${this.table} hostports-${proto}-any`]);
    const r = this.run(this.skeleton() + flush.join('\n') + '\n' + pubs.map((p) => `add ${element(this.table, p, true)}`).join('\n') + '\n');
    if (!r.ok) throw new PodrunError('System', `nft: ${r.stderr.split('\n')[0]}`);
  }

  /** Removes the table (system reset, or no publication left). */
  remove(): void {
    this.run(`delete table ip ${this.table}\n`);
  }

  /** Whether the table exists (tests: nothing left behind). */
  exists(): boolean {
    return this.run(`list table ip ${this.table}\n`).ok;
  }
}
