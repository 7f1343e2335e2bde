// A container of a pod as the kubelet asks its runtime for it (containerConfig, its
// generateContainerConfig), and the plan the runtime makes of that (runtime/container-plan.ts).
// Everything Kubernetes decides (env sources, $(VAR), security contexts merged, volumes and
// devices as host paths) is settled here, in TypeScript; unit tests assert on the plan without privileges.
import * as os from 'node:os';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { oomScoreAdj } from '../kubelet/qos';
import type { ImageRecord } from '../image/types';
import type { RuntimeContainerConfig, RuntimeMount } from '../runtime/container-config';
import { containerPlan, type ContainerPlan, type LogLimits, type PlanCgroup, type RootfsDriver } from '../runtime/container-plan';
import type { IdMapPlan } from '../runtime/idmap';
import { effectiveProfile } from '../seccomp/effective';
import type { PodPaths } from '../state/paths';
import type { PreparedVolume } from '../volume/volumes';
import { expandArgv } from './command';
import { containerDevices } from './devices';
import { buildEnv, expand, type EnvSources } from './env';
import { ownUserns, podVolumeSource } from './userns-paths';

export interface ContainerPlanInput {
  pod: Pod;
  container: Container & { targetContainerName?: string };
  /** `spec.containers[0]`, `spec.initContainers[1]`: where errors point. */
  field: string;
  attempt: number;
  image: ImageRecord;
  volumes: Map<string, PreparedVolume>;
  paths: PodPaths;
  idmap: IdMapPlan | null;
  envSources: EnvSources;
  /** `<data root>/seccomp`, where Localhost profiles are read; absent, they cannot be. */
  seccompDir?: string;
  /** Log rotation (the kubelet's containerLogMaxSize and containerLogMaxFiles). */
  logs: LogLimits;
  /** Layered images: overlayfs over the layers (the default), else fuse-overlayfs, else a copy of them. */
  rootfsDriver?: RootfsDriver;
  /** The container's cgroups, made by the caller; none when omitted. */
  cgroup?: PlanCgroup;
}

export function buildContainerPlan(i: ContainerPlanInput): ContainerPlan {
  return containerPlan(containerConfig(i), {
    paths: i.paths,
    idmap: i.idmap,
    hostname: kernelHostname(i.pod),
    rootfsDriver: i.rootfsDriver,
    seccompDir: i.seccompDir,
    logs: i.logs,
  });
}

/**
 * The kubelet's half (its generateContainerConfig): a container of a pod as the runtime is asked
 * for it. The pod's and the container's security contexts merged, env resolved from its
 * sources, $(VAR) expanded, volumes and devices turned into host paths.
 */
export function containerConfig(i: ContainerPlanInput): RuntimeContainerConfig {
  const { pod, container: c, paths, field } = i;
  const spec = pod.spec!;
  const psc = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const env = buildEnv(c.env ?? [], i.image.config.env ?? [], i.envSources, c.envFrom ?? []);
  const argv = expandArgv({ command: c.command, args: c.args }, env);
  const devices = containerDevices(pod, c, field);
  const envMap = new Map(env.map((e) => [e.name, e.value]));
  const mounts: RuntimeMount[] = [];
  (c.volumeMounts ?? []).forEach((m, k) => {
    if (devices.mounted.has(k)) return; // a device: bound with the /dev op's nodes
    const v = i.volumes.get(m.name);
    if (!v) throw new PodrunError('Invalid', `${field}.volumeMounts: volume "${m.name}" not found`);
    // subPathExpr expands from the container's environment, like command and args.
    const sub = m.subPathExpr ? expand(m.subPathExpr, (n) => envMap.get(n)) : m.subPath;
    if (sub && (sub.startsWith('/') || sub.split('/').includes('..'))) {
      throw new PodrunError('Invalid', `${field}.volumeMounts[${k}].subPathExpr: Invalid value: "${sub}": must be a relative path without '..'`);
    }
    // As root, HostToContainer and Bidirectional are the host's live tree (runtime/container-config.ts); in a user namespace, private (not-enforced.ts says so).
    const propagation = i.idmap ? undefined : m.mountPropagation === 'HostToContainer' ? 'PROPAGATION_HOST_TO_CONTAINER' : m.mountPropagation === 'Bidirectional' ? 'PROPAGATION_BIDIRECTIONAL' : undefined;
    mounts.push({ containerPath: m.mountPath, hostPath: ownUserns(i.idmap) ? podVolumeSource(paths, v) : v.source, subPath: sub || undefined, readonly: !!m.readOnly || v.forceReadOnly, ...(propagation ? { propagation } : {}) });
  });
  // The termination message file, writable whatever the container's uid (made 0666 by the engine).
  mounts.push({ containerPath: c.terminationMessagePath || '/dev/termination-log', hostPath: paths.terminationLog(c.name, i.attempt), readonly: false, file: true });
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  return {
    name: c.name,
    attempt: i.attempt,
    field,
    image: i.image,
    ...argv,
    workingDir: c.workingDir ?? '',
    envs: env.map((e) => ({ key: e.name, value: e.value })),
    mounts,
    devices: devices.nodes,
    stdin: !!c.stdin,
    tty: !!c.tty,
    security: {
      runAsUser,
      runAsGroup: sc.runAsGroup ?? psc.runAsGroup,
      runAsNonRoot: sc.runAsNonRoot ?? psc.runAsNonRoot,
      supplementalGroups: [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])],
      // supplementalGroupsPolicy Merge (the default) adds the image's /etc/group memberships of
      // the user; Strict only what the pod names.
      imageGroups: (psc as { supplementalGroupsPolicy?: string }).supplementalGroupsPolicy !== 'Strict',
      privileged: !!sc.privileged,
      readonlyRootfs: !!sc.readOnlyRootFilesystem,
      capabilities: { add: sc.capabilities?.add ?? [], drop: sc.capabilities?.drop ?? [] },
      noNewPrivs: sc.allowPrivilegeEscalation !== true,
      unmaskedProc: sc.procMount === 'Unmasked',
      seccomp: effectiveProfile(pod, c),
    },
    // hostPID: every container in the host's PID namespace, which the sandbox kept.
    sharePid: !!spec.shareProcessNamespace || !!spec.hostPID,
    oomScoreAdj: oomScoreAdj(pod, c, os.totalmem()),
    ...(c.targetContainerName ? { targetContainer: c.targetContainerName } : {}),
    cgroup: i.cgroup,
  };
}

export function hostnameOf(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata?.name || 'pod').slice(0, 63);
}

/** The longest hostname the kernel takes (HOST_NAME_MAX). */
const HOST_NAME_MAX = 64;

/**
 * The pod's kernel hostname (uname, /etc/hostname, $HOSTNAME): its hostname, or with
 * setHostnameAsFQDN and a subdomain the FQDN, as the kubelet's GeneratePodHostNameAndDomain.
 * Throws the kubelet's sandbox error when the FQDN is longer than the kernel allows.
 */
export function kernelHostname(pod: Pod, clusterDomain = 'cluster.local'): string {
  const host = hostnameOf(pod);
  const sub = pod.spec?.subdomain;
  if (!pod.spec?.setHostnameAsFQDN || !sub) return host;
  const fqdn = `${host}.${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}`;
  if (fqdn.length > HOST_NAME_MAX) {
    throw new PodrunError('Invalid', `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${HOST_NAME_MAX} characters is the max, ${fqdn.length} characters requested)`);
  }
  return fqdn;
}

/** Why the pod's sandbox cannot be made, whatever the retries, or undefined: the FQDN too long for the kernel. */
export function sandboxBlocker(pod: Pod): string | undefined {
  try {
    kernelHostname(pod);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
