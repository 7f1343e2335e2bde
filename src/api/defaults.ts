// The defaults the API server fills into a pod on create (pkg/apis/core/v1/defaults.go), so
// the rest of podrun reads one complete spec, and `get -o yaml` shows what a cluster would.

import type { Container, EphemeralContainer, HTTPGetAction, Lifecycle, Pod, Probe, ResourceRequirements } from 'kubernetes-types/core/v1';

/** 0644: configMap, secret, downwardAPI and projected files are readable by all, writable by owner. */
const DEFAULT_FILE_MODE = 0o644;

/** Returns a defaulted deep copy of `pod`; the argument is left as it was. */
export function applyPodDefaults(pod: Pod): Pod {
  const out = structuredClone(pod);
  out.metadata = { ...out.metadata, namespace: out.metadata?.namespace || 'default' };
  const spec = (out.spec ??= { containers: [] });
  spec.restartPolicy ||= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  // The API server turns a negative grace period into 1 (since 1.27): -1 once meant "now" to some clients.
  if (spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.schedulerName ||= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;

  for (const c of spec.containers ?? []) defaultContainer(c, spec.hostNetwork === true);
  for (const c of spec.initContainers ?? []) defaultContainer(c, spec.hostNetwork === true);
  for (const c of spec.ephemeralContainers ?? []) defaultContainerCommon(c);

  for (const v of spec.volumes ?? []) {
    if (v.configMap) v.configMap.defaultMode ??= DEFAULT_FILE_MODE;
    if (v.secret) v.secret.defaultMode ??= DEFAULT_FILE_MODE;
    if (v.downwardAPI) {
      v.downwardAPI.defaultMode ??= DEFAULT_FILE_MODE;
      for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
    }
    if (v.projected) {
      v.projected.defaultMode ??= DEFAULT_FILE_MODE;
      for (const src of v.projected.sources ?? []) {
        if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
        for (const item of src.downwardAPI?.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
      }
    }
    if (v.hostPath) v.hostPath.type ??= '';
  }
  return out;
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  defaultContainerCommon(c);
  for (const port of c.ports ?? []) {
    port.protocol ||= 'TCP';
    // On the host's network a container port is a host port.
    if (hostNetwork && !port.hostPort) port.hostPort = port.containerPort;
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  if (c.lifecycle) defaultLifecycle(c.lifecycle);
  if (c.resources) defaultRequestsFromLimits(c.resources);
}

function defaultContainerCommon(c: Container | EphemeralContainer): void {
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  c.imagePullPolicy ||= defaultPullPolicy(c.image ?? '');
  for (const ev of c.env ?? []) if (ev.valueFrom?.fieldRef) ev.valueFrom.fieldRef.apiVersion ||= 'v1';
}

/** `Always` for an image with no tag or the `latest` tag (it may move), `IfNotPresent` otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  // The tag follows the last ':' after the last '/'; a ':' before that belongs to a registry port.
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastPart.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe): void {
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) defaultHTTPGet(p.httpGet);
}

function defaultLifecycle(lc: Lifecycle): void {
  for (const h of [lc.postStart, lc.preStop]) if (h?.httpGet) defaultHTTPGet(h.httpGet);
}

function defaultHTTPGet(h: HTTPGetAction): void {
  h.path ||= '/';
  h.scheme ||= 'HTTP';
}

/** A limit without a request means the container asks for what it may use (SetDefaults_Pod). */
function defaultRequestsFromLimits(r: ResourceRequirements): void {
  if (!r.limits) return;
  for (const [name, q] of Object.entries(r.limits)) {
    r.requests ??= {};
    if (!Object.hasOwn(r.requests, name)) r.requests[name] = q;
  }
}
