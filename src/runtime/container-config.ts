// What a runtime is asked to make of one container: CRI's ContainerConfig, in podrun's types.
// The kubelet side (plan/container.ts for podrun's own pods, cri/container-config.ts for a
// kubelet's) says this; the runtime side (runtime/container-plan.ts) turns it, the sandbox and
// the image into the shim's plan. Whatever needs a Pod object (env sources, volumes by name,
// $(VAR) expansion, runAsNonRoot against the image) is settled before a config exists.
import type { ImageRecord } from '../image/types';
import type { EffectiveProfile } from '../seccomp/effective';
import type { DeviceNode } from '../plan/devices';
import type { CgroupValues } from '../cgroups/values';
import type { PlanCgroup } from './container-plan';

/** A host path bound into the container (CRI's Mount). */
export interface RuntimeMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /** A path under hostPath the shim resolves in the pod's view, refusing a way out (subPath). */
  subPath?: string;
  /** One file, bound alone (not recursive): /etc/hosts, the termination log. */
  file?: boolean;
  /**
   * How mounts under it travel. Private: bound from the pod's copy of the host's mounts. As root,
   * HOST_TO_CONTAINER (rslave) and BIDIRECTIONAL (rshared) are cloned from the host's mount
   * namespace when the container starts (the shim's host tree), so the host's later mounts under
   * the source reach the container, and with BIDIRECTIONAL the container's reach the host.
   * Rootless, HOST_TO_CONTAINER is the private bind (a pod's mounts are slaves of the host's).
   */
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
  /** hostPath is missing: made (a folder) by the runtime once the whole config is accepted, as containerd makes it. */
  createHostPath?: boolean;
}

export interface RuntimeSecurity {
  /** run_as_user / run_as_group; else run_as_username; else the image's USER. */
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  /** Refuse a uid 0 (or a user name, which cannot be checked): the kubelet's verifyRunAsNonRoot. */
  runAsNonRoot?: boolean;
  supplementalGroups: number[];
  /** Add the user's groups from the image's /etc/group (policy Merge, CRI's default). */
  imageGroups: boolean;
  privileged: boolean;
  readonlyRootfs: boolean;
  capabilities: { add: string[]; drop: string[] };
  noNewPrivs: boolean;
  /** /proc left unmasked (procMount Unmasked, honoured only in a user namespace). */
  unmaskedProc: boolean;
  /** Paths to hide and to make read-only instead of the defaults (a CRI request's own lists). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp: EffectiveProfile;
}

export interface RuntimeContainerConfig {
  name: string;
  attempt: number;
  /** Where errors point: `spec.containers[0]` for a pod, `config` over CRI. */
  field: string;
  image: ImageRecord;
  /** Expanded already; merged with the image's ENTRYPOINT and CMD by CRI's rules. */
  command: string[];
  args: string[];
  workingDir: string;
  /** Over the image's environment, in order (a later one of the same name wins). */
  envs: { key: string; value: string }[];
  mounts: RuntimeMount[];
  /** Device nodes beyond the defaults; privileged gets the host's every node. */
  devices: DeviceNode[];
  stdin: boolean;
  tty: boolean;
  security: RuntimeSecurity;
  /** false: a PID namespace of its own; true: the pod's (or the target's). */
  sharePid: boolean;
  /** Joins this container's PID namespace (an ephemeral container's target). */
  targetContainer?: string;
  /** The log file; the pod folder's own when absent. */
  logPath?: string;
  /** The container's cgroups, made by the caller; else made by the runtime with `resources`. */
  cgroup?: PlanCgroup;
  /** CRI's LinuxContainerResources, as podrun's cgroup values. */
  resources?: CgroupValues;
  /** -1000..1000; absent: the shim's own is inherited. */
  oomScoreAdj?: number;
}
