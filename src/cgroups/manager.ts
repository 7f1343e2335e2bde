// The pods' cgroups, laid out as podman's cgroupfs driver and the kubelet's lay them out:
// <hierarchy>/podrun/pod<uid>/<container>. Two drivers:
// - cgroup v1 (hybrid hosts such as this project's CI machine), as root only: the memory, cpu,
//   cpuacct, pids and devices hierarchies, each with the same tree;
// - cgroup v2 where the unified hierarchy has the cpu, memory and pids controllers and a subtree
//   is ours: /sys/fs/cgroup/podrun as root, a sibling of our own cgroup otherwise (systemd's
//   delegation to user@UID.service). v2 forbids processes beside child cgroups that use
//   controllers, so the shim sits in a leaf of its own there (pod<uid>/_shim).
// Containers join their cgroup themselves before execve (the plan's cgroup.procs paths, written by
// the shim's child: native/shim/container.c; exec: native/core/spawn.c). The shim is moved into the
// pod's cgroup before it is released. Deleting a pod removes its cgroups once its processes are gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import type { PlanCgroup } from '../runtime/container-plan';
import { formatDeviceRule, type DeviceRule } from '../plan/devices';
import { CFS_PERIOD_US, cpuWeight, type CgroupValues } from './values';

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'devices'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'];

type Driver = { kind: 'v1'; dirs: Record<V1Controller, string> } | { kind: 'v2'; base: string } | { kind: 'none'; reason: string };

export interface CgroupUsage {
  /** CPU time used, in nanoseconds, since the cgroup was made. */
  cpuNs: number;
  /** The working set, as cAdvisor and the metrics server count it: usage less inactive file pages. */
  memory: number;
}

function write(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PodrunError('System', `cgroup: writing "${value.trim()}" to ${file}: ${err.code ?? err.message}`);
  }
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function statField(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** This process's cgroup v2 path, from /proc/self/cgroup's `0::` line. */
function ownV2(): string {
  return /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
}

function detect(root: string, rootless: boolean): Driver {
  let controllers: string[] | undefined;
  try {
    controllers = fs.readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
  } catch {
    /* not a unified-only host */
  }
  if (controllers) {
    const missing = V2_CONTROLLERS.filter((c) => !controllers.includes(c));
    if (missing.length) return { kind: 'none', reason: `cgroup v2 lacks the controllers: ${missing.join(', ')}` };
    if (!rootless) return { kind: 'v2', base: `${root}/podrun` };
    // Rootless: the cgroup holding ours must be delegated to us (systemd's user@UID.service).
    const parent = path.posix.dirname(ownV2());
    try {
      fs.accessSync(`${root}${parent}`, fs.constants.W_OK);
      fs.accessSync(`${root}${parent}/cgroup.subtree_control`, fs.constants.W_OK);
    } catch {
      return { kind: 'none', reason: `the cgroup ${parent} is not delegated to this user (run podrun under systemd-run --user --scope, or as root)` };
    }
    return { kind: 'v2', base: `${root}${parent}/podrun` };
  }
  if (rootless) return { kind: 'none', reason: 'this host has cgroup v1 (hybrid), whose controllers only root may use; cgroup v2 has none here' };
  const dirs = {} as Record<V1Controller, string>;
  for (const c of V1_CONTROLLERS) {
    try {
      // cpu and cpuacct may be one hierarchy (cpu,cpuacct) reached by both names.
      dirs[c] = `${fs.realpathSync(`${root}/${c}`)}/podrun`;
      fs.accessSync(path.dirname(dirs[c]), fs.constants.W_OK);
    } catch {
      return { kind: 'none', reason: `the cgroup v1 ${c} controller is not mounted at ${root}/${c}` };
    }
  }
  return { kind: 'v1', dirs };
}

export class Cgroups {
  /** Pods whose cgroup goes under a parent the kubelet named (CRI's cgroup_parent), by uid. */
  private readonly parents = new Map<string, string>();

  private constructor(
    private readonly driver: Driver,
    private readonly rootless: boolean,
  ) {}

  /** The driver this host allows this user; `available` false says why not in `reason`. */
  static detect(rootless = (process.getuid?.() ?? 0) !== 0, root = process.env.PODRUN_CGROUP_ROOT ?? '/sys/fs/cgroup'): Cgroups {
    return new Cgroups(detect(root, rootless), rootless);
  }

  /**
   * The pod's cgroup under `parent` (a path from the hierarchy's root, as the kubelet's cgroupfs
   * driver names it: /kubepods/burstable/pod<uid>): `<parent>/podrun`, its containers below, as
   * containerd puts a sandbox under its cgroup_parent. The parent is the kubelet's: made if
   * missing, never removed. As root only (a rootless tree is delegated below another cgroup);
   * false where it is not done.
   */
  placeUnder(uid: string, parent: string): boolean {
    if (this.driver.kind === 'none' || this.rootless) return false;
    this.parents.set(uid, `..${parent}/podrun`);
    return true;
  }

  get available(): boolean {
    return this.driver.kind !== 'none';
  }

  get reason(): string | undefined {
    return this.driver.kind === 'none' ? this.driver.reason : undefined;
  }

  get version(): 'v1' | 'v2' | undefined {
    return this.driver.kind === 'none' ? undefined : this.driver.kind;
  }

  /** Every directory of one cgroup (one per v1 hierarchy), relative to the podrun tree: `pod<uid>/web`. */
  private dirs(rel: string): string[] {
    const d = this.driver;
    if (d.kind === 'none') return [];
    if (d.kind === 'v2') return [`${d.base}/${rel}`];
    return [...new Set(Object.values(d.dirs))].map((b) => `${b}/${rel}`);
  }

  /** The directory of one controller's cgroup (v1), or the cgroup (v2). */
  dir(rel: string, controller: V1Controller): string | undefined {
    const d = this.driver;
    if (d.kind === 'none') return undefined;
    return d.kind === 'v2' ? `${d.base}/${rel}` : `${d.dirs[controller]}/${rel}`;
  }

  /** The folder of a pod's cgroup, below the podrun tree. */
  static podRel(uid: string): string {
    return `pod${uid}`;
  }

  /** A pod's cgroup relative to the podrun tree: its own folder there, or under the kubelet's parent (`..` first). */
  podPath(uid: string): string {
    return this.parents.get(uid) ?? Cgroups.podRel(uid);
  }

  /** A container's cgroup relative to the podrun tree: its folder under podPath. */
  containerPath(uid: string, name: string): string {
    return `${this.podPath(uid)}/${containerDir(name)}`;
  }

  /**
   * The folder of a container's cgroup: its name, a DNS label, which cannot be a cgroup file's
   * name (those have dots or underscores) but for v1's `tasks`: that one becomes `_tasks`.
   */
  static containerRel(uid: string, name: string): string {
    return `${Cgroups.podRel(uid)}/${containerDir(name)}`;
  }

  private mkdirs(rel: string): void {
    const d = this.driver;
    if (d.kind === 'v2') {
      // Each level hands the controllers down to the next (cgroup.subtree_control).
      const parts = rel.split('/');
      let at = d.base;
      fs.mkdirSync(at, { recursive: true });
      enableV2(path.dirname(at));
      for (const p of parts) {
        enableV2(at);
        at = `${at}/${p}`;
        fs.mkdirSync(at, { recursive: true });
      }
      return;
    }
    for (const dir of this.dirs(rel)) fs.mkdirSync(dir, { recursive: true });
  }

  /** The pod's cgroup with its values; the cgroup.procs files its shim is moved into. */
  ensurePod(uid: string, values: CgroupValues): string[] {
    if (this.driver.kind === 'none') return [];
    const rel = this.podPath(uid);
    this.mkdirs(rel);
    this.apply(rel, values);
    if (this.driver.kind === 'v2') {
      this.mkdirs(`${rel}/_shim`);
      return [`${this.driver.base}/${rel}/_shim/cgroup.procs`];
    }
    return this.dirs(rel).map((d) => `${d}/cgroup.procs`);
  }

  /** A container's cgroup with its values and devices (v1 only; 'all' for privileged). */
  ensureContainer(uid: string, name: string, values: CgroupValues, devices: DeviceRule[] | 'all'): PlanCgroup {
    if (this.driver.kind === 'none') return { procs: [], oomCounter: '' };
    const rel = this.containerPath(uid, name);
    this.mkdirs(rel);
    this.apply(rel, values);
    if (this.driver.kind === 'v1') {
      const dev = this.dir(rel, 'devices')!;
      if (devices === 'all') write(`${dev}/devices.allow`, 'a');
      else {
        write(`${dev}/devices.deny`, 'a');
        for (const r of devices) write(`${dev}/devices.allow`, formatDeviceRule(r));
      }
    }
    return {
      procs: this.dirs(rel).map((d) => `${d}/cgroup.procs`),
      oomCounter: this.driver.kind === 'v1' ? `${this.dir(rel, 'memory')}/memory.oom_control` : `${this.dir(rel, 'memory')}/memory.events`,
    };
  }

  /** A running container's new values (in-place resize): the pod's first when they grow, last when they shrink. */
  resize(uid: string, name: string, pod: CgroupValues, container: CgroupValues): void {
    const podRel = this.podPath(uid);
    if (this.driver.kind === 'none') return;
    // A container not started yet takes its values when it starts.
    if (!fs.existsSync(this.dirs(this.containerPath(uid, name))[0]!)) return this.apply(podRel, pod);
    try {
      this.apply(podRel, pod);
      this.apply(this.containerPath(uid, name), container);
    } catch {
      this.apply(this.containerPath(uid, name), container);
      this.apply(podRel, pod);
    }
  }

  /** Writes the values to one cgroup. */
  apply(rel: string, v: CgroupValues): void {
    const d = this.driver;
    if (d.kind === 'none') return;
    if (d.kind === 'v2') {
      const dir = `${d.base}/${rel}`;
      write(`${dir}/memory.max`, v.memoryLimit !== undefined ? String(v.memoryLimit) : 'max');
      if (fs.existsSync(`${dir}/memory.swap.max`)) write(`${dir}/memory.swap.max`, '0');
      write(`${dir}/memory.low`, v.memoryLow !== undefined ? String(v.memoryLow) : '0');
      write(`${dir}/cpu.weight`, String(cpuWeight(v.cpuShares)));
      write(`${dir}/cpu.max`, `${v.cpuQuota ?? 'max'} ${CFS_PERIOD_US}`);
      write(`${dir}/pids.max`, v.pidsLimit !== undefined ? String(v.pidsLimit) : 'max');
      return;
    }
    const mem = `${d.dirs.memory}/${rel}`;
    const limit = v.memoryLimit ?? -1;
    // memory.memsw.limit_in_bytes (memory and swap) may never be below the memory limit: when
    // the limit grows, memsw goes first; when it shrinks, last. Equal values: no swap, as the
    // kubelet's containers get none. Without swap accounting there is no memsw file.
    const memsw = fs.existsSync(`${mem}/memory.memsw.limit_in_bytes`);
    const current = readNumber(`${mem}/memory.limit_in_bytes`) ?? 0;
    const grows = limit === -1 || limit > current;
    if (memsw && grows) write(`${mem}/memory.memsw.limit_in_bytes`, String(limit));
    write(`${mem}/memory.limit_in_bytes`, String(limit));
    if (memsw && !grows) write(`${mem}/memory.memsw.limit_in_bytes`, String(limit));
    const cpu = `${d.dirs.cpu}/${rel}`;
    write(`${cpu}/cpu.shares`, String(v.cpuShares));
    write(`${cpu}/cpu.cfs_period_us`, String(CFS_PERIOD_US));
    write(`${cpu}/cpu.cfs_quota_us`, String(v.cpuQuota ?? -1));
    write(`${d.dirs.pids}/${rel}/pids.max`, v.pidsLimit !== undefined ? String(v.pidsLimit) : 'max');
  }

  /** CPU time and working set of a pod's cgroup (`name` undefined) or of one of its containers. */
  usage(uid: string, name?: string): CgroupUsage | undefined {
    const rel = name ? this.containerPath(uid, name) : this.podPath(uid);
    const d = this.driver;
    if (d.kind === 'none') return undefined;
    if (d.kind === 'v2') {
      const dir = `${d.base}/${rel}`;
      const current = readNumber(`${dir}/memory.current`);
      if (current === undefined) return undefined;
      return { cpuNs: statField(`${dir}/cpu.stat`, 'usage_usec') * 1000, memory: Math.max(0, current - statField(`${dir}/memory.stat`, 'inactive_file')) };
    }
    const mem = `${d.dirs.memory}/${rel}`;
    const used = readNumber(`${mem}/memory.usage_in_bytes`);
    if (used === undefined) return undefined;
    return {
      cpuNs: readNumber(`${d.dirs.cpuacct}/${rel}/cpuacct.usage`) ?? 0,
      memory: Math.max(0, used - statField(`${mem}/memory.stat`, 'total_inactive_file')),
    };
  }

  /**
   * Removes a pod's cgroups, its containers' first, once the processes in them are gone (they
   * may still be exiting when the shim is). Waits at most `timeoutMs`; what stays is named.
   */
  async remove(uid: string, timeoutMs = 5000): Promise<void> {
    const rel = this.podPath(uid);
    const deadline = Date.now() + timeoutMs;
    for (const podDir of this.dirs(rel)) {
      let children: string[];
      try {
        children = fs.readdirSync(podDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${podDir}/${e.name}`);
      } catch {
        continue; // never made, or removed already
      }
      for (const dir of [...children, podDir]) {
        for (;;) {
          try {
            fs.rmdirSync(dir);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') break;
            if (code !== 'EBUSY' || Date.now() > deadline) throw new PodrunError('System', `cgroup: removing ${dir}: ${code ?? (e as Error).message}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
    }
    this.parents.delete(uid);
  }
}

/** A container's folder in its pod's cgroup: its name, but v1's `tasks` file name, which becomes `_tasks`. */
function containerDir(name: string): string {
  return name === 'tasks' ? '_tasks' : name;
}

/** Hands cpu, memory and pids down from a v2 cgroup to its children (already there: nothing to do). */
function enableV2(dir: string): void {
  let enabled: string[] = [];
  try {
    enabled = fs.readFileSync(`${dir}/cgroup.subtree_control`, 'utf8').trim().split(/\s+/);
  } catch {
    return;
  }
  const missing = V2_CONTROLLERS.filter((c) => !enabled.includes(c));
  if (missing.length) write(`${dir}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(' '));
}
