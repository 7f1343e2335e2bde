// A CRI ContainerConfig as podrun's runtime takes it (runtime/container-config.ts): every field
// read, each one podrun cannot honour refused with its name (InvalidArgument), none defaulted
// silently. What the kubelet already did (env sources, $(VAR)) is not done again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import type { ImageRecord } from '../image/types';
import { deviceNode, hostStat } from '../plan/devices';
import type { RuntimeContainerConfig, RuntimeMount } from '../runtime/container-config';
import type { EffectiveProfile } from '../seccomp/effective';
import type { ContainerConfig, LinuxContainerSecurityContext } from './container-messages';
import type { SecurityProfile } from './sandbox-messages';
import { invalidField } from './status';

export interface ContainerContext {
  image: ImageRecord;
  /** The sandbox's log_directory ('' for none). */
  logDirectory: string;
  /** The sandbox shares one PID namespace among its containers (its namespace_options.pid POD). */
  sandboxSharesPid: boolean;
  /** The container name a TARGET PID namespace joins, from its container id. */
  targetName(containerId: string): string;
}

/** A CRI SecurityProfile (or the deprecated path form) as podrun's seccomp code reads it; absent: RuntimeDefault, or Unconfined when privileged. */
export function seccompOf(sp: SecurityProfile | null | undefined, legacy: string, privileged: boolean, field: string): EffectiveProfile {
  if (sp) {
    if (sp.profile_type === 'Localhost') {
      if (!path.isAbsolute(sp.localhost_ref)) throw invalidField(`${field}.seccomp.localhost_ref`, `Invalid value: "${sp.localhost_ref}": must be an absolute path`);
      return { type: 'Localhost', localhostProfile: sp.localhost_ref, file: sp.localhost_ref };
    }
    return { type: sp.profile_type };
  }
  if (legacy === 'unconfined') return { type: 'Unconfined' };
  if (legacy === 'runtime/default' || legacy === 'docker/default') return { type: 'RuntimeDefault' };
  if (legacy.startsWith('localhost/')) return { type: 'Localhost', localhostProfile: legacy.slice(10), file: legacy.slice(10) };
  if (legacy) throw invalidField(`${field}.seccomp_profile_path`, `Unsupported value: "${legacy}"`);
  return privileged ? { type: 'Unconfined' } : { type: 'RuntimeDefault' };
}

function mounts(config: ContainerConfig): RuntimeMount[] {
  return config.mounts.map((m, i) => {
    const f = `config.mounts[${i}]`;
    if (!path.isAbsolute(m.container_path)) throw invalidField(`${f}.container_path`, `Invalid value: "${m.container_path}": must be an absolute path`);
    if (m.image?.image) throw invalidField(`${f}.image`, 'image volumes are not supported over CRI by podrun yet');
    if (!path.isAbsolute(m.host_path)) throw invalidField(`${f}.host_path`, `Invalid value: "${m.host_path}": must be an absolute path`);
    if (m.propagation !== 'PROPAGATION_PRIVATE') throw invalidField(`${f}.propagation`, `Unsupported value: "${m.propagation}": podrun binds volumes private`);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(m.host_path);
    } catch {
      // As containerd (and docker before it): a missing host path is made, as a folder.
      try {
        fs.mkdirSync(m.host_path, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw invalidField(`${f}.host_path`, `"${m.host_path}" does not exist and cannot be made: ${(e as Error).message}`);
      }
    }
    return { containerPath: m.container_path, hostPath: m.host_path, readonly: m.readonly, ...(st && !st.isDirectory() ? { file: true } : {}) };
  });
}

function security(sc: LinuxContainerSecurityContext | null | undefined): RuntimeContainerConfig['security'] {
  const field = 'config.linux.security_context';
  const privileged = !!sc?.privileged;
  if (sc?.capabilities?.add_ambient_capabilities.length) throw invalidField(`${field}.capabilities.add_ambient_capabilities`, 'ambient capabilities are not supported by podrun');
  const strip = (names: string[]) => names.map((n) => (n.toUpperCase().startsWith('CAP_') ? n.slice(4) : n).toUpperCase());
  return {
    runAsUser: sc?.run_as_user ? sc.run_as_user.value : undefined,
    runAsGroup: sc?.run_as_group ? sc.run_as_group.value : undefined,
    runAsUsername: sc?.run_as_username || undefined,
    supplementalGroups: sc?.supplemental_groups ?? [],
    imageGroups: (sc?.supplemental_groups_policy ?? 'Merge') !== 'Strict',
    privileged,
    readonlyRootfs: !!sc?.readonly_rootfs,
    capabilities: { add: strip(sc?.capabilities?.add_capabilities ?? []), drop: strip(sc?.capabilities?.drop_capabilities ?? []) },
    noNewPrivs: !!sc?.no_new_privs,
    unmaskedProc: false,
    // Empty lists are the runtime's defaults: proto3 cannot tell them from absent ones.
    ...(sc?.masked_paths.length ? { maskedPaths: sc.masked_paths } : {}),
    ...(sc?.readonly_paths.length ? { readonlyPaths: sc.readonly_paths } : {}),
    seccomp: seccompOf(sc?.seccomp, sc?.seccomp_profile_path ?? '', privileged, field),
  };
}

export function runtimeContainerConfig(config: ContainerConfig, x: ContainerContext): RuntimeContainerConfig {
  const name = config.metadata?.name ?? '';
  if (!name) throw invalidField('config.metadata.name', 'Required value');
  if (!/^[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,62})?$/.test(name)) throw invalidField('config.metadata.name', `Invalid value: "${name}": letters, digits, '-', '_' and '.', at most 63`);
  const sc = config.linux?.security_context;
  const ns = sc?.namespace_options;
  let sharePid = x.sandboxSharesPid;
  let targetContainer: string | undefined;
  if (ns) {
    if (ns.pid === 'NODE') throw invalidField('config.linux.security_context.namespace_options.pid', 'NODE is not supported by podrun: the pod shim is PID 1 of the sandbox');
    sharePid = ns.pid === 'POD';
    if (ns.pid === 'TARGET') {
      targetContainer = x.targetName(ns.target_id);
      sharePid = true;
    }
  }
  const devices = config.devices.map((d, i) => {
    const access = d.permissions || 'rwm';
    if (!/^(?!.*(.).*\1)[rwm]+$/.test(access)) throw invalidField(`config.devices[${i}].permissions`, `Invalid value: "${access}": some of r, w and m`);
    if (!path.isAbsolute(d.container_path)) throw invalidField(`config.devices[${i}].container_path`, `Invalid value: "${d.container_path}": must be an absolute path`);
    try {
      return deviceNode(d.host_path, d.container_path, access, !access.includes('w'), hostStat, `config.devices[${i}].host_path`);
    } catch (e) {
      throw e instanceof ValidationError ? invalidField(`config.devices[${i}].host_path`, `Invalid value: "${d.host_path}": not a device on this host`) : e;
    }
  });
  return {
    name,
    attempt: config.metadata?.attempt ?? 0,
    field: 'config',
    image: x.image,
    command: config.command,
    args: config.args,
    workingDir: config.working_dir,
    envs: config.envs,
    mounts: mounts(config),
    devices,
    stdin: config.stdin,
    tty: config.tty,
    security: security(sc),
    sharePid,
    ...(targetContainer ? { targetContainer } : {}),
    // The kubelet's file under the sandbox's log folder; without both, the pod folder's own.
    ...(config.log_path && x.logDirectory ? { logPath: path.join(x.logDirectory, config.log_path) } : {}),
  };
}
