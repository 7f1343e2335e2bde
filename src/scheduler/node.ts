// This host as the one node of its cluster: the labels the kubelet sets (hostname, os, arch) and
// capacity read from the machine. Allocatable is capacity less the kubelet's default hard
// eviction thresholds (memory.available<100Mi, nodefs.available<10%), as on a kubelet with no
// reservations configured.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Node } from 'kubernetes-types/core/v1';

const EVICTION_MEMORY = 100 * 1024 * 1024;

/** Go's GOARCH for Node's process.arch. */
function goArch(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return arch[process.arch] ?? process.arch;
}

/** The bytes of the file system that holds `dir` (its nearest existing ancestor). */
function diskBytes(dir: string): number {
  for (let d = dir; ; d = d.slice(0, Math.max(d.lastIndexOf('/'), 1))) {
    try {
      const s = fs.statfsSync(d);
      return s.blocks * s.bsize;
    } catch {
      if (d === '/') return 0;
    }
  }
}

function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface NodeOptions {
  /** Where images and container roots live: its file system is the node's ephemeral storage. */
  dataRoot: string;
  /** When this node (the engine) came up, RFC 3339. */
  since: string;
  version: string;
  /**
   * How many pods the node takes. The kubelet's default (--max-pods 110) guards a cluster's
   * per-node address range and its control plane; here the bound is the pod network's own
   * addresses, so one apply of a thousand pods is not cut at 110.
   */
  maxPods: number;
}

export function localNode(o: NodeOptions): Node {
  const name = os.hostname();
  const cpus = os.cpus().length;
  const memory = os.totalmem();
  const disk = diskBytes(o.dataRoot);
  const ki = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      creationTimestamp: o.since,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': goArch(),
      },
    },
    spec: {},
    status: {
      capacity: { cpu: String(cpus), memory: ki(memory), 'ephemeral-storage': ki(disk), pods: String(o.maxPods) },
      allocatable: { cpu: String(cpus), memory: ki(Math.max(0, memory - EVICTION_MEMORY)), 'ephemeral-storage': String(Math.floor(disk * 0.9)), pods: String(o.maxPods) },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'podrun is posting ready status', lastHeartbeatTime: o.since, lastTransitionTime: o.since }],
      addresses: [
        { type: 'InternalIP', address: hostAddress() },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        architecture: goArch(),
        operatingSystem: 'linux',
        kernelVersion: os.release(),
        osImage: osImage(),
        containerRuntimeVersion: `podrun://${o.version}`,
        kubeletVersion: `v1.35.0-podrun-${o.version}`,
        kubeProxyVersion: '',
        machineID: readOr('/etc/machine-id').trim(),
        systemUUID: '',
        bootID: readOr('/proc/sys/kernel/random/boot_id').trim(),
      },
    },
  };
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release'));
  return m?.[1] ?? 'Linux';
}
