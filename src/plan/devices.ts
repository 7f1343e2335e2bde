// The devices a container may open. Two guards keep the rest out, each enough on its own:
// every filesystem the container gets is mounted nodev (a node made with mknod anywhere cannot be
// opened: EACCES), with the allowed nodes bound in one by one, each bind its own mount; and, as
// root where there is a cgroup v1 devices controller, the same list as its allow-list
// (cgroupDeviceRules). The mount side holds rootless and without cgroups; the cgroup side also
// covers a node opened through a path podrun did not mount.
//
// The defaults are what Kubernetes' runtimes give a container (runc's and crun's default
// allow-list, without the tun/tap device that runc 1.2 dropped). More is asked for as a
// Kubernetes user would ask for it:
// - a hostPath volume whose path is a device (type CharDevice or BlockDevice, or a path that is
//   one), mounted where the volumeMount says;
// - CRI-O's pod annotation `io.kubernetes.cri-o.Devices: "/dev/fuse[:/dev/fuse[:rwm]],..."`
//   (HOST[:CONTAINER[:PERMISSIONS]], podman's --device syntax);
// - privileged: true, every device of the host (refused rootless, at admission).
import * as fs from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { ValidationError } from '../errors';

/** One device a container may use: where it is on the host, where the container sees it, its numbers. */
export interface DeviceNode {
  /** The host's node, bound in. */
  source: string;
  /** Its path in the container. */
  target: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** The cgroup's access letters: r, w, m. */
  access: string;
  /** Bound read-only (no w in access, or a readOnly volumeMount). */
  readonly: boolean;
}

/** A line of the cgroup v1 devices controller (devices.allow): `c 1:3 rwm`, `c *:* m`. */
export interface DeviceRule {
  type: 'a' | 'c' | 'b';
  major: number | '*';
  minor: number | '*';
  access: string;
}

/** The nodes every container gets, bound from the host's /dev (runc's and crun's defaults). */
export const DEFAULT_DEVICE_NODES: readonly Omit<DeviceNode, 'source' | 'readonly'>[] = [
  { target: '/dev/null', type: 'c', major: 1, minor: 3, access: 'rwm' },
  { target: '/dev/zero', type: 'c', major: 1, minor: 5, access: 'rwm' },
  { target: '/dev/full', type: 'c', major: 1, minor: 7, access: 'rwm' },
  { target: '/dev/random', type: 'c', major: 1, minor: 8, access: 'rwm' },
  { target: '/dev/urandom', type: 'c', major: 1, minor: 9, access: 'rwm' },
  { target: '/dev/tty', type: 'c', major: 5, minor: 0, access: 'rwm' },
];

/**
 * The cgroup rules every container gets besides its nodes: mknod of any node (Kubernetes keeps
 * CAP_MKNOD; a node made is still unusable), the container's own devpts (/dev/ptmx and
 * /dev/pts/*) and /dev/console, as runc and crun allow them.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { type: 'c', major: '*', minor: '*', access: 'm' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
  { type: 'c', major: 5, minor: 1, access: 'rwm' },
  { type: 'c', major: 5, minor: 2, access: 'rwm' },
  { type: 'c', major: 136, minor: '*', access: 'rwm' },
];

/** CRI-O's annotation for devices (its allowed_annotations gate; podrun's owner is its admin). */
export const DEVICES_ANNOTATION = 'io.kubernetes.cri-o.Devices';

/** What a container's devices come to: every host device, or the defaults and those asked for. */
export interface ContainerDevices {
  /** privileged: the host's /dev, every node. */
  all: boolean;
  /** Besides the defaults (which are not listed): the devices asked for. */
  nodes: DeviceNode[];
}

/** What devices.ts needs of the host: a stat that follows symlinks (fs.statSync, or a table in tests). */
export type StatDevice = (path: string) => { isCharacterDevice(): boolean; isBlockDevice(): boolean; rdev: number } | undefined;

export const hostStat: StatDevice = (p) => {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
};

/** Linux's dev_t split (the glibc major()/minor() macros). */
export function devNumbers(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  return { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
}

/** A device node of the host as a container gets it; ValidationError naming `field` when `source` is no device. */
export function deviceNode(source: string, target: string, access: string, readonly: boolean, stat: StatDevice, field: string): DeviceNode {
  const st = stat(source);
  if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) throw new ValidationError(field, `Invalid value: "${source}": not a device on this host`);
  return { source, target, type: st.isBlockDevice() ? 'b' : 'c', ...devNumbers(st.rdev), access, readonly };
}

/**
 * The annotation's devices, as CRI-O reads it: comma-separated HOST[:CONTAINER[:PERMISSIONS]],
 * the container path defaulting to the host's, the permissions to rwm.
 */
export function annotationDevices(value: string, stat: StatDevice = hostStat): DeviceNode[] {
  const field = `metadata.annotations[${DEVICES_ANNOTATION}]`;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const [source = '', target = source, access = 'rwm', ...rest] = entry.split(':');
      if (rest.length || !source.startsWith('/dev/') || !target.startsWith('/') || target.split('/').includes('..')) {
        throw new ValidationError(field, `Invalid value: "${entry}": want HOST[:CONTAINER[:PERMISSIONS]], a device under /dev and an absolute container path`);
      }
      if (!/^(?!.*(.).*\1)[rwm]+$/.test(access)) throw new ValidationError(field, `Invalid value: "${entry}": permissions are some of r, w and m`);
      return deviceNode(source, target, access, !access.includes('w'), stat, field);
    });
}

/**
 * The devices of one container: all of the host's when privileged; else the pod's annotation's
 * and the device hostPath volumes it mounts. `mounted` says which volumeMounts became nodes (the
 * plan binds them as devices, not as volumes).
 */
export function containerDevices(pod: Pod, c: Container, field: string, stat: StatDevice = hostStat): ContainerDevices & { mounted: Set<number> } {
  const nodes: DeviceNode[] = [];
  const mounted = new Set<number>();
  const asked = pod.metadata?.annotations?.[DEVICES_ANNOTATION];
  if (asked) nodes.push(...annotationDevices(asked, stat));
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  (c.volumeMounts ?? []).forEach((m, k) => {
    const hp = volumes.get(m.name)?.hostPath;
    if (!hp || m.subPath || m.subPathExpr) return;
    const st = stat(hp.path);
    const isDevice = hp.type === 'CharDevice' || hp.type === 'BlockDevice' || !!st?.isCharacterDevice() || !!st?.isBlockDevice();
    if (!isDevice) return;
    nodes.push(deviceNode(hp.path, m.mountPath, m.readOnly ? 'rm' : 'rwm', !!m.readOnly, stat, `${field}.volumeMounts[${k}].mountPath`));
    mounted.add(k);
  });
  return { all: !!c.securityContext?.privileged, nodes, mounted };
}

/**
 * The cgroup v1 devices controller's allow-list for a container (after `a *:* rwm` is denied):
 * the defaults and its nodes, or `all` for privileged (nothing denied).
 */
export function cgroupDeviceRules(d: ContainerDevices): DeviceRule[] | 'all' {
  if (d.all) return 'all';
  const nodes = [...DEFAULT_DEVICE_NODES, ...d.nodes];
  return [...DEFAULT_DEVICE_RULES, ...nodes.map((n) => ({ type: n.type, major: n.major, minor: n.minor, access: n.access }))];
}

/** A rule as devices.allow takes it: `c 1:3 rwm`. */
export function formatDeviceRule(r: DeviceRule): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/**
 * Admission (before anything is made): the annotation names devices this host has, and no
 * container is privileged when podrun runs without root. A user namespace cannot reach the
 * host's devices, and the kubelet refuses privileged the same way when it is not allowed
 * (`--allow-privileged=false`: "Forbidden: disallowed by cluster policy").
 */
export function admitDevices(pod: Pod, rootless: boolean, stat: StatDevice = hostStat): void {
  const asked = pod.metadata?.annotations?.[DEVICES_ANNOTATION];
  if (asked) annotationDevices(asked, stat);
  if (!rootless) return;
  const groups = [['initContainers', pod.spec?.initContainers], ['containers', pod.spec?.containers], ['ephemeralContainers', pod.spec?.ephemeralContainers]] as const;
  for (const [key, list] of groups) {
    (list ?? []).forEach((c, k) => {
      if (c.securityContext?.privileged) {
        throw new ValidationError(`spec.${key}[${k}].securityContext.privileged`, 'Forbidden: disallowed by cluster policy: podrun without root cannot give a container the host\'s devices and capabilities (run podrun as root for privileged containers)');
      }
    });
  }
}
