// CRI's container calls onto podrun's runtime service: CreateContainer, StartContainer,
// StopContainer, RemoveContainer, ListContainers, ContainerStatus and ExecSync.
import { status } from '@grpc/grpc-js';
import type { ImageRecord } from '../image/types';
import type { ContainerView } from '../runtime/cri-records';
import type { RuntimeService } from '../runtime/runtime-service';
import { cgroupValues, runtimeContainerConfig } from './container-config';
import type { Container, ContainerIdRequest, ContainerStatus, ContainerStatusRequest, CreateContainerRequest, ExecSyncRequest, ExecSyncResponse, ListContainersRequest, StopContainerRequest, UpdateContainerResourcesRequest } from './container-messages';
import type { Empty } from './messages';
import { CriError, invalidField } from './status';

/** ExecSync keeps this much of each stream, as the kubelet's own cap on a response. */
const EXEC_SYNC_MAX_BYTES = 16 * 1024 * 1024;

export function containerStatusOf(v: ContainerView): ContainerStatus {
  return {
    id: v.id,
    metadata: { name: v.name, attempt: v.attempt },
    state: v.state,
    created_at: v.createdAt,
    started_at: v.startedAt,
    finished_at: v.finishedAt,
    exit_code: v.exitCode,
    image: { image: v.image.ref },
    image_ref: v.image.id,
    reason: v.reason,
    message: v.message,
    labels: v.labels,
    annotations: v.annotations,
    mounts: v.mounts.map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readonly, propagation: m.propagation ?? 'PROPAGATION_PRIVATE' })),
    log_path: v.logPath,
    image_id: v.image.id,
    user: { linux: { uid: v.user.uid, gid: v.user.gid, supplemental_groups: v.user.groups } },
  };
}

function item(v: ContainerView): Container {
  return { id: v.id, pod_sandbox_id: v.sandboxId, metadata: { name: v.name, attempt: v.attempt }, image: { image: v.image.ref }, image_ref: v.image.id, state: v.state, created_at: v.createdAt, labels: v.labels, annotations: v.annotations, image_id: v.image.id };
}

function required(id: string, field = 'container_id'): string {
  if (!id) throw invalidField(field, 'Required value');
  return id;
}

export class ContainerService {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly image: (spec: string) => ImageRecord | undefined,
  ) {}

  async createContainer(req: CreateContainerRequest): Promise<{ container_id: string }> {
    const sandboxId = required(req.pod_sandbox_id, 'pod_sandbox_id');
    if (!req.config) throw invalidField('config', 'Required value');
    const sandbox = this.runtime.podSandboxStatus(sandboxId);
    const ref = req.config.image?.image ?? '';
    if (!ref) throw invalidField('config.image.image', 'Required value');
    const image = this.image(ref);
    // As containerd: the kubelet pulls first; a runtime does not pull at create.
    if (!image) throw new CriError(status.NOT_FOUND, `config.image.image: image "${ref}" not found: pull it first (crictl pull, or PullImage)`);
    const config = runtimeContainerConfig(req.config, {
      image,
      logDirectory: sandbox.config.logDirectory,
      sandboxSharesPid: sandbox.config.pid === 'POD' || sandbox.config.pid === 'NODE',
      sandboxHostPid: sandbox.config.pid === 'NODE',
      rootless: sandbox.shim.rootless,
      targetName: (id) => {
        const target = this.runtime.containerStatus(required(id, 'config.linux.security_context.namespace_options.target_id'));
        if (target.sandboxId !== sandbox.id) throw invalidField('config.linux.security_context.namespace_options.target_id', `container ${id} is not in pod sandbox ${sandbox.id}`);
        return target.name;
      },
    });
    const id = await this.runtime.createContainer(sandbox.id, { labels: req.config.labels, annotations: req.config.annotations, imageRef: ref, config });
    return { container_id: id };
  }

  async startContainer(req: ContainerIdRequest): Promise<Empty> {
    await this.runtime.startContainer(required(req.container_id));
    return {};
  }

  async stopContainer(req: StopContainerRequest): Promise<Empty> {
    if (req.timeout < 0) throw invalidField('timeout', `Invalid value: ${req.timeout}: must be 0 or more seconds`);
    await this.runtime.stopContainer(required(req.container_id), req.timeout);
    return {};
  }

  updateContainerResources(req: UpdateContainerResourcesRequest): Empty {
    if (!req.linux) throw invalidField('linux', 'Required value: podrun changes Linux resources');
    this.runtime.updateContainerResources(required(req.container_id), cgroupValues(req.linux, 'linux'));
    return {};
  }

  async reopenContainerLog(req: ContainerIdRequest): Promise<Empty> {
    await this.runtime.reopenContainerLog(required(req.container_id));
    return {};
  }

  async removeContainer(req: ContainerIdRequest): Promise<Empty> {
    await this.runtime.removeContainer(required(req.container_id));
    return {};
  }

  containerStatus(req: ContainerStatusRequest): { status: ContainerStatus; info: Record<string, string> } {
    const v = this.runtime.containerStatus(required(req.container_id));
    return { status: containerStatusOf(v), info: req.verbose ? { info: JSON.stringify({ pid: v.pid, sandboxID: v.sandboxId }) } : {} };
  }

  listContainers(req: ListContainersRequest): { containers: Container[] } {
    const f = req.filter;
    const selector = Object.entries(f?.label_selector ?? {});
    const all = this.runtime.listContainers(f?.pod_sandbox_id || undefined).filter((v) => {
      if (f?.id && !v.id.startsWith(f.id)) return false;
      if (f?.state && v.state !== f.state.state) return false;
      return selector.every(([k, val]) => v.labels[k] === val);
    });
    return { containers: all.map(item) };
  }

  /** The statuses of a sandbox's containers (PodSandboxStatus carries them). */
  statusesOf(sandboxId: string): ContainerStatus[] {
    return this.runtime.listContainers(sandboxId).map(containerStatusOf);
  }

  async execSync(req: ExecSyncRequest): Promise<ExecSyncResponse> {
    if (req.timeout < 0) throw invalidField('timeout', `Invalid value: ${req.timeout}: must be 0 or more seconds`);
    const out = await this.runtime.execSync(required(req.container_id), req.cmd, req.timeout, EXEC_SYNC_MAX_BYTES);
    if (out.timedOut) throw new CriError(status.DEADLINE_EXCEEDED, `command ${JSON.stringify(req.cmd)} timed out after ${req.timeout}s`);
    return { stdout: out.stdout, stderr: out.stderr, exit_code: out.exitCode };
  }
}
