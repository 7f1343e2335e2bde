// Probe execution as the kubelet does it (pkg/kubelet/prober, pkg/probe/{exec,http,tcp,grpc}),
// with the kubelet's results and messages, but run *inside the pod*: exec in the container's
// namespaces, and TCP, HTTP and gRPC over sockets made in the pod's network namespace (so the
// default host, the pod's own address or 127.0.0.1, means the pod and not the host). No
// scheduling here: one call, one probe; periods and thresholds belong to the caller.
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as util from 'node:util';
import type { ContainerPort, EnvVar, ExecAction, GRPCAction, HTTPGetAction, Probe, TCPSocketAction } from 'kubernetes-types/core/v1';
import { ValidationError } from '../errors';
import { expand } from '../plan/env';
import { execInContainer, type ExecTarget } from '../runtime/exec';
import { connectInPod, DialError } from '../runtime/pod-connect';

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

function splitPath(path: string): { pathname: string; rest: string } {
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

function errnoText(code: string, errno: number): string {
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

class GoError extends Error {}

async function resolveHost(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  // Names resolve on the host, as the kubelet resolves them on the node.
  try {
    return (await dns.promises.lookup(host)).address;
  } catch {
    throw new GoError(`dial tcp: lookup ${host}: no such host`);
  }
}

/** A connected socket in the pod, or a GoError with the dial message. */
async function dial(target: ProbeTarget, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const ip = await resolveHost(host);
  try {
    return await connectInPod({ process: target.container.process, rootless: target.rootless }, ip, port, timeoutMs);
  } catch (e) {
    if (e instanceof DialError) throw new GoError(dialErrorMessage(joinHostPort(host, port), e));
    throw e;
  }
}

function defaultHost(target: ProbeTarget): string {
  return target.podIP || '127.0.0.1';
}

// ---- exec

interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr interleaved as they came, at most MAX_OUTPUT_BYTES */
  combined: string;
  timedOut: boolean;
}

/** Runs argv in the container without tty or stdin; kills it at the timeout (0: none). */
export async function execCollect(container: ExecTarget, argv: string[], timeoutMs: number): Promise<ExecOutcome> {
  const s = execInContainer(container, argv, { tty: false, stdin: false });
  const combined: Buffer[] = [];
  let combinedLen = 0;
  const streams: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  const lens = { stdout: 0, stderr: 0 };
  const collect = (which: 'stdout' | 'stderr') => (d: Buffer) => {
    // Keep draining past the cap, or a chatty command would block on a full pipe.
    if (combinedLen < MAX_OUTPUT_BYTES) {
      const part = d.subarray(0, MAX_OUTPUT_BYTES - combinedLen);
      combined.push(part);
      combinedLen += part.length;
    }
    if (lens[which] < MAX_OUTPUT_BYTES) {
      const part = d.subarray(0, MAX_OUTPUT_BYTES - lens[which]);
      streams[which].push(part);
      lens[which] += part.length;
    }
  };
  s.stdout.on('data', collect('stdout'));
  s.stderr?.on('data', collect('stderr'));
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), s.kill(9)), timeoutMs) : undefined;
  const { exitCode } = await s.exit;
  if (timer) clearTimeout(timer);
  return {
    exitCode,
    stdout: Buffer.concat(streams.stdout).toString('utf8'),
    stderr: Buffer.concat(streams.stderr).toString('utf8'),
    combined: Buffer.concat(combined).toString('utf8'),
    timedOut,
  };
}

/** ExpandContainerCommandOnlyStatic: `$(VAR)` from the container's env entries (valueFrom ones are ""). */
export function expandProbeCommand(command: string[], env: EnvVar[] = []): string[] {
  const values = new Map(env.map((e) => [e.name, e.value ?? '']));
  return command.map((c) => expand(c, (name) => values.get(name)));
}

async function execProbe(action: ExecAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const command = expandProbeCommand(action.command ?? [], target.env);
  let out: ExecOutcome;
  try {
    out = await execCollect(target.container, command, timeoutMs);
  } catch (e) {
    // The runtime could not start it (no such program, container gone): the kubelet's "errored".
    return { result: 'unknown', output: (e as Error).message };
  }
  // With ExecProbeTimeout (on since 1.20) a timeout fails the probe with the runtime's message.
  if (out.timedOut) return { result: 'failure', output: `command ${goQuote(command.join(' '))} timed out` };
  return { result: out.exitCode === 0 ? 'success' : 'failure', output: out.combined };
}

// ---- tcpSocket

async function tcpProbe(action: TCPSocketAction, target: ProbeTarget, timeoutMs: number, field: string): Promise<ProbeResult> {
  let port: number;
  try {
    port = resolvePort(action.port, target.ports, `${field}.port`);
  } catch (e) {
    return { result: 'unknown', output: (e as ValidationError).detail };
  }
  try {
    const s = await dial(target, action.host || defaultHost(target), port, timeoutMs);
    s.destroy();
    return { result: 'success', output: '' };
  } catch (e) {
    if (e instanceof GoError) return { result: 'failure', output: e.message };
    throw e;
  }
}

// ---- httpGet

export interface HTTPRequestSpec {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  /** Header name (Go-canonical) -> values */
  headers: Map<string, string[]>;
  /** The Host header override, '' for none */
  hostHeader: string;
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-custom-header` -> `X-Custom-Header`. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** NewRequestForHTTPGetAction: scheme, host (default the pod IP), port, path, headers, User-Agent, Accept. */
export function buildHTTPRequest(action: HTTPGetAction, target: Pick<ProbeTarget, 'ports' | 'podIP'>, purpose: 'probe' | 'lifecycle', field: string): HTTPRequestSpec {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const port = resolvePort(action.port, target.ports, `${field}.port`);
  const headers = new Map<string, string[]>();
  for (const h of action.httpHeaders ?? []) {
    const k = canonicalHeaderKey(h.name);
    headers.set(k, [...(headers.get(k) ?? []), h.value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [`kube-${purpose}/${KUBE_VERSION}`]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  else if (headers.get('Accept')![0] === '') headers.delete('Accept');
  const hostHeader = headers.get('Host')?.[0] ?? '';
  headers.delete('Host');
  return { scheme, host: action.host || target.podIP || '127.0.0.1', port, path: action.path ?? '', headers, hostHeader };
}

type HTTPOutcome =
  | { kind: 'response'; status: number; body: string; url: string; redirected: boolean }
  | { kind: 'error'; message: string };

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * Go's http.Client.Do for a probe: GET, no keep-alive, TLS without verification, redirects
 * followed within the same host name (up to 10) unless followNonLocal, one deadline for all.
 * A redirect to another host returns that 3xx response (ErrUseLastResponse).
 */
export async function doHTTPGet(spec: HTTPRequestSpec, target: ProbeTarget, timeoutMs: number, followNonLocal = false): Promise<HTTPOutcome> {
  const deadline = Date.now() + timeoutMs;
  let url = probeURL(spec.scheme, spec.host, spec.port, spec.path);
  const firstHost = spec.host;
  let cur = { scheme: spec.scheme as string, host: spec.host, port: spec.port, path: spec.path, hostHeader: spec.hostHeader };
  for (let hops = 0; ; hops++) {
    let res: { status: number; location?: string; body: string };
    try {
      res = await oneRequest(cur, spec.headers, target, deadline);
    } catch (e) {
      if (e instanceof GoError) return { kind: 'error', message: `Get ${goQuote(url)}: ${e.message}` };
      throw e;
    }
    if (!REDIRECT_CODES.has(res.status) || res.location === undefined) return { kind: 'response', status: res.status, body: res.body, url, redirected: hops > 0 };
    let next: URL;
    try {
      next = new URL(res.location, url);
    } catch {
      return { kind: 'error', message: `Get ${goQuote(url)}: failed to parse Location header ${goQuote(res.location)}` };
    }
    const nextURL = next.toString();
    const hostname = next.hostname.replace(/^\[|\]$/g, '');
    if (!followNonLocal && hostname !== firstHost) return { kind: 'response', status: res.status, body: res.body, url, redirected: hops > 0 };
    if (hops + 1 >= 10) return { kind: 'error', message: `Get ${goQuote(nextURL)}: stopped after 10 redirects` };
    const relative = !/^[a-z][a-z0-9+.-]*:/i.test(res.location);
    const scheme = next.protocol.replace(':', '');
    if (scheme !== 'http' && scheme !== 'https') return { kind: 'error', message: `Get ${goQuote(nextURL)}: unsupported protocol scheme ${goQuote(scheme)}` };
    cur = {
      scheme,
      host: hostname,
      port: next.port ? Number(next.port) : scheme === 'https' ? 443 : 80,
      path: next.pathname + next.search,
      // Go keeps a custom Host header through a redirect only when the Location is relative.
      hostHeader: relative ? cur.hostHeader : '',
    };
    url = nextURL;
  }
}

function goHTTPError(e: NodeJS.ErrnoException, phase: 'headers' | 'body'): string {
  if (e instanceof GoError) return e.message;
  if (e.code === 'ECONNRESET' && /socket hang up/.test(e.message)) return 'EOF';
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return `${phase === 'body' ? 'read' : 'write'}: ${errnoText(e.code, 0)}`;
  if (e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || e.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return 'http: server gave HTTP response to HTTPS client';
  if (e.code === 'HPE_INVALID_CONSTANT' || e.code?.startsWith('HPE_')) return `net/http: HTTP/1.x transport connection broken: malformed HTTP response`;
  return e.message;
}

async function oneRequest(
  cur: { scheme: string; host: string; port: number; path: string; hostHeader: string },
  headers: Map<string, string[]>,
  target: ProbeTarget,
  deadline: number,
): Promise<{ status: number; location?: string; body: string }> {
  const remaining = () => Math.max(0, deadline - Date.now());
  let sock: net.Socket;
  try {
    sock = await dial(target, cur.host, cur.port, remaining());
  } catch (e) {
    if (e instanceof GoError && /i\/o timeout$/.test(e.message)) throw new GoError(`${e.message} (Client.Timeout exceeded while awaiting headers)`);
    throw e;
  }
  let conn: net.Socket = sock;
  return new Promise((resolve, reject) => {
    let phase: 'headers' | 'body' = 'headers';
    let settled = false;
    const finish = (err: GoError | undefined, value?: { status: number; location?: string; body: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      sock.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      finish(
        new GoError(
          phase === 'headers'
            ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            : 'context deadline exceeded (Client.Timeout or context cancellation while reading body)',
        ),
      );
    }, remaining());
    const send = () => {
      const outHeaders: Record<string, string[] | string> = { Host: cur.hostHeader || joinHostPort(cur.host, cur.port) };
      for (const [k, v] of headers) outHeaders[k] = v;
      const req = http.request({
        createConnection: () => conn,
        method: 'GET',
        path: requestTarget(cur.path),
        headers: outHeaders,
        setHost: false,
      });
      req.on('error', (e) => finish(new GoError(goHTTPError(e, phase))));
      req.on('response', (res) => {
        phase = 'body';
        const chunks: Buffer[] = [];
        let len = 0;
        const done = () => {
          const loc = res.headers.location;
          finish(undefined, { status: res.statusCode ?? 0, location: Array.isArray(loc) ? loc[0] : loc, body: Buffer.concat(chunks).toString('utf8') });
        };
        res.on('data', (d: Buffer) => {
          if (len >= MAX_OUTPUT_BYTES) return;
          const part = d.subarray(0, MAX_OUTPUT_BYTES - len);
          chunks.push(part);
          len += part.length;
          // The kubelet stops reading at 10 KiB and closes the connection.
          if (len >= MAX_OUTPUT_BYTES) done();
        });
        res.on('end', done);
        res.on('error', (e) => finish(new GoError(goHTTPError(e, 'body'))));
        res.on('aborted', () => finish(new GoError('unexpected EOF')));
      });
      req.end();
    };
    if (cur.scheme === 'https') {
      // As the kubelet: TLS without verifying the certificate (InsecureSkipVerify).
      const t = tls.connect({ socket: sock, rejectUnauthorized: false, servername: net.isIP(cur.host) ? undefined : cur.host, ALPNProtocols: ['http/1.1'] });
      conn = t;
      t.once('secureConnect', send);
      t.once('error', (e) => finish(new GoError(goHTTPError(e, phase))));
    } else send();
  });
}

async function httpProbe(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number, field: string): Promise<ProbeResult> {
  let spec: HTTPRequestSpec;
  try {
    spec = buildHTTPRequest(action, target, 'probe', field);
  } catch (e) {
    if (e instanceof ValidationError) return { result: 'unknown', output: e.detail };
    throw e;
  }
  const out = await doHTTPGet(spec, target, timeoutMs);
  if (out.kind === 'error') return { result: 'failure', output: out.message };
  if (out.status >= 200 && out.status < 400) {
    if (out.status >= 300) return { result: 'success', warning: true, output: `Probe terminated redirects, Response body: ${out.body}` };
    return { result: 'success', output: out.body };
  }
  // The kubelet keeps the body out of this message (kubernetes#99425).
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${out.status}` };
}

// ---- grpc (grpc.health.v1.Health/Check over node:http2, protobuf by hand)

export const HEALTH_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export const GRPC_CODES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
] as const;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** HealthCheckRequest { string service = 1; } in protobuf (proto3: an empty string is omitted). */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  return s.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varint(s.length)]), s]);
}

/** HealthCheckResponse { ServingStatus status = 1; }: the status number (0 when absent); unknown fields are skipped. */
export function decodeHealthCheckResponse(buf: Buffer): number {
  let status = 0;
  let i = 0;
  const readVarint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint();
      if (field === 1) status = v;
    } else if (wire === 2) {
      const len = readVarint(); // not `i += readVarint()`: that would add to the old i
      i += len;
    }
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  if (i > buf.length) throw new Error('truncated message');
  return status;
}

/** A gRPC length-prefixed message: compressed flag 0, 4-byte big-endian length, bytes. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** The messages of a gRPC body; throws on a compressed or truncated one. */
export function grpcUnframe(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    if (i + 5 > body.length) throw new Error('truncated gRPC frame');
    if (body[i] !== 0) throw new Error('compressed gRPC message');
    const len = body.readUInt32BE(i + 1);
    if (i + 5 + len > body.length) throw new Error('truncated gRPC frame');
    out.push(body.subarray(i + 5, i + 5 + len));
    i += 5 + len;
  }
  return out;
}

/** grpc-go's mapping of a non-200 HTTP status to a gRPC code. */
function grpcCodeForHTTP(status: number): number {
  if (status === 400) return 13;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 12;
  if (status === 429 || status === 502 || status === 503 || status === 504) return 14;
  return 2;
}

function decodeGrpcMessage(m: string | undefined): string {
  if (!m) return '';
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

interface RpcOutcome {
  code: number;
  message: string;
  status?: number;
}

function healthCheck(sock: net.Socket, authority: string, service: string, timeoutMs: number): Promise<RpcOutcome | 'timeout'> {
  return new Promise((resolve) => {
    let settled = false;
    const session = http2.connect(`http://${authority}`, { createConnection: () => sock });
    const finish = (v: RpcOutcome | 'timeout') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    session.on('error', (e) => finish({ code: 14, message: `connection error: desc = ${goQuote(e.message)}` }));
    const req = session.request({
      ':method': 'POST',
      ':scheme': 'http',
      ':path': '/grpc.health.v1.Health/Check',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': `kube-probe/${KUBE_VERSION}`,
      'grpc-timeout': `${Math.max(1, timeoutMs)}m`,
    });
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) {
        grpcStatus = String(h['grpc-status']);
        grpcMessage = h['grpc-message'] as string | undefined;
      }
    });
    req.on('trailers', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = h['grpc-message'] as string;
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (e) => finish({ code: 14, message: e.message }));
    req.on('close', () => {
      if (httpStatus !== 200) {
        if (httpStatus === 0) return finish({ code: 14, message: 'connection closed before server preface received' });
        return finish({ code: grpcCodeForHTTP(httpStatus), message: `unexpected HTTP status code received from server: ${httpStatus} (${http.STATUS_CODES[httpStatus] ?? ''})` });
      }
      if (grpcStatus === undefined) return finish({ code: 13, message: 'server closed the stream without sending trailers' });
      const code = Number(grpcStatus);
      if (code !== 0) return finish({ code, message: decodeGrpcMessage(grpcMessage) });
      try {
        const msgs = grpcUnframe(Buffer.concat(chunks));
        if (msgs.length !== 1) return finish({ code: 13, message: `grpc: expected one response message, got ${msgs.length}` });
        finish({ code: 0, message: '', status: decodeHealthCheckResponse(msgs[0]) });
      } catch (e) {
        finish({ code: 13, message: `grpc: failed to unmarshal the received message: ${(e as Error).message}` });
      }
    });
    req.end(grpcFrame(encodeHealthCheckRequest(service)));
  });
}

async function grpcProbe(action: GRPCAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const host = defaultHost(target);
  const service = action.service ?? '';
  const addr = joinHostPort(host, action.port);
  const deadline = Date.now() + timeoutMs;
  // grpc.DialContext with WithBlock: keep trying to connect (grpc's back-off: 1 s, x1.6) until the deadline.
  let sock: net.Socket | undefined;
  for (let attempt = 0, backoff = 1000; !sock; attempt++, backoff *= 1.6) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      sock = await dial(target, host, action.port, left);
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      const wait = Math.min(backoff, deadline - Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  if (!sock) return { result: 'failure', output: `timeout: failed to connect service ${goQuote(addr)} within ${goDuration(timeoutMs)}: context deadline exceeded` };
  const out = await healthCheck(sock, addr, service, Math.max(0, deadline - Date.now()));
  if (out === 'timeout' || out.code === 4) return { result: 'failure', output: `timeout: health rpc did not complete within ${goDuration(timeoutMs)}` };
  if (out.code === 12) return { result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${out.message}` };
  if (out.code !== 0) return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GRPC_CODES[out.code] ?? `Code(${out.code})`} desc = ${out.message}` };
  if (out.status !== 1) {
    const name = HEALTH_STATUS[out.status ?? 0] ?? String(out.status);
    return { result: 'failure', output: `service unhealthy (responded with ${goQuote(name)})` };
  }
  return { result: 'success', output: 'service healthy' };
}

// ---- entry point

/**
 * Runs one probe against the target and reports the kubelet's result and output. `field` is the
 * probe's path in the pod (for port errors), e.g. `spec.containers[0].livenessProbe`.
 */
export async function runProbe(probe: Probe, target: ProbeTarget, timeoutMs: number, field = 'probe'): Promise<ProbeResult> {
  if (probe.exec) return execProbe(probe.exec, target, timeoutMs);
  if (probe.httpGet) return httpProbe(probe.httpGet, target, timeoutMs, `${field}.httpGet`);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, target, timeoutMs, `${field}.tcpSocket`);
  if (probe.grpc) return grpcProbe(probe.grpc, target, timeoutMs);
  return { result: 'unknown', output: `missing probe handler for ${target.names ? `${target.names.pod}:${target.names.container}` : 'container'}` };
}
