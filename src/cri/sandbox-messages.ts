// CRI's sandbox messages (runtime-v1.proto) as @grpc/proto-loader decodes and encodes them:
// wire names, 64-bit integers as numbers, enums by name; an absent message is null or
// undefined, an absent scalar its zero value, an absent list or map empty.
import type { ContainerStatus } from './container-messages';

export type NamespaceModeName = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOption {
  network: NamespaceModeName;
  pid: NamespaceModeName;
  ipc: NamespaceModeName;
  target_id: string;
  userns_options?: { mode: NamespaceModeName; uids: unknown[]; gids: unknown[] } | null;
}

export interface SecurityProfile {
  profile_type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhost_ref: string;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  container_port: number;
  host_port: number;
  host_ip: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata | null;
  hostname: string;
  log_directory: string;
  dns_config?: { servers: string[]; searches: string[]; options: string[] } | null;
  port_mappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux?: {
    cgroup_parent: string;
    security_context?: {
      namespace_options?: NamespaceOption | null;
      run_as_user?: { value: number } | null;
      run_as_group?: { value: number } | null;
      readonly_rootfs: boolean;
      supplemental_groups: number[];
      privileged: boolean;
      seccomp?: SecurityProfile | null;
    } | null;
    sysctls: Record<string, string>;
  } | null;
}

export interface RunPodSandboxRequest {
  config?: PodSandboxConfig | null;
  runtime_handler: string;
}

export interface PodSandboxIdRequest {
  pod_sandbox_id: string;
}

export interface PodSandboxStatusRequest extends PodSandboxIdRequest {
  verbose: boolean;
}

export type PodSandboxStateName = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxStateName;
  created_at: number;
  network: { ip: string; additional_ips: { ip: string }[] };
  linux: { namespaces: { options: Partial<NamespaceOption> } };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus;
  info: Record<string, string>;
  containers_statuses: ContainerStatus[];
  timestamp: number;
}

export interface ListPodSandboxRequest {
  filter?: { id: string; state?: { state: PodSandboxStateName } | null; label_selector: Record<string, string> } | null;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxStateName;
  created_at: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface ListPodSandboxResponse {
  items: PodSandbox[];
}
