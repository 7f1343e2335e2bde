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
  // No runtime dir (su shells, cron): a private folder in the temp dir, checked below.
  return path.join(os.tmpdir(), `podrun-${process.getuid?.() ?? 0}`);
}

export function defaultDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODRUN_DATA_ROOT) return path.resolve(env.PODRUN_DATA_ROOT);
  if (process.getuid?.() === 0) return '/var/lib/podrun';
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'podrun');
}

/** Creates DIR (0700) or checks that an existing one is ours and private. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid) {
    throw new PodrunError('Conflict', `${dir} belongs to uid ${st.uid}, not to this user (${uid})`, 'choose another --root');
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
