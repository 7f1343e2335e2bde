// The CRI messages podrun serves (runtime-v1.proto), as @grpc/proto-loader decodes and encodes
// them: field names as on the wire (snake_case), 64-bit integers as numbers, enums by name,
// absent messages undefined and absent scalars their zero value (`defaults: true`).

export interface VersionRequest {
  version: string;
}

export interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface StatusRequest {
  verbose: boolean;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeHandler {
  name: string;
  features: { recursive_read_only_mounts: boolean; user_namespaces: boolean };
}

export interface StatusResponse {
  status: { conditions: RuntimeCondition[] };
  info: Record<string, string>;
  runtime_handlers: RuntimeHandler[];
  features: { supplemental_groups_policy: boolean; user_namespaces_host_network: boolean; mount_options: boolean };
}

export interface RuntimeConfigResponse {
  linux: { cgroup_driver: 'SYSTEMD' | 'CGROUPFS' };
}

export interface ImageSpec {
  image: string;
  annotations: Record<string, string>;
  user_specified_image: string;
  runtime_handler: string;
  image_ref: string;
}

export interface Image {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: number;
  uid?: { value: number };
  username: string;
  spec?: Partial<ImageSpec>;
  pinned: boolean;
}

export interface ListImagesRequest {
  filter?: { image?: ImageSpec };
}

export interface ListImagesResponse {
  images: Image[];
}

export interface ImageStatusRequest {
  image?: ImageSpec;
  verbose: boolean;
}

export interface ImageStatusResponse {
  image?: Image;
  info: Record<string, string>;
}

export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  server_address: string;
  identity_token: string;
  registry_token: string;
}

export interface PullImageRequest {
  image?: ImageSpec;
  auth?: AuthConfig;
}

export interface PullImageResponse {
  image_ref: string;
}

export interface RemoveImageRequest {
  image?: ImageSpec;
}

export interface FilesystemUsage {
  timestamp: number;
  fs_id: { mountpoint: string };
  used_bytes: { value: number };
  inodes_used: { value: number };
}

export interface ImageFsInfoResponse {
  image_filesystems: FilesystemUsage[];
  container_filesystems: FilesystemUsage[];
}

export type Empty = Record<string, never>;
