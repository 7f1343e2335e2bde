// `podrun describe pod`: the text kubectl's describePod prints
// (k8s.io/kubectl/pkg/describe/describe.go), section by section and in the same words, so a
// reader used to kubectl finds every field where they expect it. Pure: the pod, its events and
// the time are passed in, and the output is one string.

import type {
  Container,
  ContainerState,
  ContainerStatus,
  EnvVar,
  Pod,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';
import { effectiveProfile, profileText } from '../seccomp/effective';
import { ageSince, humanDuration } from './age';
import { evaluate, parseJSONPath } from './jsonpath';
import { KUBECTL_DESCRIBE, tabwrite } from './table';

/**
 * One event about a pod, shaped like the fields of a core/v1 Event that describe shows. podrun
 * does not record events yet; whoever does passes them to describePod and they are printed as
 * kubectl prints them.
 */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The reporter (kubectl's From column), e.g. `kubelet`. */
  source?: string;
  /** RFC 3339 time of the first occurrence. */
  firstTimestamp: string;
  /** RFC 3339 time of the latest occurrence, when it happened more than once. */
  lastTimestamp?: string;
  count?: number;
}

/** kubectl's annotation values are cut at this length, so one annotation cannot flood the screen. */
const MAX_ANNOTATION_LEN = 140;
/** Written by `kubectl apply`; describe hides it. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Go's time.RFC1123Z in local time: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function formatRFC1123Z(timestamp: string | undefined): string {
  const d = new Date(timestamp ?? 0);
  if (!timestamp || Number.isNaN(d.getTime())) return '<unknown>';
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const zone = `${sign}${pad2(Math.floor(Math.abs(off) / 60))}${pad2(Math.abs(off) % 60)}`;
  return (
    `${DAYS[d.getDay()]}, ${pad2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}`
  );
}

/** kubectl's PrefixWriter: lines indented by level, aligned at tabs, flushed in sections. */
export class DescribeWriter {
  private buf = '';
  private readonly done: string[] = [];
  line(level: number, text: string): void {
    this.buf += '  '.repeat(level) + text + '\n';
  }
  flush(): void {
    if (this.buf) this.done.push(tabwrite(this.buf, KUBECTL_DESCRIBE));
    this.buf = '';
  }
  toString(): string {
    this.flush();
    return this.done.join('');
  }
}

const orNone = (s: string | undefined): string => (s ? s : '<none>');
const bool = (b: boolean | undefined): string => (b ? 'True' : 'False');

export function writeMap(w: DescribeWriter, title: string, map: Record<string, string> | undefined, sep: '=' | ': '): void {
  const keys = Object.keys(map ?? {})
    .filter((k) => k !== LAST_APPLIED || sep === '=')
    .sort();
  if (keys.length === 0) {
    w.line(0, `${title}:\t<none>`);
    return;
  }
  keys.forEach((key, i) => {
    const lead = i === 0 ? `${title}:\t` : '\t';
    const value = map![key]!.replace(/\n$/, '');
    if (sep === ': ' && (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n'))) {
      // Long or multi-line annotations go below their key, each line cut short.
      w.line(0, `${lead}${key}:`);
      for (const s of value.split('\n')) {
        // No tab here, as in kubectl: these lines end the aligned block.
        w.line(0, `  ${s.length > MAX_ANNOTATION_LEN - 2 ? s.slice(0, MAX_ANNOTATION_LEN - 2) + '...' : s}`);
      }
    } else {
      w.line(0, `${lead}${key}${sep}${value}`);
    }
  });
}

function writeTolerations(w: DescribeWriter, tolerations: Toleration[] | undefined): void {
  if (!tolerations?.length) {
    w.line(0, 'Tolerations:\t<none>');
    return;
  }
  tolerations.forEach((t, i) => {
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    // `operator: Exists` alone tolerates everything.
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    w.line(0, `${i === 0 ? 'Tolerations:' : ''}\t${s}`);
  });
}

function writeState(w: DescribeWriter, name: string, state: ContainerState | undefined): void {
  if (state?.running) {
    w.line(2, `${name}:\tRunning`);
    w.line(3, `Started:\t${formatRFC1123Z(state.running.startedAt)}`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.line(2, `${name}:\tTerminated`);
    if (t.reason) w.line(3, `Reason:\t${t.reason}`);
    if (t.message) w.line(3, `Message:\t${t.message}`);
    w.line(3, `Exit Code:\t${t.exitCode}`);
    if (t.signal) w.line(3, `Signal:\t${t.signal}`);
    w.line(3, `Started:\t${formatRFC1123Z(t.startedAt)}`);
    w.line(3, `Finished:\t${formatRFC1123Z(t.finishedAt)}`);
  } else {
    w.line(2, `${name}:\tWaiting`);
    if (state?.waiting?.reason) w.line(3, `Reason:\t${state.waiting.reason}`);
  }
}

function writeResources(w: DescribeWriter, r: ResourceRequirements | undefined): void {
  for (const [title, list] of [
    ['Limits', r?.limits],
    ['Requests', r?.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length === 0) continue;
    w.line(2, `${title}:`);
    for (const n of names) w.line(3, `${n}:\t${String(list![n])}`);
  }
}

export function describeProbe(p: Probe): string {
  const attrs =
    `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s ` +
    `#success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const host = g.host ?? '';
    const port = String(g.port);
    const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return `http-get ${(g.scheme ?? 'HTTP').toLowerCase()}://${hostPort}${g.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/** What an env var taken from a field of the pod resolves to (kubectl's EnvValueRetriever). */
function fieldValue(pod: Pod, fieldPath: string): string {
  if (fieldPath === 'status.podIPs') return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
  try {
    const [v] = evaluate(parseJSONPath(`.${fieldPath}`), pod);
    return v === undefined ? '' : String(v);
  } catch {
    return '';
  }
}

/** A resourceFieldRef's value: the quantity over the divisor, rounded up, as the kubelet computes it. */
function resourceValue(c: Container, resource: string, divisor: string | number | undefined): string {
  const [kind, name] = resource.split('.', 2) as [string, string];
  const list = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  const q = list?.[name ?? ''];
  if (q === undefined) return '0';
  try {
    return String(Math.ceil(parseQuantity(q) / parseQuantity(divisor ?? 1)));
  } catch {
    return String(q);
  }
}

function writeEnv(w: DescribeWriter, pod: Pod, c: Container): void {
  if (c.envFrom?.length) {
    w.line(2, 'Environment Variables from:');
    for (const e of c.envFrom) {
      const from = e.configMapRef ? 'ConfigMap' : 'Secret';
      const ref = e.configMapRef ?? e.secretRef;
      const what = e.prefix ? `${from} with prefix '${e.prefix}'` : from;
      w.line(3, `${ref?.name ?? ''}\t${what}\tOptional: ${ref?.optional === true}`);
    }
  }
  const env: EnvVar[] = c.env ?? [];
  w.line(2, env.length === 0 ? 'Environment:\t<none>' : 'Environment:');
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => w.line(3, i === 0 ? `${e.name}:\t${s}` : `\t${s}`));
    } else if (from.fieldRef) {
      const f = from.fieldRef;
      w.line(3, `${e.name}:\t${fieldValue(pod, f.fieldPath)} (${f.apiVersion ?? 'v1'}:${f.fieldPath})`);
    } else if (from.resourceFieldRef) {
      const r = from.resourceFieldRef;
      let v = resourceValue(c, r.resource, r.divisor);
      if (v === '0' && (r.resource === 'limits.cpu' || r.resource === 'limits.memory')) v = 'node allocatable';
      w.line(3, `${e.name}:\t${v} (${r.resource})`);
    } else if (from.secretKeyRef) {
      const s = from.secretKeyRef;
      w.line(3, `${e.name}:\t<set to the key '${s.key}' in secret '${s.name ?? ''}'>\tOptional: ${s.optional === true}`);
    } else if (from.configMapKeyRef) {
      const m = from.configMapKeyRef;
      w.line(3, `${e.name}:\t<set to the key '${m.key}' of config map '${m.name ?? ''}'>\tOptional: ${m.optional === true}`);
    }
  }
}

function writeMounts(w: DescribeWriter, c: Container): void {
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  w.line(2, mounts.length === 0 ? 'Mounts:\t<none>' : 'Mounts:');
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw'];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    w.line(3, `${m.mountPath} from ${m.name} (${flags.join(',')})`);
  }
}

function writeContainers(w: DescribeWriter, pod: Pod, title: string, containers: Container[], statuses: ContainerStatus[] | undefined): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  w.line(0, `${title}:`);
  for (const c of containers) {
    const st = byName.get(c.name);
    w.line(1, `${c.name}:`);
    if (st) w.line(2, `Container ID:\t${st.containerID ?? ''}`);
    w.line(2, `Image:\t${c.image ?? ''}`);
    if (st) w.line(2, `Image ID:\t${st.imageID}`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ');
    w.line(2, ports.includes(',') ? `Ports:\t${ports}` : `Port:\t${orNone(ports)}`);
    w.line(2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}` : `Host Port:\t${orNone(hostPorts)}`);
    for (const [label, list] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const) {
      if (!list?.length) continue;
      w.line(2, `${label}:`);
      for (const a of list) for (const s of a.split('\n')) w.line(3, s);
    }
    if (st) {
      writeState(w, 'State', st.state);
      if (st.lastState?.terminated) writeState(w, 'Last State', st.lastState);
      w.line(2, `Ready:\t${bool(st.ready)}`);
      w.line(2, `Restart Count:\t${st.restartCount}`);
    }
    // The profile it runs under after defaults (RuntimeDefault when nothing is said).
    w.line(2, `Seccomp:\t${profileText(effectiveProfile(pod, c))}`);
    writeResources(w, c.resources);
    if (c.livenessProbe) w.line(2, `Liveness:\t${describeProbe(c.livenessProbe)}`);
    if (c.readinessProbe) w.line(2, `Readiness:\t${describeProbe(c.readinessProbe)}`);
    if (c.startupProbe) w.line(2, `Startup:\t${describeProbe(c.startupProbe)}`);
    writeEnv(w, pod, c);
    writeMounts(w, c);
  }
}

function writeVolume(w: DescribeWriter, v: Volume): void {
  w.line(1, `${v.name}:`);
  if (v.hostPath) {
    w.line(2, 'Type:\tHostPath (bare host directory volume)');
    w.line(2, `Path:\t${v.hostPath.path}`);
    w.line(2, `HostPathType:\t${v.hostPath.type || '<none>'}`);
  } else if (v.emptyDir) {
    const limit = v.emptyDir.sizeLimit;
    w.line(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)");
    w.line(2, `Medium:\t${v.emptyDir.medium ?? ''}`);
    w.line(2, `SizeLimit:\t${limit !== undefined && parseQuantity(limit) > 0 ? String(limit) : '<unset>'}`);
  } else if (v.secret) {
    w.line(2, 'Type:\tSecret (a volume populated by a Secret)');
    w.line(2, `SecretName:\t${v.secret.secretName ?? ''}`);
    w.line(2, `Optional:\t${v.secret.optional === true}`);
  } else if (v.configMap) {
    w.line(2, 'Type:\tConfigMap (a volume populated by a ConfigMap)');
    w.line(2, `Name:\t${v.configMap.name ?? ''}`);
    w.line(2, `Optional:\t${v.configMap.optional === true}`);
  } else if (v.downwardAPI) {
    w.line(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)');
    w.line(2, 'Items:');
    for (const item of v.downwardAPI.items ?? []) {
      if (item.fieldRef) w.line(3, `${item.fieldRef.fieldPath} -> ${item.path}`);
      if (item.resourceFieldRef) w.line(3, `${item.resourceFieldRef.resource} -> ${item.path}`);
    }
  } else if (v.projected) {
    w.line(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)');
    for (const s of v.projected.sources ?? []) {
      if (s.secret) {
        w.line(2, `SecretName:\t${s.secret.name ?? ''}`);
        w.line(2, `SecretOptionalName:\t${s.secret.optional ?? '<nil>'}`);
      } else if (s.downwardAPI) {
        w.line(2, 'DownwardAPI:\ttrue');
      } else if (s.configMap) {
        w.line(2, `ConfigMapName:\t${s.configMap.name ?? ''}`);
        w.line(2, `ConfigMapOptional:\t${s.configMap.optional ?? '<nil>'}`);
      } else if (s.serviceAccountToken) {
        w.line(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds ?? 3607}`);
      }
    }
  } else {
    w.line(1, '<unknown>');
  }
}

/** The QoS class, as the kubelet derives it when status.qosClass is not set. */
export function qosClass(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of all) {
    // A limit without a request stands for both, as API defaulting (and podrun's) makes it.
    for (const [name, q] of Object.entries({ ...c.resources?.limits, ...c.resources?.requests })) {
      if ((name === 'cpu' || name === 'memory') && parseQuantity(q) > 0) requests.set(name, (requests.get(name) ?? 0) + parseQuantity(q));
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      if ((name === 'cpu' || name === 'memory') && parseQuantity(q) > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + parseQuantity(q));
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export function writeEvents(w: DescribeWriter, events: PodEvent[] | undefined, now: number): void {
  if (!events?.length) {
    w.line(0, 'Events:\t<none>');
    return;
  }
  // The events table aligns on its own, not with the fields above it.
  w.flush();
  const last = (e: PodEvent): number => Date.parse(e.lastTimestamp ?? e.firstTimestamp);
  const sorted = [...events].sort((a, b) => last(a) - last(b));
  w.line(0, 'Events:');
  w.line(1, 'Type\tReason\tAge\tFrom\tMessage');
  w.line(1, '----\t------\t----\t----\t-------');
  for (const e of sorted) {
    const first = ageSince(e.firstTimestamp, now);
    const age = (e.count ?? 1) > 1 ? `${ageSince(e.lastTimestamp ?? e.firstTimestamp, now)} (x${e.count} over ${first})` : first;
    w.line(1, `${e.type}\t${e.reason}\t${age}\t${e.source ?? ''}\t${e.message.trim()}`);
  }
}

/** The full `describe pod` text. */
export function describePod(pod: Pod, events?: PodEvent[], now: number = Date.now()): string {
  const w = new DescribeWriter();
  const meta = pod.metadata ?? {};
  const spec = pod.spec;
  const status = pod.status ?? {};
  w.line(0, `Name:\t${meta.name ?? ''}`);
  w.line(0, `Namespace:\t${meta.namespace ?? 'default'}`);
  if (spec?.priority !== undefined) w.line(0, `Priority:\t${spec.priority}`);
  if (spec?.priorityClassName) w.line(0, `Priority Class Name:\t${spec.priorityClassName}`);
  if (spec?.runtimeClassName) w.line(0, `Runtime Class Name:\t${spec.runtimeClassName}`);
  if (spec?.serviceAccountName) w.line(0, `Service Account:\t${spec.serviceAccountName}`);
  w.line(0, spec?.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}` : 'Node:\t<none>');
  if (status.startTime) w.line(0, `Start Time:\t${formatRFC1123Z(status.startTime)}`);
  writeMap(w, 'Labels', meta.labels, '=');
  writeMap(w, 'Annotations', meta.annotations, ': ');
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.line(0, `Status:\tTerminating (lasts ${humanDuration(Date.parse(meta.deletionTimestamp) - now)})`);
    if (meta.deletionGracePeriodSeconds !== undefined) w.line(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds}s`);
  } else {
    w.line(0, `Status:\t${status.phase ?? ''}`);
  }
  if (status.reason) w.line(0, `Reason:\t${status.reason}`);
  if (status.message) w.line(0, `Message:\t${status.message}`);
  // kubectl's: the pod-level profile when the pod names one (each container's is below).
  const seccomp = spec?.securityContext?.seccompProfile;
  if (seccomp) {
    w.line(0, `SeccompProfile:\t${seccomp.type}`);
    if (seccomp.type === 'Localhost') w.line(0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}`);
  }
  w.line(0, `IP:\t${status.podIP ?? ''}`);
  if (status.podIPs?.length) {
    w.line(0, 'IPs:');
    for (const ip of status.podIPs) w.line(1, `IP:\t${ip.ip}`);
  } else {
    w.line(0, 'IPs:\t<none>');
  }
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) w.line(0, `Controlled By:\t${owner.kind}/${owner.name}`);
  if (spec?.initContainers?.length) writeContainers(w, pod, 'Init Containers', spec.initContainers, status.initContainerStatuses);
  writeContainers(w, pod, 'Containers', spec?.containers ?? [], status.containerStatuses);
  if (status.conditions?.length) {
    w.line(0, 'Conditions:');
    w.line(1, 'Type\tStatus');
    for (const c of status.conditions) w.line(1, `${c.type} \t${c.status} `);
  }
  if (spec?.volumes?.length) {
    w.line(0, 'Volumes:');
    for (const v of spec.volumes) writeVolume(w, v);
  } else {
    w.line(0, 'Volumes:\t<none>');
  }
  w.line(0, `QoS Class:\t${qosClass(pod)}`);
  writeMap(w, 'Node-Selectors', spec?.nodeSelector, '=');
  writeTolerations(w, spec?.tolerations);
  writeEvents(w, events, now);
  return w.toString();
}
