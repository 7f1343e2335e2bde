// CRI's container messages (runtime-v1.proto) as @grpc/proto-loader decodes and encodes them
// (see sandbox-messages.ts for the conventions).
import type { ImageSpec } from './messages';
import type { NamespaceOption, PodSandboxConfig, SecurityProfile } from './sandbox-messages';

export interface Mount {
  container_path: string;
  host_path: string;
  readonly: boolean;
  selinux_relabel: boolean;
  propagation: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
  recursive_read_only?: boolean;
  image?: Partial<ImageSpec> | null;
  image_sub_path?: string;
}

export interface LinuxContainerSecurityContext {
  capabilities?: { add_capabilities: string[]; drop_capabilities: string[]; add_ambient_capabilities: string[] } | null;
  privileged: boolean;
  namespace_options?: NamespaceOption | null;
  run_as_user?: { value: number } | null;
  run_as_group?: { value: number } | null;
  run_as_username: string;
  readonly_rootfs: boolean;
  supplemental_groups: number[];
  supplemental_groups_policy: 'Merge' | 'Strict';
  no_new_privs: boolean;
  masked_paths: string[];
  readonly_paths: string[];
  seccomp?: SecurityProfile | null;
  seccomp_profile_path: string;
}

/** Absent fields are 0, '' or empty, as proto3 decodes them (hugepage limits are read and not honoured). */
export interface LinuxContainerResources {
  cpu_period: number;
  cpu_quota: number;
  cpu_shares: number;
  memory_limit_in_bytes: number;
  oom_score_adj: number;
  cpuset_cpus: string;
  cpuset_mems: string;
  hugepage_limits: { page_size: string; limit: number }[];
  unified: Record<string, string>;
  memory_swap_limit_in_bytes: number;
}

export interface ContainerConfig {
  metadata?: { name: string; attempt: number } | null;
  image?: Partial<ImageSpec> | null;
  command: string[];
  args: string[];
  working_dir: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  devices: { container_path: string; host_path: string; permissions: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
  stdin: boolean;
  stdin_once: boolean;
  tty: boolean;
  linux?: { resources?: LinuxContainerResources | null; security_context?: LinuxContainerSecurityContext | null } | null;
}

export interface CreateContainerRequest {
  pod_sandbox_id: string;
  config?: ContainerConfig | null;
  sandbox_config?: PodSandboxConfig | null;
}

export interface ContainerIdRequest {
  container_id: string;
}

export interface StopContainerRequest extends ContainerIdRequest {
  timeout: number;
}

export type ContainerStateName = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface ListContainersRequest {
  filter?: { id: string; state?: { state: ContainerStateName } | null; pod_sandbox_id: string; label_selector: Record<string, string> } | null;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number };
  image: { image: string };
  image_ref: string;
  state: ContainerStateName;
  created_at: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  image_id: string;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerStateName;
  created_at: number;
  started_at: number;
  finished_at: number;
  exit_code: number;
  image: { image: string };
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: { container_path: string; host_path: string; readonly: boolean; propagation: Mount['propagation'] }[];
  log_path: string;
  image_id: string;
  user: { linux: { uid: number; gid: number; supplemental_groups: number[] } };
}

export interface ContainerStatusRequest extends ContainerIdRequest {
  verbose: boolean;
}

export interface ExecSyncRequest extends ContainerIdRequest {
  cmd: string[];
  timeout: number;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

export interface UpdateContainerResourcesRequest extends ContainerIdRequest {
  linux?: LinuxContainerResources | null;
}

export interface UInt64Value {
  value: number;
}

export interface ContainerAttributes {
  id: string;
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CpuUsage {
  timestamp: number;
  usage_core_nano_seconds?: UInt64Value;
}

export interface MemoryUsage {
  timestamp: number;
  working_set_bytes?: UInt64Value;
}

export interface ContainerStats {
  attributes: ContainerAttributes;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  writable_layer?: { timestamp: number; fs_id: { mountpoint: string }; used_bytes: UInt64Value; inodes_used: UInt64Value };
}

export interface ListContainerStatsRequest {
  filter?: { id: string; pod_sandbox_id: string; label_selector: Record<string, string> } | null;
}
