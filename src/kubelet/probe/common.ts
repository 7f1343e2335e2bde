// What every probe shares (pkg/probe and pkg/kubelet/prober): the target and result shapes, Go's
// way of printing errors and URLs (the kubelet's messages are Go's), named ports, and dialing
// inside the pod's network namespace (so a probe's default host is the pod, not the host).
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as util from 'node:util';
import type { ContainerPort, EnvVar } from 'kubernetes-types/core/v1';
import { ValidationError } from '../../errors';
import type { ExecTarget } from '../../runtime/exec';
import { connectInPod, DialError } from '../../runtime/pod-connect';

/** The Kubernetes minor release whose kubelet we imitate (User-Agent `kube-probe/1.30`). */
export const KUBE_VERSION = '1.30';
/** The kubelet reads at most this much exec output and HTTP body (maxReadLength, maxRespBodyLength). */
export const MAX_OUTPUT_BYTES = 10 * 1024;

export interface ProbeTarget {
  container: ExecTarget;
  /** The container's ports, for named ports. */
  ports: ContainerPort[];
  rootless: boolean;
  /** The pod's address; the default host of probes. 127.0.0.1 (the pod's loopback) when unset. */
  podIP?: string;
  /** The container's env from the spec: `$(VAR)` in exec probe commands expands with it (static values only). */
  env?: EnvVar[];
  /** For hook messages: the container name and the pod as the kubelet prints it (`podRef`). */
  names?: { container: string; pod: string };
}

export interface ProbeResult {
  result: 'success' | 'failure' | 'unknown';
  /** The kubelet's probe output: the command's output, the response body, or the error. */
  output: string;
  /** A success the kubelet reports with a ProbeWarning event (a redirect it did not follow). */
  warning?: boolean;
}

// ---- formatting, as Go prints things

/** Go's %q for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || c === 0xfffd) out += c <= 0xff ? '\\u' + c.toString(16).padStart(4, '0') : ch;
    else out += ch;
  }
  return out + '"';
}

/** Go's time.Duration String for whole milliseconds: 1s, 500ms, 1.5s, 1m0s, 1h0m0s. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const secs = `${Math.floor(rest / 1000)}${rest % 1000 ? '.' + String(rest % 1000).padStart(3, '0').replace(/0+$/, '') : ''}s`;
  if (h) return `${h}h${m}m${secs}`;
  if (m) return `${m}m${secs}`;
  return secs;
}

/** net.JoinHostPort: brackets around an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatURL of pkg/probe/http/request.go, printed as Go's url.URL.String(). */
export function probeURL(scheme: string, host: string, port: number, path: string): string {
  const { pathname, rest } = splitPath(path);
  const p = pathname && !pathname.startsWith('/') ? '/' + pathname : pathname;
  return `${scheme}://${joinHostPort(host, port)}${p}${rest}`;
}

/** The request line's target: the path (`/` when empty) and query, without a fragment. */
export function requestTarget(path: string): string {
  const { pathname, rest } = splitPath(path.replace(/#.*$/, ''));
  return (pathname.startsWith('/') ? pathname : '/' + pathname) + rest;
}

export function splitPath(path: string): { pathname: string; rest: string } {
  const i = path.search(/[?#]/);
  return i < 0 ? { pathname: path, rest: '' } : { pathname: path.slice(0, i), rest: path.slice(i) };
}

/** syscall.Errno's text on Linux, for the errors a dial meets. */
const GO_ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENETUNREACH: 'network is unreachable',
  EHOSTUNREACH: 'no route to host',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EINVAL: 'invalid argument',
  ESRCH: 'no such process',
  EPIPE: 'broken pipe',
};

export function errnoText(code: string, errno: number): string {
  return GO_ERRNO_TEXT[code] ?? util.getSystemErrorMap().get(-errno)?.[1] ?? code;
}

/** A dial error as Go's net.OpError prints it: `dial tcp 127.0.0.1:81: connect: connection refused`. */
export function dialErrorMessage(hostport: string, e: { code: string; errno: number; syscall: string; timedOut?: boolean; message?: string }): string {
  if (e.timedOut) return `dial tcp ${hostport}: i/o timeout`;
  if (e.syscall === 'connect' || e.syscall === 'socket') return `dial tcp ${hostport}: ${e.syscall}: ${errnoText(e.code, e.errno)}`;
  return `dial tcp ${hostport}: ${e.syscall}: ${e.message ?? errnoText(e.code, e.errno)}`;
}

/** format.Pod: how the kubelet names a pod in messages, `name_namespace(uid)`. */
export function podRef(name: string, namespace: string, uid: string): string {
  return `${name}_${namespace}(${uid})`;
}

/** The kubelet's event message for a probe result (prober.go), or undefined for a plain success. */
export function probeEventMessage(kind: 'Liveness' | 'Readiness' | 'Startup', r: ProbeResult): { reason: 'Unhealthy' | 'ProbeWarning'; message: string } | undefined {
  if (r.result === 'success') return r.warning ? { reason: 'ProbeWarning', message: `${kind} probe warning: ${r.output}` } : undefined;
  if (r.result === 'unknown') return { reason: 'Unhealthy', message: `${kind} probe errored and resulted in unknown state: ${r.output}` };
  return { reason: 'Unhealthy', message: `${kind} probe failed: ${r.output}` };
}

// ---- ports

/**
 * probe.ResolveContainerPort: a number is the port; a string is the name of one of the
 * container's ports. Throws ValidationError(field, the kubelet's message) otherwise.
 */
export function resolvePort(port: number | string, ports: ContainerPort[], field: string): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const found = ports.find((p) => p.name === port);
    if (!found) throw new ValidationError(field, `port ${goQuote(port)} not found`);
    n = found.containerPort;
  }
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  throw new ValidationError(field, `invalid port number: ${n}`);
}

// ---- dialing inside the pod

export class GoError extends Error {}

export async function resolveHost(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  // Names resolve on the host, as the kubelet resolves them on the node.
  try {
    return (await dns.promises.lookup(host)).address;
  } catch {
    throw new GoError(`dial tcp: lookup ${host}: no such host`);
  }
}

/** A connected socket in the pod, or a GoError with the dial message. */
export async function dial(target: ProbeTarget, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const ip = await resolveHost(host);
  try {
    return await connectInPod({ process: target.container.process, rootless: target.rootless }, ip, port, timeoutMs);
  } catch (e) {
    if (e instanceof DialError) throw new GoError(dialErrorMessage(joinHostPort(host, port), e));
    throw e;
  }
}

export function defaultHost(target: ProbeTarget): string {
  return target.podIP || '127.0.0.1';
}
