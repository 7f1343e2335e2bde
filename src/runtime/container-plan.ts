// The runtime's half of making a container (containerd's CRI CreateContainer, as an OCI spec
// is to runc): a RuntimeContainerConfig, the pod's sandbox and the image become the shim's plan,
// plain data the shim executes in order (bubblewrap's SetupOp list). The root filesystem, /proc,
// /dev, /sys, the sandbox's /etc files, the binds, the user, groups, capabilities, seccomp and
// argv are settled here, in TypeScript; the native side only acts. Pure but for reading the
// image's /etc/passwd and /etc/group and a Localhost seccomp profile.
import { PodrunError } from '../errors';
import { hostRootLayout } from '../image/host';
import { imageGroups, resolveUser } from '../image/image-user';
import type { ImageRecord } from '../image/types';
import { containerCapabilities } from '../plan/capabilities';
import { mergeArgv } from '../plan/command';
import type { DeviceNode } from '../plan/devices';
import { imageEnvMap, type EnvEntry } from '../plan/env';
import { procPaths } from '../plan/masked-paths';
import { ownUserns, podLayerPath } from '../plan/userns-paths';
import { profileFilter, type SeccompFilter } from '../seccomp/container-profile';
import type { PodPaths } from '../state/paths';
import type { RuntimeContainerConfig } from './container-config';
import type { IdMapPlan } from './idmap';

export type MountOp =
  | { type: 'overlay'; target: '/'; lower: string[]; upper: string; work: string; userxattr: boolean }
  /** Mounted by the shim (fuse-root.c) before the clone; the container's mount namespace inherits it. */
  | { type: 'fuse-overlayfs'; target: '/'; program: string; lower: string[]; upper: string; work: string }
  | { type: 'tmpfs'; target: string; options: string; readonly?: boolean }
  | { type: 'bind'; target: string; source: string; sub?: string; readonly: boolean; recursive?: boolean; file?: boolean; propagation?: 'rslave' | 'rshared' }
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
  /** Written to its /proc/self/oom_score_adj before anything runs (lowering it may be refused: it stays then); absent: inherited. */
  oomScoreAdj?: number;
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

/** What the runtime knows of the pod and of itself when it plans a container. */
export interface PlanContext {
  paths: PodPaths;
  /** The pod's user namespace, null for none. */
  idmap: IdMapPlan | null;
  /** The sandbox's hostname: $HOSTNAME unless the config sets it. */
  hostname: string;
  /** Layered images: overlayfs over the layers (the default), else fuse-overlayfs, else a copy of them. */
  rootfsDriver?: RootfsDriver;
  /** `<data root>/seccomp`, where Localhost profiles are read; absent, they cannot be. */
  seccompDir?: string;
  /** Log rotation (the kubelet's containerLogMaxSize and containerLogMaxFiles). */
  logs: LogLimits;
  /** The sandbox kept the host's PID namespace (hostPID). */
  hostPid?: boolean;
}

export function containerPlan(c: RuntimeContainerConfig, x: PlanContext): ContainerPlan {
  const { paths, idmap } = x;
  const sc = c.security;
  const field = c.field;
  // As containerd: run_as_user[:run_as_group] when set, else run_as_username, else the image's
  // User; a uid alone takes its group from the image's /etc/passwd (0 when not listed there).
  const asked = sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` : sc.runAsUsername || c.image.config.user;
  const user = resolveUser(c.image, asked, `${field}.image`);
  const uid = user?.uid ?? 0;
  const gid = sc.runAsGroup ?? user?.gid ?? 0;
  if (sc.runAsNonRoot) {
    // As the kubelet's verifyRunAsNonRoot: a user name cannot be verified.
    if (user?.named) {
      throw new PodrunError('Invalid', `${field}: container has runAsNonRoot and image has non-numeric user (${c.image.config.user}), cannot verify user is non-root`);
    }
    if (uid === 0) throw new PodrunError('Invalid', `${field}: container has runAsNonRoot and image will run as root`);
  }
  const setGroups = !idmap || idmap.setgroups;
  // Where no group can be set (one id mapped), the image's memberships cannot be either: the
  // container runs without them; groups the config names are an error there.
  const groups = [...new Set([...sc.supplementalGroups, ...(sc.imageGroups && setGroups ? imageGroups(c.image, uid) : [])])];
  if (sc.supplementalGroups.length && !setGroups) {
    throw new PodrunError('Unsupported', `spec.securityContext.supplementalGroups: setgroups is denied with a single-id mapping`, 'install uidmap and give the user a /etc/subgid range');
  }
  const caps = containerCapabilities({ add: sc.capabilities.add, drop: sc.capabilities.drop, privileged: sc.privileged, uid, field: `${field}.securityContext.capabilities` });

  const env = mergeEnv(c.image.config.env ?? [], c.envs);
  if (!env.some((e) => e.name === 'PATH')) env.unshift({ name: 'PATH', value: DEFAULT_PATH });
  if (!env.some((e) => e.name === 'HOSTNAME')) env.push({ name: 'HOSTNAME', value: x.hostname });
  // Expanded by the kubelet side already: `$(VAR)` left in a config is taken literally.
  const argv = mergeArgv({ command: c.command, args: c.args }, { entrypoint: c.image.config.entrypoint, cmd: c.image.config.cmd });

  const ops: MountOp[] = rootOps(c.image, paths, c.name, c.attempt, !!idmap, x.rootfsDriver);
  // A pod in its own user namespace as root sees the layers through its idmapped views.
  const root = ops[0];
  if (ownUserns(idmap) && root.type === 'overlay') root.lower = root.lower.map((l) => podLayerPath(paths, l));
  // In the host's PID namespace from a user namespace, a new proc cannot be mounted (its PID
  // namespace belongs to the host's user namespace): the host's /proc is bound, as podman does
  // for a rootless --pid=host; the masked and read-only paths below cover it as they cover a new one.
  if (x.hostPid && idmap && c.sharePid && !c.targetContainer) ops.push({ type: 'bind', target: '/proc', source: '/proc', readonly: false });
  else ops.push({ type: 'proc', target: '/proc' });
  ops.push({ type: 'dev', target: '/dev', nodes: c.devices.map((n: DeviceNode) => ({ source: n.source, target: n.target, readonly: n.readonly })), hostDevices: sc.privileged });
  ops.push({ type: 'bind', target: '/dev/shm', source: paths.shm, readonly: false });
  ops.push({ type: 'sysfs', target: '/sys', readonly: !sc.privileged });
  // The sandbox's name files, unless a mount takes their place.
  const mounted = new Set(c.mounts.map((m) => m.containerPath.replace(/\/+$/, '')));
  for (const f of ['hosts', 'hostname', 'resolv.conf'] as const) {
    if (!mounted.has(`/etc/${f}`)) ops.push({ type: 'bind', target: `/etc/${f}`, source: paths.etc(f), readonly: false, file: true, recursive: false });
  }
  for (const m of c.mounts) {
    // As root, a propagation other than private is the host's live tree (container-config.ts).
    const propagation = idmap ? undefined : m.propagation === 'PROPAGATION_HOST_TO_CONTAINER' ? 'rslave' : m.propagation === 'PROPAGATION_BIDIRECTIONAL' ? 'rshared' : undefined;
    if (m.propagation === 'PROPAGATION_BIDIRECTIONAL' && idmap) throw new PodrunError('Invalid', `mount at ${m.containerPath}: bidirectional propagation needs root: a rootless pod's mounts cannot reach the host's`);
    ops.push(
      m.file
        ? { type: 'bind', target: m.containerPath, source: m.hostPath, readonly: m.readonly, file: true, recursive: false }
        : { type: 'bind', target: m.containerPath, source: m.hostPath, sub: m.subPath || undefined, readonly: m.readonly, ...(propagation ? { propagation } : {}) },
    );
  }

  return {
    name: c.name,
    attempt: c.attempt,
    root: paths.rootfs(c.name),
    newPidns: !c.sharePid,
    ops,
    readonlyRoot: sc.readonlyRootfs,
    nodev: !sc.privileged,
    // An unmasked /proc only in a user namespace (admission refuses it elsewhere, as the API server does).
    ...procPaths(sc.privileged || (sc.unmaskedProc && !!idmap)),
    ...(!sc.privileged && sc.maskedPaths ? { maskedPaths: sc.maskedPaths } : {}),
    ...(!sc.privileged && sc.readonlyPaths ? { readonlyPaths: sc.readonlyPaths } : {}),
    uid,
    gid,
    groups,
    setGroups,
    capBounding: Number(caps.bounding),
    capEffective: Number(caps.effective),
    noNewPrivs: sc.noNewPrivs && !sc.privileged,
    seccomp: profileFilter(sc.seccomp, caps.bounding, x.seccompDir ?? ''),
    cwd: c.workingDir || c.image.config.workingDir || '/',
    argv,
    env: env.map((e) => `${e.name}=${e.value}`),
    logPath: c.logPath ?? paths.log(c.name, c.attempt),
    logMaxSize: x.logs.maxSize,
    logMaxFiles: x.logs.maxFiles,
    startPath: paths.startRecord(c.name, c.attempt),
    exitPath: paths.exitRecord(c.name, c.attempt),
    ...(c.targetContainer ? { targetContainer: c.targetContainer } : {}),
    ...(c.oomScoreAdj !== undefined ? { oomScoreAdj: c.oomScoreAdj } : {}),
    tty: c.tty,
    stdin: c.stdin,
    cgroup: c.cgroup ?? NO_CGROUP,
  };
}

/** The image's environment with the config's over it, literally; a name set again keeps its place. */
function mergeEnv(imageEnv: string[], envs: { key: string; value: string }[]): EnvEntry[] {
  const env = imageEnvMap(imageEnv);
  for (const e of envs) env.set(e.key, e.value);
  return [...env].map(([name, value]) => ({ name, value }));
}

export function execIdentity(p: ContainerPlan): ExecIdentity {
  return { uid: p.uid, gid: p.gid, groups: p.groups, setGroups: p.setGroups, capBounding: p.capBounding, capEffective: p.capEffective, noNewPrivs: p.noNewPrivs, seccomp: p.seccomp, cwd: p.cwd, env: p.env, cgroupProcs: p.cgroup.procs };
}
