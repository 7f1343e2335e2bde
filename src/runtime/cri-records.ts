// The runtime service's records: what it writes of each sandbox and container (under
// <state root>/cri/<sandbox id>/), and the views of them that its callers get. Files outlive the
// process: a new one reads them back (readContainers) and carries on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeContainerConfig, RuntimeMount } from './container-config';
import type { ContainerPlan } from './container-plan';
import type { PodPaths } from '../state/paths';
import type { RuntimeSandboxConfig } from './sandbox-config';

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** sandbox-config.json: what was asked, and what became of it. */
export interface SandboxFile {
  id: string;
  config: RuntimeSandboxConfig;
  /** Nanoseconds since the epoch, as CRI's timestamps. */
  createdAt: number;
  /** Stopped: its processes and network are gone; only RemovePodSandbox is left to do. */
  stopped: boolean;
}

/** What names a container, in its file and in every view of it. */
export interface ContainerMeta {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  image: { ref: string; id: string };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** <name>/<attempt>.cri.json: one container as created. */
export interface ContainerFile extends ContainerMeta {
  createdAt: number;
  /** The mounts as asked (ContainerStatus shows them). */
  mounts: Pick<RuntimeMount, 'containerPath' | 'hostPath' | 'readonly' | 'propagation'>[];
  /** The image's STOPSIGNAL, else SIGTERM. */
  stopSignal: number;
  plan: ContainerPlan;
}

export interface SandboxView {
  id: string;
  config: RuntimeSandboxConfig;
  state: SandboxState;
  createdAt: number;
  ip: string;
}

export interface ContainerView extends ContainerMeta {
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  mounts: ContainerFile['mounts'];
  logPath: string;
  pid: number;
  /** Who its process runs as. */
  user: { uid: number; gid: number; groups: number[] };
}

export type ContainerEventType = 'CONTAINER_CREATED_EVENT' | 'CONTAINER_STARTED_EVENT' | 'CONTAINER_STOPPED_EVENT' | 'CONTAINER_DELETED_EVENT';

/** What `container-event` listeners get: one change of one container. */
export interface ContainerEvent {
  type: ContainerEventType;
  containerId: string;
  sandboxId: string;
  /** Nanoseconds since the epoch. */
  createdAt: number;
}

export interface CreateContainerInput {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** As the request named it (ContainerStatus answers with it). */
  imageRef: string;
  config: RuntimeContainerConfig;
}

export function nowNs(): number {
  return Date.now() * 1e6;
}

export function isoNs(iso: string | undefined): number {
  return iso ? Date.parse(iso) * 1e6 : 0;
}

/** The `<name>/<attempt>.cri.json` files of a sandbox folder, by container id. */
export function readContainers(paths: PodPaths): Map<string, ContainerFile> {
  const out = new Map<string, ContainerFile>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(paths.dir, 'containers'));
  } catch {
    return out;
  }
  for (const name of names) {
    let files: string[] = [];
    try {
      files = fs.readdirSync(paths.containerDir(name));
    } catch {
      continue;
    }
    for (const f of files) {
      const c = f.endsWith('.cri.json') ? readJson<ContainerFile>(path.join(paths.containerDir(name), f)) : undefined;
      if (c) out.set(c.id, c);
    }
  }
  return out;
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
