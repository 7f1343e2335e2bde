// PodSpec rules (ValidatePodSpec in the API server), in the API server's order: volumes,
// containers, init containers, ephemeral containers, then pod-wide settings.

import type { Container, EphemeralContainer, PodSpec, ResourceRequirements, Toleration } from 'kubernetes-types/core/v1';
import {
  child,
  duplicate,
  forbidden,
  inclusiveRange,
  index,
  invalid,
  notFound,
  required,
  unsupported,
  type ErrorList,
} from './field-errors';
import { validateLabels } from './validate-meta';
import { dns1123Label, dns1123Subdomain, ipAddress, labelValue, qualifiedName, sysctlName } from './names';
import {
  validateContainerCommon,
  validateContainerName,
  validateId,
  validateLifecycle,
  validateNonNegativeQuantity,
  validateProbe,
  validateProfile,
  validateResourceName,
  validateResources,
  type PodContext,
} from './validate-container';
import { validateVolumes } from './validate-volumes';
import type { ContainerWithRules } from './newer-fields';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const MAX_INT32 = 2147483647;
const DEFAULT_GRACE_PERIOD = 30;
const NO_INIT_HOOKS = 'may not be set for init containers without restartPolicy=Always';
const NOT_FOR_EPHEMERAL = 'cannot be set for an Ephemeral Container';
/** Fields an ephemeral container may not have: it is a debugging aid, not part of the workload. */
const EPHEMERAL_FORBIDDEN = [
  'ports',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'resources',
  'resizePolicy',
  'restartPolicy',
] as const;

export function validatePodSpec(spec: PodSpec, path: string, errs: ErrorList): void {
  const volumes = validateVolumes(spec.volumes ?? [], child(path, 'volumes'), errs);
  const ctx: PodContext = { volumes, gracePeriodSeconds: spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD };

  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  validateAppContainers(containers, child(path, 'containers'), ctx, spec.hostNetwork === true, errs);
  validateInitContainers(initContainers, containers, child(path, 'initContainers'), ctx, errs);
  validateEphemeralContainers(spec.ephemeralContainers ?? [], [...containers, ...initContainers], child(path, 'ephemeralContainers'), ctx, errs);

  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(unsupported(child(path, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    errs.push(unsupported(child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  }
  validateLabels(spec.nodeSelector, child(path, 'nodeSelector'), errs);
  validatePodSecurity(spec, path, errs);
  validateDNSConfig(spec, child(path, 'dnsConfig'), errs);
  (spec.readinessGates ?? []).forEach((g, i) => {
    const p = child(index(child(path, 'readinessGates'), i), 'conditionType');
    for (const msg of qualifiedName(g.conditionType)) errs.push(invalid(p, g.conditionType, msg));
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = index(child(path, 'schedulingGates'), i);
    for (const msg of qualifiedName(g.name)) errs.push(invalid(child(p, 'name'), g.name, msg));
    if (gates.has(g.name)) errs.push(duplicate(p, g.name));
    gates.add(g.name);
  });
  validateHostUsers(spec, path, errs);

  for (const f of ['serviceAccountName', 'nodeName', 'priorityClassName'] as const) {
    const v = spec[f];
    if (v) for (const msg of dns1123Subdomain(v)) errs.push(invalid(child(path, f), v, msg));
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && (ads < 1 || ads > MAX_INT32)) errs.push(invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRange(1, MAX_INT32)));
  // A negative terminationGracePeriodSeconds is no error: the API server makes it 1 (applyPodDefaults).
  for (const f of ['hostname', 'subdomain'] as const) {
    const v = spec[f];
    if (v) for (const msg of dns1123Label(v)) errs.push(invalid(child(path, f), v, msg));
  }
  (spec.tolerations ?? []).forEach((t, i) => validateToleration(t, index(child(path, 'tolerations'), i), errs));
  (spec.hostAliases ?? []).forEach((ha, i) => {
    const p = index(child(path, 'hostAliases'), i);
    for (const msg of ipAddress(ha.ip ?? '')) errs.push(invalid(child(p, 'ip'), ha.ip ?? '', msg));
    (ha.hostnames ?? []).forEach((h, j) => {
      for (const msg of dns1123Subdomain(h)) errs.push(invalid(index(child(p, 'hostnames'), j), h, msg));
    });
  });
  if (spec.preemptionPolicy !== undefined && !['Never', 'PreemptLowerPriority'].includes(spec.preemptionPolicy)) {
    errs.push(unsupported(child(path, 'preemptionPolicy'), spec.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  for (const [name, q] of Object.entries(spec.overhead ?? {})) {
    const p = `${child(path, 'overhead')}[${name}]`;
    validateResourceName(name, p, errs);
    validateNonNegativeQuantity(q, p, errs);
  }
  if (spec.os) {
    if (!spec.os.name) errs.push(required(child(child(path, 'os'), 'name')));
    else if (!['linux', 'windows'].includes(spec.os.name)) errs.push(unsupported(child(child(path, 'os'), 'name'), spec.os.name, ['linux', 'windows']));
  }
  // Pod-level resources (Kubernetes 1.32) are newer than the kubernetes-types release in use.
  const podResources = (spec as { resources?: ResourceRequirements }).resources;
  if (podResources) validateResources(podResources, child(path, 'resources'), errs);
}

// ---- containers

function validateAppContainers(containers: Container[], path: string, ctx: PodContext, hostNetwork: boolean, errs: ErrorList): void {
  if (containers.length === 0) {
    errs.push(required(path));
    return;
  }
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  containers.forEach((c, i) => {
    const p = index(path, i);
    validateContainerName(c.name, child(p, 'name'), errs);
    if (c.name && names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    if (c.name) names.add(c.name);
    validateContainerCommon(c, p, ctx, errs);
    if (c.lifecycle) validateLifecycle(c.lifecycle, child(p, 'lifecycle'), ctx, errs);
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const probe = c[kind];
      if (probe) validateProbe(probe, kind, child(p, kind), ctx, errs);
    }
    validateContainerRestart(c as ContainerWithRules, p, errs);
    // App containers run together, so they may not publish the same host port.
    accumulateHostPorts(c, p, hostPorts, errs);
    if (hostNetwork) {
      (c.ports ?? []).forEach((port, j) => {
        if (port.hostPort !== undefined && port.hostPort !== port.containerPort) {
          errs.push(invalid(child(index(child(p, 'ports'), j), 'hostPort'), port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    }
  });
}

/** Per-container restartPolicy and restartPolicyRules of an app container (ContainerRestartRules, beta in 1.35). */
function validateContainerRestart(c: ContainerWithRules, p: string, errs: ErrorList): void {
  if (c.restartPolicy !== undefined && !RESTART_POLICIES.includes(c.restartPolicy)) errs.push(unsupported(child(p, 'restartPolicy'), c.restartPolicy, RESTART_POLICIES));
  const rules = c.restartPolicyRules;
  if (!rules) return;
  if (c.restartPolicy === undefined) errs.push(required(child(p, 'restartPolicy'), 'must be set when restartPolicyRules are'));
  rules.forEach((r, k) => {
    const rp = index(child(p, 'restartPolicyRules'), k);
    if (r.action !== 'Restart') errs.push(unsupported(child(rp, 'action'), r.action, ['Restart']));
    if (!r.exitCodes) {
      errs.push(required(child(rp, 'exitCodes')));
      return;
    }
    const ep = child(rp, 'exitCodes');
    if (!['In', 'NotIn'].includes(r.exitCodes.operator)) errs.push(unsupported(child(ep, 'operator'), r.exitCodes.operator, ['In', 'NotIn']));
    (r.exitCodes.values ?? []).forEach((v, j) => {
      if (v < 0 || v > 255) errs.push(invalid(index(child(ep, 'values'), j), v, 'must be between 0 and 255, inclusive'));
    });
  });
}

function accumulateHostPorts(c: Container, path: string, seen: Set<string>, errs: ErrorList): void {
  (c.ports ?? []).forEach((port, j) => {
    if (!port.hostPort) return;
    const id = `${port.hostIP ?? ''}/${port.protocol ?? 'TCP'}/${port.hostPort}`;
    if (seen.has(id)) errs.push(duplicate(child(index(child(path, 'ports'), j), 'hostPort'), id));
    seen.add(id);
  });
}

function validateInitContainers(inits: Container[], apps: Container[], path: string, ctx: PodContext, errs: ErrorList): void {
  const names = new Set(apps.map((c) => c.name));
  inits.forEach((c, i) => {
    const p = index(path, i);
    validateContainerName(c.name, child(p, 'name'), errs);
    validateContainerCommon(c, p, ctx, errs);
    let sidecar = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== 'Always') errs.push(unsupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
      sidecar = c.restartPolicy === 'Always';
    }
    if (c.name && names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    if (c.name) names.add(c.name);
    // Init containers run one at a time, so host ports only clash within one of them.
    accumulateHostPorts(c, p, new Set(), errs);
    if (sidecar) {
      if (c.lifecycle) validateLifecycle(c.lifecycle, child(p, 'lifecycle'), ctx, errs);
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const probe = c[kind];
        if (probe) validateProbe(probe, kind, child(p, kind), ctx, errs);
      }
    } else {
      // A plain init container runs to completion: hooks and probes have nothing to act on.
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[f] !== undefined) errs.push(forbidden(child(p, f), NO_INIT_HOOKS));
      }
    }
  });
}

function validateEphemeralContainers(
  ephemerals: EphemeralContainer[],
  others: Container[],
  path: string,
  ctx: PodContext,
  errs: ErrorList,
): void {
  const names = new Set(others.map((c) => c.name));
  const targets = new Set(names);
  ephemerals.forEach((c, i) => {
    const p = index(path, i);
    validateContainerName(c.name, child(p, 'name'), errs);
    if (c.name && names.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    if (c.name) names.add(c.name);
    if (c.targetContainerName && !targets.has(c.targetContainerName)) {
      errs.push(notFound(child(p, 'targetContainerName'), c.targetContainerName));
    }
    for (const f of EPHEMERAL_FORBIDDEN) {
      if (c[f] !== undefined) errs.push(forbidden(child(p, f), NOT_FOR_EPHEMERAL));
    }
    // Sub-path bind mounts would outlive the ephemeral container until the pod exits.
    (c.volumeMounts ?? []).forEach((m, j) => {
      const mp = index(child(p, 'volumeMounts'), j);
      if (m.subPath) errs.push(forbidden(child(mp, 'subPath'), NOT_FOR_EPHEMERAL));
      if (m.subPathExpr) errs.push(forbidden(child(mp, 'subPathExpr'), NOT_FOR_EPHEMERAL));
    });
    validateContainerCommon(c, p, ctx, errs);
  });
}

// ---- pod-wide settings

function validatePodSecurity(spec: PodSpec, path: string, errs: ErrorList): void {
  const sc = spec.securityContext;
  if (!sc) return;
  const p = child(path, 'securityContext');
  validateId(sc.fsGroup, child(p, 'fsGroup'), errs);
  validateId(sc.runAsUser, child(p, 'runAsUser'), errs);
  validateId(sc.runAsGroup, child(p, 'runAsGroup'), errs);
  (sc.supplementalGroups ?? []).forEach((g, i) => validateId(g, index(child(p, 'supplementalGroups'), i), errs));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(child(p, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const sysctls = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const np = child(index(child(p, 'sysctls'), i), 'name');
    if (!s.name) errs.push(required(np));
    else for (const msg of sysctlName(s.name)) errs.push(invalid(np, s.name, msg));
    if (sysctls.has(s.name)) errs.push(duplicate(np, s.name));
    sysctls.add(s.name);
  });
  if (sc.fsGroupChangePolicy !== undefined && !['OnRootMismatch', 'Always'].includes(sc.fsGroupChangePolicy)) {
    errs.push(unsupported(child(p, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['OnRootMismatch', 'Always']));
  }
  const sgp = (sc as { supplementalGroupsPolicy?: string }).supplementalGroupsPolicy;
  if (sgp !== undefined && !['Merge', 'Strict'].includes(sgp)) errs.push(unsupported(child(p, 'supplementalGroupsPolicy'), sgp, ['Merge', 'Strict']));
  const slcp = (sc as { seLinuxChangePolicy?: string }).seLinuxChangePolicy;
  if (slcp !== undefined && !['MountOption', 'Recursive'].includes(slcp)) {
    errs.push(unsupported(child(p, 'seLinuxChangePolicy'), slcp, ['MountOption', 'Recursive']));
  }
  validateProfile(sc.seccompProfile, 'seccomp', child(p, 'seccompProfile'), errs);
  validateProfile(sc.appArmorProfile, 'AppArmor', child(p, 'appArmorProfile'), errs);
}

function validateHostUsers(spec: PodSpec, path: string, errs: ErrorList): void {
  // A user namespace with host namespaces gives surprising permission failures; the API server forbids the mix.
  if (spec.hostUsers !== false) return;
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[f] === true) errs.push(forbidden(child(path, f), 'when `pod.Spec.HostUsers` is false'));
  }
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

function validateDNSConfig(spec: PodSpec, path: string, errs: ErrorList): void {
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!cfg) {
      errs.push(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None'));
      return;
    }
    if (!cfg.nameservers?.length) {
      errs.push(required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
      return;
    }
  }
  if (!cfg) return;
  const ns = cfg.nameservers ?? [];
  if (ns.length > MAX_NAMESERVERS) errs.push(invalid(child(path, 'nameservers'), ns, `must not have more than ${MAX_NAMESERVERS} nameservers`));
  ns.forEach((n, i) => {
    for (const msg of ipAddress(n)) errs.push(invalid(index(child(path, 'nameservers'), i), n, msg));
  });
  const searches = cfg.searches ?? [];
  if (searches.length > MAX_SEARCHES) errs.push(invalid(child(path, 'searches'), searches, `must not have more than ${MAX_SEARCHES} search paths`));
  if (searches.join(' ').length > MAX_SEARCH_CHARS) {
    errs.push(invalid(child(path, 'searches'), searches, `must not have more than ${MAX_SEARCH_CHARS} characters (including spaces) in the search list`));
  }
  searches.forEach((s, i) => {
    // A trailing dot (a fully qualified name) is fine in resolv.conf.
    const name = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const msg of dns1123Subdomain(name)) errs.push(invalid(index(child(path, 'searches'), i), name, msg));
  });
  (cfg.options ?? []).forEach((o, i) => {
    if (!o.name) errs.push(required(index(child(path, 'options'), i), 'Option.Name must not be empty'));
  });
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateToleration(t: Toleration, path: string, errs: ErrorList): void {
  if (t.key) for (const msg of qualifiedName(t.key)) errs.push(invalid(child(path, 'key'), t.key, msg));
  if (!t.key && t.operator !== 'Exists') {
    errs.push(invalid(child(path, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  }
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    errs.push(invalid(child(path, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  switch (t.operator ?? '') {
    case 'Equal':
    case '':
      for (const msg of labelValue(t.value ?? '')) errs.push(invalid(child(path, 'operator'), t.value, msg));
      break;
    case 'Exists':
      if (t.value) errs.push(invalid(child(path, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
      break;
    // Numeric comparison with the taint's value (TaintTolerationComparisonOperators, 1.35).
    case 'Lt':
    case 'Gt':
      if (!/^-?\d+$/.test(t.value ?? '')) errs.push(invalid(child(path, 'value'), t.value ?? '', `value must be an integer when \`operator\` is '${t.operator}'`));
      break;
    default:
      errs.push(unsupported(child(path, 'operator'), t.operator, ['Equal', 'Exists', 'Lt', 'Gt']));
  }
  if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(unsupported(child(path, 'effect'), t.effect, TAINT_EFFECTS));
}
