// A container becomes a plan: plain data the shim executes in order (bubblewrap's SetupOp list).
// Everything Kubernetes decides (command, env, ids, capabilities, mounts) is settled here, in
// TypeScript, so the native side only acts; unit tests assert on this without privileges.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { hostRootLayout } from '../image/host';
import { imageGroups, resolveUser } from '../image/image-user';
import type { ImageRecord } from '../image/types';
import type { IdMapPlan } from '../runtime/idmap';
import { seccompFilter, type SeccompFilter } from '../seccomp/container-profile';
import type { PodPaths } from '../state/paths';
import type { PreparedVolume } from '../volume/volumes';
import { containerCapabilities } from './capabilities';
import { resolveCommand } from './command';
import { containerDevices, type DeviceNode } from './devices';
import { buildEnv, expand, type EnvSources } from './env';
import { procPaths } from './masked-paths';
import { ownUserns, podLayerPath, podVolumeSource } from './userns-paths';

export type MountOp =
  | { type: 'overlay'; target: '/'; lower: string[]; upper: string; work: string; userxattr: boolean }
  /** Mounted by the shim (fuse-root.c) before the clone; the container's mount namespace inherits it. */
  | { type: 'fuse-overlayfs'; target: '/'; program: string; lower: string[]; upper: string; work: string }
  | { type: 'tmpfs'; target: string; options: string; readonly?: boolean }
  | { type: 'bind'; target: string; source: string; sub?: string; readonly: boolean; recursive?: boolean; file?: boolean }
  | { type: 'symlink'; target: string; link: string }
  | { type: 'mkdir'; target: string; mode: number }
  | { type: 'proc'; target: string }
  /** Read-only unless privileged. */
  | { type: 'sysfs'; target: string; readonly: boolean }
  /**
   * A tmpfs with the default nodes, devpts and the `nodes` asked for bound in (after the rest is
   * made nodev); with `hostDevices` (privileged) a copy of every node of the host's /dev instead.
   */
  | { type: 'dev'; target: string; nodes: Pick<DeviceNode, 'source' | 'target' | 'readonly'>[]; hostDevices: boolean };

/** What the shim's `start` request carries. Field names are the shim's. */
export interface ContainerPlan {
  name: string;
  attempt: number;
  root: string;
  newPidns: boolean;
  ops: MountOp[];
  readonlyRoot: boolean;
  /** Every filesystem of the container nodev but its device nodes' own binds (all but privileged). */
  nodev: boolean;
  /** /proc and /sys paths hidden, and made read-only (none when privileged). */
  maskedPaths: string[];
  readonlyPaths: string[];
  uid: number;
  gid: number;
  groups: number[];
  setGroups: boolean;
  capBounding: number;
  capEffective: number;
  noNewPrivs: boolean;
  /** The seccomp filter loaded right before execve (src/seccomp), or null: unconfined. */
  seccomp: SeccompFilter;
  cwd: string;
  argv: string[];
  env: string[];
  logPath: string;
  /** Rotate the log before it passes this many bytes (0: never); keep this many files. */
  logMaxSize: number;
  logMaxFiles: number;
  startPath: string;
  exitPath: string;
  /** An ephemeral container's targetContainerName: it joins that container's PID namespace. */
  targetContainer?: string;
  /** `tty: true`: a terminal from the container's devpts on 0-2, kept by the shim for attach. */
  tty: boolean;
  /** `stdin: true`: stdin stays open for attached clients. */
  stdin: boolean;
  /** The container's cgroups (src/cgroups): joined by its process before anything else. */
  cgroup: PlanCgroup;
}

/** cgroup.procs files to join, and the memory cgroup's OOM counter file; [] and '' without cgroups. */
export interface PlanCgroup {
  procs: string[];
  oomCounter: string;
}

export const NO_CGROUP: PlanCgroup = { procs: [], oomCounter: '' };

/** The part of a plan that `exec` needs later to enter the container as the same identity. */
export type ExecIdentity = Pick<ContainerPlan, 'uid' | 'gid' | 'groups' | 'setGroups' | 'capBounding' | 'capEffective' | 'noNewPrivs' | 'seccomp' | 'cwd' | 'env'> & {
  /** The container's cgroup.procs files: exec'd processes are charged to the container too. */
  cgroupProcs: string[];
};

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ContainerPlanInput {
  pod: Pod;
  container: Container & { targetContainerName?: string };
  /** `spec.containers[0]`, `spec.initContainers[1]`: where errors point. */
  field: string;
  attempt: number;
  image: ImageRecord;
  volumes: Map<string, PreparedVolume>;
  paths: PodPaths;
  idmap: IdMapPlan | null;
  envSources: EnvSources;
  /** `<data root>/seccomp`, where Localhost profiles are read; absent, they cannot be. */
  seccompDir?: string;
  /** Log rotation (the kubelet's containerLogMaxSize and containerLogMaxFiles). */
  logs: LogLimits;
  /** Layered images: overlayfs over the layers (the default), else fuse-overlayfs, else a copy of them. */
  rootfsDriver?: RootfsDriver;
  /** The container's cgroups, made by the caller; none when omitted. */
  cgroup?: PlanCgroup;
}

/** The kubelet's defaults: rotate at 10 MiB, keep 5 files (the current one included). */
export interface LogLimits {
  maxSize: number;
  maxFiles: number;
}
export const KUBELET_LOG_LIMITS: LogLimits = { maxSize: 10 * 1024 * 1024, maxFiles: 5 };

/** How a layered image becomes a container root; fuse-overlayfs names its program. */
export type RootfsDriver = 'overlay' | 'copy' | { fuseOverlayfs: string };

export function rootOps(image: ImageRecord, paths: PodPaths, name: string, attempt: number, rootless: boolean, driver: RootfsDriver = 'overlay'): MountOp[] {
  if (image.builtin) {
    // The host's system directories read-only, with private scratch space (the `host` image).
    const ops: MountOp[] = [{ type: 'tmpfs', target: '/', options: 'mode=755' }];
    for (const e of hostRootLayout()) {
      if (e.kind === 'symlink') ops.push({ type: 'symlink', target: e.path, link: e.target ?? '' });
      else if (e.kind === 'bind-ro') ops.push({ type: 'bind', target: e.path, source: e.path, readonly: true });
      else if (e.kind === 'dir') ops.push({ type: 'mkdir', target: e.path, mode: 0o755 });
      else ops.push({ type: 'tmpfs', target: e.path, options: e.path === '/tmp' || e.path === '/var/tmp' ? 'mode=1777' : 'mode=755' });
    }
    return ops;
  }
  const layer = paths.upper(name, attempt);
  // The copy driver's root: the layers copied by the worker (copyLayers) before the start.
  if (image.layers && driver === 'copy') return [{ type: 'bind', target: '/', source: `${layer}/copy`, readonly: false }];
  // overlayfs lists lower directories top first; a layered image keeps its layers bottom first.
  const lower = image.layers ? [...image.layers].reverse() : [image.rootfs];
  if (image.layers && typeof driver === 'object') return [{ type: 'fuse-overlayfs', target: '/', program: driver.fuseOverlayfs, lower, upper: `${layer}/upper`, work: `${layer}/work` }];
  return [{ type: 'overlay', target: '/', lower, upper: `${layer}/upper`, work: `${layer}/work`, userxattr: rootless }];
}

export function buildContainerPlan(i: ContainerPlanInput): ContainerPlan {
  const { pod, container: c, paths, field } = i;
  const spec = pod.spec!;
  const psc = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  // As containerd: runAsUser[:runAsGroup] when set, else the image's User; a uid alone takes
  // its group from the image's /etc/passwd (0 when not listed there).
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const user = resolveUser(i.image, runAsUser !== undefined ? `${runAsUser}${runAsGroup !== undefined ? `:${runAsGroup}` : ''}` : i.image.config.user, `${field}.image`);
  const uid = user?.uid ?? 0;
  const gid = runAsGroup ?? user?.gid ?? 0;
  if (sc.runAsNonRoot ?? psc.runAsNonRoot) {
    // As the kubelet's verifyRunAsNonRoot: a user name cannot be verified.
    if (user?.named) {
      throw new PodrunError('Invalid', `${field}: container has runAsNonRoot and image has non-numeric user (${i.image.config.user}), cannot verify user is non-root`);
    }
    if (uid === 0) throw new PodrunError('Invalid', `${field}: container has runAsNonRoot and image will run as root`);
  }
  // supplementalGroupsPolicy Merge (the default) adds the image's /etc/group memberships of the
  // user; Strict only what the pod names.
  const merge = (psc as { supplementalGroupsPolicy?: string }).supplementalGroupsPolicy !== 'Strict';
  const named = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])];
  const setGroups = !i.idmap || i.idmap.setgroups;
  // Where no group can be set (one id mapped), the image's memberships cannot be either: the
  // container runs without them; groups the pod names are an error there.
  const groups = [...new Set([...named, ...(merge && setGroups ? imageGroups(i.image, uid) : [])])];
  if (named.length && !setGroups) {
    throw new PodrunError('Unsupported', `spec.securityContext.supplementalGroups: setgroups is denied with a single-id mapping`, 'install uidmap and give the user a /etc/subgid range');
  }
  const caps = containerCapabilities({ add: sc.capabilities?.add, drop: sc.capabilities?.drop, privileged: sc.privileged, uid, field: `${field}.securityContext.capabilities` });

  const env = buildEnv(c.env ?? [], i.image.config.env ?? [], i.envSources, c.envFrom ?? []);
  if (!env.some((e) => e.name === 'PATH')) env.unshift({ name: 'PATH', value: DEFAULT_PATH });
  if (!env.some((e) => e.name === 'HOSTNAME')) env.push({ name: 'HOSTNAME', value: kernelHostname(pod) });
  const argv = resolveCommand({ command: c.command, args: c.args }, { entrypoint: i.image.config.entrypoint, cmd: i.image.config.cmd }, env);

  const devices = containerDevices(pod, c, field);
  const ops: MountOp[] = rootOps(i.image, paths, c.name, i.attempt, !!i.idmap, i.rootfsDriver);
  // A pod in its own user namespace as root sees the layers through its idmapped views.
  const root = ops[0];
  if (ownUserns(i.idmap) && root.type === 'overlay') root.lower = root.lower.map((l) => podLayerPath(paths, l));
  ops.push({ type: 'proc', target: '/proc' });
  ops.push({ type: 'dev', target: '/dev', nodes: devices.nodes.map((n) => ({ source: n.source, target: n.target, readonly: n.readonly })), hostDevices: devices.all });
  ops.push({ type: 'bind', target: '/dev/shm', source: paths.shm, readonly: false });
  ops.push({ type: 'sysfs', target: '/sys', readonly: !sc.privileged });
  // The pod's name files, unless a volume mount takes their place.
  const mounted = new Set((c.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/+$/, '')));
  for (const f of ['hosts', 'hostname', 'resolv.conf'] as const) {
    if (!mounted.has(`/etc/${f}`)) ops.push({ type: 'bind', target: `/etc/${f}`, source: paths.etc(f), readonly: false, file: true, recursive: false });
  }
  const envMap = new Map(env.map((e) => [e.name, e.value]));
  (c.volumeMounts ?? []).forEach((m, k) => {
    if (devices.mounted.has(k)) return; // a device: bound with the /dev op's nodes
    const v = i.volumes.get(m.name);
    if (!v) throw new PodrunError('Invalid', `${field}.volumeMounts: volume "${m.name}" not found`);
    // subPathExpr expands from the container's environment, like command and args.
    const sub = m.subPathExpr ? expand(m.subPathExpr, (n) => envMap.get(n)) : m.subPath;
    if (sub && (sub.startsWith('/') || sub.split('/').includes('..'))) {
      throw new PodrunError('Invalid', `${field}.volumeMounts[${k}].subPathExpr: Invalid value: "${sub}": must be a relative path without '..'`);
    }
    ops.push({ type: 'bind', target: m.mountPath, source: ownUserns(i.idmap) ? podVolumeSource(paths, v) : v.source, sub: sub || undefined, readonly: !!m.readOnly || v.forceReadOnly });
  });
  // The termination message file, writable whatever the container's uid (made 0666 by the engine).
  ops.push({ type: 'bind', target: c.terminationMessagePath || '/dev/termination-log', source: paths.terminationLog(c.name, i.attempt), readonly: false, file: true, recursive: false });

  return {
    name: c.name,
    attempt: i.attempt,
    root: paths.rootfs(c.name),
    newPidns: !spec.shareProcessNamespace,
    ops,
    readonlyRoot: !!sc.readOnlyRootFilesystem,
    nodev: !sc.privileged,
    // procMount Unmasked only in a user namespace (admission refuses it elsewhere, as the API server does).
    ...procPaths(!!sc.privileged || (sc.procMount === 'Unmasked' && !!i.idmap)),
    uid,
    gid,
    groups,
    setGroups,
    capBounding: Number(caps.bounding),
    capEffective: Number(caps.effective),
    noNewPrivs: sc.allowPrivilegeEscalation !== true && !sc.privileged,
    seccomp: seccompFilter(pod, c, caps.bounding, i.seccompDir ?? ''),
    cwd: c.workingDir || i.image.config.workingDir || '/',
    argv,
    env: env.map((e) => `${e.name}=${e.value}`),
    logPath: paths.log(c.name, i.attempt),
    logMaxSize: i.logs.maxSize,
    logMaxFiles: i.logs.maxFiles,
    startPath: paths.startRecord(c.name, i.attempt),
    exitPath: paths.exitRecord(c.name, i.attempt),
    ...(c.targetContainerName ? { targetContainer: c.targetContainerName } : {}),
    tty: !!c.tty,
    stdin: !!c.stdin,
    cgroup: i.cgroup ?? NO_CGROUP,
  };
}

export function hostnameOf(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata?.name || 'pod').slice(0, 63);
}

/** The longest hostname the kernel takes (HOST_NAME_MAX). */
const HOST_NAME_MAX = 64;

/**
 * The pod's kernel hostname (uname, /etc/hostname, $HOSTNAME): its hostname, or with
 * setHostnameAsFQDN and a subdomain the FQDN, as the kubelet's GeneratePodHostNameAndDomain.
 * Throws the kubelet's sandbox error when the FQDN is longer than the kernel allows.
 */
export function kernelHostname(pod: Pod, clusterDomain = 'cluster.local'): string {
  const host = hostnameOf(pod);
  const sub = pod.spec?.subdomain;
  if (!pod.spec?.setHostnameAsFQDN || !sub) return host;
  const fqdn = `${host}.${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}`;
  if (fqdn.length > HOST_NAME_MAX) {
    throw new PodrunError('Invalid', `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${HOST_NAME_MAX} characters is the max, ${fqdn.length} characters requested)`);
  }
  return fqdn;
}

/** Why the pod's sandbox cannot be made, whatever the retries, or undefined: the FQDN too long for the kernel. */
export function sandboxBlocker(pod: Pod): string | undefined {
  try {
    kernelHostname(pod);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function execIdentity(p: ContainerPlan): ExecIdentity {
  return { uid: p.uid, gid: p.gid, groups: p.groups, setGroups: p.setGroups, capBounding: p.capBounding, capEffective: p.capEffective, noNewPrivs: p.noNewPrivs, seccomp: p.seccomp, cwd: p.cwd, env: p.env, cgroupProcs: p.cgroup.procs };
}
