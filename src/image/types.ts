// The shapes the image store hands out. They follow the OCI image config's `config` object
// (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal) in camelCase, so an OCI import maps 1:1.

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=VALUE` entries, in order. */
  env?: string[];
  workingDir?: string;
  user?: string;
  stopSignal?: string;
  /** `80/tcp`-style keys of the image's ExposedPorts, sorted. */
  exposedPorts?: string[];
}

export interface ImageRecord {
  name: string;
  tag: string;
  /** `sha256:` + hex digest of the config and the rootfs listing (paths, types, modes, owners, content digests). */
  id: string;
  /** Absolute path of the root filesystem directory; `''` for the built-in `host` image and layered images. */
  rootfs: string;
  /** A layered image (OCI or docker archive): its unpacked layers, bottom first (overlay lower dirs). */
  layers?: string[];
  config: ImageConfig;
  /** RFC 3339 time of the first import of this content. */
  created: string;
  /** Bytes of file and symlink content, each hard-linked inode counted once. */
  size: number;
  /** Set on images that podrun provides itself and that cannot be removed. */
  builtin?: boolean;
}
