// Rules for one container of a pod, after validateContainerCommon and its neighbours in
// k8s.io/kubernetes/pkg/apis/core/validation. Messages and field paths are the API server's.

import type { FileKeySelector } from './newer-fields';
import type {
  Container,
  ContainerPort,
  EnvFromSource,
  EnvVar,
  EphemeralContainer,
  HTTPGetAction,
  Lifecycle,
  LifecycleHandler,
  Probe,
  ResourceRequirements,
  SecurityContext,
  Volume,
  VolumeDevice,
  VolumeMount,
} from 'kubernetes-types/core/v1';
import {
  child,
  duplicate,
  forbidden,
  index,
  inclusiveRange,
  invalid,
  key,
  notFound,
  NON_NEGATIVE,
  required,
  unsupported,
  type ErrorList,
} from './field-errors';
import { configMapKey, dns1123Label, dns1123Subdomain, envVarName, httpHeaderName, portName, portNumber, qualifiedName } from './names';
import { parseQuantity } from './quantity';
import { LIFECYCLE_HANDLERS, PROBE_HANDLERS } from './schema';

/** What a container's rules need to know about the pod around it. */
export interface PodContext {
  /** Volumes that passed validation, by name: mounts may only refer to these. */
  readonly volumes: ReadonlyMap<string, Volume>;
  /** The pod's grace period, which bounds a preStop `sleep`. */
  readonly gracePeriodSeconds: number;
}

export type ContainerRole = 'app' | 'init' | 'ephemeral';

const MAX_ID = 2147483647;

/** The checks every kind of container shares (validateContainerCommon). The name is checked by the caller. */
export function validateContainerCommon(
  c: Container | EphemeralContainer,
  path: string,
  ctx: PodContext,
  errs: ErrorList,
): void {
  if (!c.image) errs.push(required(child(path, 'image')));
  else if (c.image !== c.image.trim()) errs.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  if (c.terminationMessagePolicy !== undefined && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)) {
    errs.push(unsupported(child(path, 'terminationMessagePolicy'), c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
  }
  validateNoNul(c, path, errs);
  validatePorts(c.ports ?? [], child(path, 'ports'), errs);
  validateEnv(c.env ?? [], child(path, 'env'), errs);
  validateEnvFrom(c.envFrom ?? [], child(path, 'envFrom'), errs);
  validateVolumeMounts(c, child(path, 'volumeMounts'), ctx, errs);
  validateVolumeDevices(c, child(path, 'volumeDevices'), ctx, errs);
  validatePullPolicy(c.imagePullPolicy, child(path, 'imagePullPolicy'), errs);
  if (c.resources) validateResources(c.resources, child(path, 'resources'), errs);
  validateResizePolicy(c, child(path, 'resizePolicy'), errs);
  if (c.securityContext) validateSecurityContext(c.securityContext, child(path, 'securityContext'), errs);
}

/**
 * podrun's own rule (the API server has none): execve takes C strings, so a NUL byte in the
 * command, its arguments or an env value could never reach the process; refused here rather
 * than found at start.
 */
function validateNoNul(c: Container | EphemeralContainer, path: string, errs: ErrorList): void {
  for (const f of ['command', 'args'] as const) {
    (c[f] ?? []).forEach((s, i) => {
      if (typeof s === 'string' && s.includes('\0')) errs.push(invalid(index(child(path, f), i), s, 'must not contain a NUL byte'));
    });
  }
  (c.env ?? []).forEach((e, i) => {
    if (typeof e.value === 'string' && e.value.includes('\0')) errs.push(invalid(child(index(child(path, 'env'), i), 'value'), e.value, 'must not contain a NUL byte'));
  });
}

export function validateContainerName(name: string | undefined, path: string, errs: ErrorList): void {
  if (!name) errs.push(required(path));
  else for (const msg of dns1123Label(name)) errs.push(invalid(path, name, msg));
}

export function validatePullPolicy(policy: string | undefined, path: string, errs: ErrorList): void {
  if (policy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(policy)) {
    errs.push(unsupported(path, policy, ['Always', 'IfNotPresent', 'Never']));
  }
}

// ---- ports

function validatePorts(ports: ContainerPort[], path: string, errs: ErrorList): void {
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      const msgs = portName(port.name);
      for (const msg of msgs) errs.push(invalid(child(p, 'name'), port.name, msg));
      if (msgs.length === 0) {
        if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
        names.add(port.name);
      }
    }
    if (!port.containerPort) errs.push(required(child(p, 'containerPort')));
    else for (const msg of portNumber(port.containerPort)) errs.push(invalid(child(p, 'containerPort'), port.containerPort, msg));
    if (port.hostPort) for (const msg of portNumber(port.hostPort)) errs.push(invalid(child(p, 'hostPort'), port.hostPort, msg));
    if (port.protocol !== undefined && !['SCTP', 'TCP', 'UDP'].includes(port.protocol)) {
      errs.push(unsupported(child(p, 'protocol'), port.protocol, ['SCTP', 'TCP', 'UDP']));
    }
  });
}

// ---- environment

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

function validateEnv(env: EnvVar[], path: string, errs: ErrorList): void {
  env.forEach((ev, i) => {
    const p = index(path, i);
    if (!ev.name) errs.push(required(child(p, 'name')));
    else for (const msg of envVarName(ev.name)) errs.push(invalid(child(p, 'name'), ev.name, msg));
    if (ev.valueFrom) validateEnvVarSource(ev, child(p, 'valueFrom'), errs);
  });
}

function validateEnvVarSource(ev: EnvVar, path: string, errs: ErrorList): void {
  const from = ev.valueFrom ?? {};
  let sources = 0;
  if (from.fieldRef) {
    sources++;
    validateFieldSelector(from.fieldRef.fieldPath, ENV_FIELD_PATHS, child(child(path, 'fieldRef'), 'fieldPath'), errs);
  }
  if (from.resourceFieldRef) {
    sources++;
    validateResourceFieldSelector(from.resourceFieldRef, child(path, 'resourceFieldRef'), false, errs);
  }
  if (from.configMapKeyRef) {
    sources++;
    validateKeySelector(from.configMapKeyRef, child(path, 'configMapKeyRef'), errs);
  }
  if (from.secretKeyRef) {
    sources++;
    validateKeySelector(from.secretKeyRef, child(path, 'secretKeyRef'), errs);
  }
  const fileRef = (from as { fileKeyRef?: FileKeySelector }).fileKeyRef;
  if (fileRef) {
    sources++;
    const fp = child(path, 'fileKeyRef');
    if (!fileRef.volumeName) errs.push(required(child(fp, 'volumeName')));
    if (!fileRef.path) errs.push(required(child(fp, 'path')));
    else if (fileRef.path.startsWith('/') || fileRef.path.split('/').includes('..')) errs.push(invalid(child(fp, 'path'), fileRef.path, "must be a relative path without '..'"));
    if (!fileRef.key) errs.push(required(child(fp, 'key')));
    else for (const msg of envVarName(fileRef.key)) errs.push(invalid(child(fp, 'key'), fileRef.key, msg));
  }
  if (sources === 0) {
    errs.push(invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`'));
  } else if (ev.value) {
    errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  } else if (sources > 1) {
    errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  }
}

function validateKeySelector(sel: { name?: string; key: string }, path: string, errs: ErrorList): void {
  if (!sel.name) errs.push(required(child(path, 'name')));
  else for (const msg of dns1123Subdomain(sel.name)) errs.push(invalid(child(path, 'name'), sel.name, msg));
  if (!sel.key) errs.push(required(child(path, 'key')));
  else for (const msg of configMapKey(sel.key)) errs.push(invalid(child(path, 'key'), sel.key, msg));
}

/** `metadata.labels['app']` and `metadata.annotations['x']` name one entry. */
const SUBSCRIPTED = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

/** A downward API field path, for env (`allowed` = ENV_FIELD_PATHS) or volume files (VOLUME_FIELD_PATHS). */
export function validateFieldSelector(fieldPath: string, allowed: readonly string[], path: string, errs: ErrorList): void {
  if (!fieldPath) {
    errs.push(required(path));
    return;
  }
  const m = SUBSCRIPTED.exec(fieldPath);
  if (m) {
    const [, base, subscript] = m;
    const msgs = base === 'metadata.annotations' ? qualifiedName(subscript.toLowerCase()) : qualifiedName(subscript);
    for (const msg of msgs) errs.push(invalid(path, subscript, msg));
  } else if (!allowed.includes(fieldPath)) {
    errs.push(unsupported(path, fieldPath, [...allowed].sort()));
  }
}

export function validateResourceFieldSelector(
  sel: { containerName?: string; resource: string },
  path: string,
  inVolume: boolean,
  errs: ErrorList,
): void {
  if (inVolume && !sel.containerName) errs.push(required(child(path, 'containerName')));
  else if (!sel.resource) errs.push(required(child(path, 'resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(sel.resource) && !/^(limits|requests)\.hugepages-/.test(sel.resource)) {
    errs.push(unsupported(child(path, 'resource'), sel.resource, RESOURCE_FIELD_PATHS));
  }
}

function validateEnvFrom(envFrom: EnvFromSource[], path: string, errs: ErrorList): void {
  envFrom.forEach((ef, i) => {
    const p = index(path, i);
    if (ef.prefix) for (const msg of envVarName(ef.prefix)) errs.push(invalid(child(p, 'prefix'), ef.prefix, msg));
    let sources = 0;
    for (const which of ['configMapRef', 'secretRef'] as const) {
      const ref = ef[which];
      if (!ref) continue;
      sources++;
      const namePath = child(child(p, which), 'name');
      if (!ref.name) errs.push(required(namePath));
      else for (const msg of dns1123Subdomain(ref.name)) errs.push(invalid(namePath, ref.name, msg));
    }
    if (sources === 0) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(p, '', 'may not have more than one field specified at a time'));
  });
}

// ---- volume mounts and devices

/** `subPath`, item paths: relative and never climbing out of the volume. */
export function validateLocalDescendingPath(value: string, path: string, errs: ErrorList): void {
  if (value.startsWith('/')) errs.push(invalid(path, value, 'must be a relative path'));
  validatePathNoBacksteps(value, path, errs);
}

export function validatePathNoBacksteps(value: string, path: string, errs: ErrorList): void {
  if (value.split('/').includes('..')) errs.push(invalid(path, value, "must not contain '..'"));
}

function validateVolumeMounts(c: Container | EphemeralContainer, path: string, ctx: PodContext, errs: ErrorList): void {
  const mountPaths = new Set<string>();
  const deviceNames = new Set((c.volumeDevices ?? []).map((d) => d.name));
  const devicePaths = new Set((c.volumeDevices ?? []).map((d) => d.devicePath));
  const privileged = c.securityContext?.privileged === true;
  (c.volumeMounts ?? []).forEach((m: VolumeMount, i) => {
    const p = index(path, i);
    if (!m.name) errs.push(required(child(p, 'name')));
    else if (!ctx.volumes.has(m.name)) errs.push(notFound(child(p, 'name'), m.name));
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    else if (mountPaths.has(m.mountPath)) errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.name && deviceNames.has(m.name)) errs.push(invalid(child(p, 'name'), m.name, 'must not already exist in volumeDevices'));
    if (m.mountPath && devicePaths.has(m.mountPath)) {
      errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must not already exist as a path in volumeDevices'));
    }
    if (m.subPath) validateLocalDescendingPath(m.subPath, child(p, 'subPath'), errs);
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      validateLocalDescendingPath(m.subPathExpr, child(p, 'subPathExpr'), errs);
    }
    if (m.mountPropagation !== undefined) {
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(m.mountPropagation)) errs.push(unsupported(child(p, 'mountPropagation'), m.mountPropagation, supported));
      else if (m.mountPropagation === 'Bidirectional' && !privileged) {
        errs.push(forbidden(child(p, 'mountPropagation'), 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    if (m.recursiveReadOnly !== undefined) {
      const rro = child(p, 'recursiveReadOnly');
      if (!['Disabled', 'IfPossible', 'Enabled'].includes(m.recursiveReadOnly)) {
        errs.push(unsupported(rro, m.recursiveReadOnly, ['Disabled', 'IfPossible', 'Enabled']));
      } else if (m.recursiveReadOnly !== 'Disabled') {
        if (!m.readOnly) errs.push(forbidden(rro, 'may only be specified when readOnly is true'));
        if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') {
          errs.push(forbidden(rro, 'may only be specified when mountPropagation is None or not specified'));
        }
      }
    }
  });
}

function validateVolumeDevices(c: Container | EphemeralContainer, path: string, ctx: PodContext, errs: ErrorList): void {
  const names = new Set<string>();
  const paths = new Set<string>();
  const mountNames = new Set((c.volumeMounts ?? []).map((m) => m.name));
  const mountPaths = new Set((c.volumeMounts ?? []).map((m) => m.mountPath));
  (c.volumeDevices ?? []).forEach((d: VolumeDevice, i) => {
    const p = index(path, i);
    const vol = d.name ? ctx.volumes.get(d.name) : undefined;
    if (!d.name) errs.push(required(child(p, 'name')));
    else if (names.has(d.name)) errs.push(invalid(child(p, 'name'), d.name, 'must be unique'));
    if (d.name && !vol) errs.push(notFound(child(p, 'name'), d.name));
    // A raw block device can only come from a claim: nothing else provides one.
    if (vol && !vol.persistentVolumeClaim && !vol.ephemeral) {
      errs.push(invalid(child(p, 'name'), d.name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (!d.devicePath) errs.push(required(child(p, 'devicePath')));
    else if (paths.has(d.devicePath)) errs.push(invalid(child(p, 'devicePath'), d.devicePath, 'must be unique'));
    else if (d.devicePath.split('/').includes('..')) errs.push(invalid(child(p, 'devicePath'), d.devicePath, "can not contain backsteps ('..')"));
    paths.add(d.devicePath);
    if (d.name && mountNames.has(d.name)) errs.push(invalid(child(p, 'name'), d.name, 'must not already exist in volumeMounts'));
    if (d.devicePath && mountPaths.has(d.devicePath)) {
      errs.push(invalid(child(p, 'devicePath'), d.devicePath, 'must not already exist as a path in volumeMounts'));
    }
    if (d.name) names.add(d.name);
  });
}

// ---- resources

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

/** Native resources (no domain, or a kubernetes.io domain) may be overcommitted, hugepages excepted. */
function overcommitAllowed(name: string): boolean {
  const native = !name.includes('/') || /(^|\.)kubernetes\.io\//.test(name);
  return native && !name.startsWith('hugepages-');
}

export function validateResources(r: ResourceRequirements, path: string, errs: ErrorList): void {
  const limitsPath = child(path, 'limits');
  const requestsPath = child(path, 'requests');
  const limits = r.limits ?? {};
  for (const [name, q] of Object.entries(limits)) {
    validateResourceName(name, key(limitsPath, name), errs);
    validateNonNegativeQuantity(q, key(limitsPath, name), errs);
  }
  for (const [name, q] of Object.entries(r.requests ?? {})) {
    validateResourceName(name, key(requestsPath, name), errs);
    validateNonNegativeQuantity(q, key(requestsPath, name), errs);
    const limit = Object.hasOwn(limits, name) ? limits[name] : undefined;
    if (limit !== undefined) {
      const req = parseQuantity(q);
      const lim = parseQuantity(limit);
      if (req !== lim && !overcommitAllowed(name)) {
        errs.push(invalid(requestsPath, String(q), `must be equal to ${name} limit of ${String(limit)}`));
      } else if (req > lim) {
        errs.push(invalid(requestsPath, String(q), `must be less than or equal to ${name} limit of ${String(limit)}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limitsPath, 'Limit must be set for non overcommitable resources'));
    }
  }
}

/** Resource names in limits, requests and pod overhead. */
export function validateResourceName(name: string, path: string, errs: ErrorList): void {
  for (const msg of qualifiedName(name)) errs.push(invalid(path, name, msg));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !name.startsWith('hugepages-')) {
      errs.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    }
  } else if (!overcommitAllowed(name) && name.startsWith('requests.')) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
}

export function validateNonNegativeQuantity(q: string | number, path: string, errs: ErrorList): void {
  if (parseQuantity(q) < 0) errs.push(invalid(path, String(q), NON_NEGATIVE));
}

function validateResizePolicy(c: Container | EphemeralContainer, path: string, errs: ErrorList): void {
  const seen = new Set<string>();
  (c.resizePolicy ?? []).forEach((rp, i) => {
    const p = index(path, i);
    if (seen.has(rp.resourceName)) errs.push(duplicate(p, rp.resourceName));
    seen.add(rp.resourceName);
    if (!rp.resourceName) errs.push(required(child(p, 'resourceName')));
    else if (!['cpu', 'memory'].includes(rp.resourceName)) errs.push(unsupported(child(p, 'resourceName'), rp.resourceName, ['cpu', 'memory']));
    if (!rp.restartPolicy) errs.push(required(child(p, 'restartPolicy')));
    else if (!['NotRequired', 'RestartContainer'].includes(rp.restartPolicy)) {
      errs.push(unsupported(child(p, 'restartPolicy'), rp.restartPolicy, ['NotRequired', 'RestartContainer']));
    }
  });
}

// ---- security context

export function validateId(value: number | undefined, path: string, errs: ErrorList): void {
  if (value !== undefined && (value < 0 || value > MAX_ID)) errs.push(invalid(path, value, inclusiveRange(0, MAX_ID)));
}

/** seccompProfile and appArmorProfile share one shape and one set of rules. */
export function validateProfile(
  prof: { type: string; localhostProfile?: string } | undefined,
  what: 'seccomp' | 'AppArmor',
  path: string,
  errs: ErrorList,
): void {
  if (!prof) return;
  const lp = child(path, 'localhostProfile');
  switch (prof.type) {
    case 'Localhost':
      if (prof.localhostProfile === undefined) errs.push(required(lp, `must be set when ${what} type is Localhost`));
      else if (what === 'seccomp') validateLocalDescendingPath(prof.localhostProfile, lp, errs);
      else if (!prof.localhostProfile.trim()) errs.push(required(lp, `must be set when ${what} type is Localhost`));
      break;
    case 'RuntimeDefault':
    case 'Unconfined':
      if (prof.localhostProfile !== undefined) errs.push(invalid(lp, prof.localhostProfile, `can only be set when ${what} type is Localhost`));
      break;
    default:
      errs.push(unsupported(child(path, 'type'), prof.type ?? '', ['Localhost', 'RuntimeDefault', 'Unconfined']));
  }
}

function validateSecurityContext(sc: SecurityContext, path: string, errs: ErrorList): void {
  validateId(sc.runAsUser, child(path, 'runAsUser'), errs);
  validateId(sc.runAsGroup, child(path, 'runAsGroup'), errs);
  if (sc.procMount !== undefined && !['Default', 'Unmasked'].includes(sc.procMount)) {
    errs.push(unsupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  }
  validateProfile(sc.seccompProfile, 'seccomp', child(path, 'seccompProfile'), errs);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (sc.capabilities?.add?.includes('CAP_SYS_ADMIN')) {
      errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  validateProfile(sc.appArmorProfile, 'AppArmor', child(path, 'appArmorProfile'), errs);
}

// ---- probes and lifecycle hooks

type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'> & Pick<LifecycleHandler, 'sleep'>;

function validateHandler(
  h: Handler,
  kinds: readonly (keyof Handler)[],
  path: string,
  ctx: PodContext,
  errs: ErrorList,
): void {
  let found = 0;
  for (const kind of kinds) {
    if (h[kind] === undefined) continue;
    if (found++ > 0) {
      errs.push(forbidden(child(path, kind), 'may not specify more than 1 handler type'));
      continue;
    }
    const p = child(path, kind);
    if (h.exec && kind === 'exec') {
      if (!h.exec.command?.length) errs.push(required(child(p, 'command')));
    } else if (h.httpGet && kind === 'httpGet') {
      validateHTTPGet(h.httpGet, p, errs);
    } else if (h.tcpSocket && kind === 'tcpSocket') {
      validatePortNumOrName(h.tcpSocket.port, child(p, 'port'), errs);
    } else if (h.grpc && kind === 'grpc') {
      validatePortNumOrName(h.grpc.port, child(p, 'port'), errs);
    } else if (h.sleep && kind === 'sleep') {
      const s = h.sleep.seconds;
      if (s < 0 || s > ctx.gracePeriodSeconds) {
        errs.push(
          invalid(child(p, 'seconds'), s, `must be non-negative and less than terminationGracePeriodSeconds (${ctx.gracePeriodSeconds})`),
        );
      }
    }
  }
  if (found === 0) errs.push(required(path, 'must specify a handler type'));
}

function validateHTTPGet(h: HTTPGetAction, path: string, errs: ErrorList): void {
  validatePortNumOrName(h.port, child(path, 'port'), errs);
  if (h.scheme !== undefined && !['HTTP', 'HTTPS'].includes(h.scheme)) errs.push(unsupported(child(path, 'scheme'), h.scheme, ['HTTP', 'HTTPS']));
  (h.httpHeaders ?? []).forEach((hdr, i) => {
    for (const msg of httpHeaderName(hdr.name)) errs.push(invalid(index(child(path, 'httpHeaders'), i), hdr.name, msg));
  });
}

function validatePortNumOrName(port: number | string | undefined, path: string, errs: ErrorList): void {
  if (port === undefined) errs.push(required(path));
  else if (typeof port === 'number') for (const msg of portNumber(port)) errs.push(invalid(path, port, msg));
  else for (const msg of portName(port)) errs.push(invalid(path, port, msg));
}

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

export function validateProbe(probe: Probe, kind: ProbeKind, path: string, ctx: PodContext, errs: ErrorList): void {
  validateHandler(probe, PROBE_HANDLERS, path, ctx, errs);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = probe[f];
    if (v !== undefined && v < 0) errs.push(invalid(child(path, f), v, NON_NEGATIVE));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps <= 0) errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  // Liveness and startup probes act on the first success or failure, so a threshold above 1 means nothing.
  if (kind !== 'readinessProbe' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readinessProbe' && tgps !== undefined) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  }
}

export function validateLifecycle(lc: Lifecycle, path: string, ctx: PodContext, errs: ErrorList): void {
  if (lc.postStart) validateHandler(lc.postStart, LIFECYCLE_HANDLERS, child(path, 'postStart'), ctx, errs);
  if (lc.preStop) validateHandler(lc.preStop, LIFECYCLE_HANDLERS, child(path, 'preStop'), ctx, errs);
}
