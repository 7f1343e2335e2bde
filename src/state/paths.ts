// Where podrun keeps things. The state root holds what lives as long as the pods (sockets, pod
// folders, records); the data root holds what outlives them (images).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { native } from '../native';

export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODRUN_ROOT) return path.resolve(env.PODRUN_ROOT);
  if (process.getuid?.() === 0) return '/run/podrun';
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'podrun');
  return fallbackRoot();
}

/**
 * The root without a runtime dir (su shells, cron): a private folder in the temp dir, which
 * anyone may have made first; ensurePrivateDir refuses it then.
 */
export function fallbackRoot(): string {
  return path.join(os.tmpdir(), `podrun-${process.getuid?.() ?? 0}`);
}

/** What a user without a runtime dir can do instead, in the words of the commands that do it. */
function runtimeDirFix(): string {
  const uid = process.getuid?.() ?? 0;
  return `set XDG_RUNTIME_DIR=/run/user/${uid} (a login session makes it; for su and cron, run 'loginctl enable-linger ${userName()}' as root once), or choose a folder with --root`;
}

/** The notice for a root in the temp dir because XDG_RUNTIME_DIR is unset; undefined otherwise. */
export function runtimeDirNotice(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.XDG_RUNTIME_DIR || process.getuid?.() === 0 || root !== fallbackRoot()) return undefined;
  return `XDG_RUNTIME_DIR is not set: podrun keeps its state in ${root} (in the temp dir); ${runtimeDirFix()}`;
}

/** The user's name, or `uid N` when /etc/passwd has no entry for it (an id given to a container). */
export function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 0}`;
  }
}

export function defaultDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODRUN_DATA_ROOT) return path.resolve(env.PODRUN_DATA_ROOT);
  if (process.getuid?.() === 0) return '/var/lib/podrun';
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'podrun');
}

/** The fix to name when a state root cannot be used, by where the root came from. */
function rootFix(dir: string, env: NodeJS.ProcessEnv): string {
  if (dir === fallbackRoot() && !env.XDG_RUNTIME_DIR) return runtimeDirFix();
  return 'choose another folder with --root';
}

/**
 * Creates DIR (0700) or checks that an existing one is ours and private. lstat, never stat:
 * a link in a shared folder (/tmp) may have been planted by another user, and following it
 * would put pods' state, sockets included, where that user chose.
 */
export function ensurePrivateDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const uid = process.getuid?.() ?? 0;
  const parent = path.dirname(dir);
  if (env.XDG_RUNTIME_DIR && parent === path.resolve(env.XDG_RUNTIME_DIR) && !fs.existsSync(parent)) {
    // The runtime dir of a session that has ended (su keeps the variable); making it is not ours to do.
    throw new PodrunError('NotFound', `XDG_RUNTIME_DIR ${parent} does not exist (its login session has ended)`, `run 'loginctl enable-linger ${userName()}' as root to keep it, unset XDG_RUNTIME_DIR, or choose a folder with --root`);
  }
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink()) {
    throw new PodrunError('Conflict', `${dir} is a symbolic link (owned by uid ${st.uid}), not a folder: podrun does not follow it`, rootFix(dir, env));
  }
  if (!st.isDirectory()) throw new PodrunError('Conflict', `${dir} exists and is not a folder`, rootFix(dir, env));
  if (st.uid !== uid) {
    throw new PodrunError('Conflict', `${dir} belongs to uid ${st.uid}, not to this user (${uid})`, rootFix(dir, env));
  }
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/** The layout of one state root. */
export class StateRoot {
  constructor(readonly dir: string) {}

  get podsDir(): string {
    return path.join(this.dir, 'pods');
  }
  /** Where ConfigMaps and Secrets were kept before the store (read once, then removed). */
  get objectsDir(): string {
    return path.join(this.dir, 'objects');
  }
  /** The object store's log (src/store). */
  get storeFile(): string {
    return path.join(this.dir, 'store.jsonl');
  }
  get serveSocket(): string {
    return path.join(this.dir, 'serve.sock');
  }
  get serveLock(): string {
    return path.join(this.dir, 'serve.lock');
  }
  get serveLog(): string {
    return path.join(this.dir, 'serve.log');
  }
  podDir(id: string): string {
    return path.join(this.podsDir, id);
  }

  init(): void {
    ensurePrivateDir(this.dir);
    fs.mkdirSync(this.podsDir, { recursive: true, mode: 0o700 });
    // Pod folders come and go by the thousand: on ext4 they are spread over the block groups
    // (see markTopDir), which keeps a pod's start from slowing with the pods made before it.
    try {
      native.markTopDir(this.podsDir);
    } catch {
      /* only a hint */
    }
  }
}

/** The files of one pod's folder (pods/<id>/). */
export class PodPaths {
  constructor(readonly dir: string) {}
  get pod(): string {
    return path.join(this.dir, 'pod.json');
  }
  get sandbox(): string {
    return path.join(this.dir, 'sandbox.json');
  }
  /** The engine's decisions about the pod, a log of JSON lines (state/record-log.ts). */
  get state(): string {
    return path.join(this.dir, 'state.jsonl');
  }
  get shimConfig(): string {
    return path.join(this.dir, 'shim-config.json');
  }
  get shimSocket(): string {
    return path.join(this.dir, 'shim.sock');
  }
  get shimLog(): string {
    return path.join(this.dir, 'shim.log');
  }
  get shm(): string {
    return path.join(this.dir, 'shm');
  }
  /** The pod's address record (network.json). */
  get network(): string {
    return path.join(this.dir, 'network.json');
  }
  get etcDir(): string {
    return path.join(this.dir, 'etc');
  }
  etc(name: 'hosts' | 'hostname' | 'resolv.conf'): string {
    return path.join(this.dir, 'etc', name);
  }
  get volumesDir(): string {
    return path.join(this.dir, 'volumes');
  }
  volume(name: string): string {
    return path.join(this.dir, 'volumes', name);
  }
  containerDir(name: string): string {
    return path.join(this.dir, 'containers', name);
  }
  /** The file bind-mounted at the container's terminationMessagePath for one attempt. */
  terminationLog(name: string, attempt: number): string {
    return path.join(this.containerDir(name), `${attempt}.termination-log`);
  }

  log(name: string, attempt: number): string {
    return path.join(this.containerDir(name), `${attempt}.log`);
  }
  startRecord(name: string, attempt: number): string {
    return path.join(this.containerDir(name), `${attempt}.start.json`);
  }
  exitRecord(name: string, attempt: number): string {
    return path.join(this.containerDir(name), `${attempt}.exit.json`);
  }
  /** Mount point where the container's root is assembled (inside its own mount namespace). */
  rootfs(name: string): string {
    return path.join(this.containerDir(name), 'rootfs');
  }
  /** The container's writable layer for one attempt (a restart gets a fresh one, as on the kubelet). */
  upper(name: string, attempt: number): string {
    return path.join(this.containerDir(name), `layer-${attempt}`);
  }
}
