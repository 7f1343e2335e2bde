// httpGet probes and hooks (pkg/probe/http): the kubelet's request (headers, User-Agent,
// redirects followed only to the same host), over a socket made in the pod.
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { HTTPGetAction } from 'kubernetes-types/core/v1';
import { ValidationError } from '../../errors';
import { dial, errnoText, GoError, goQuote, joinHostPort, KUBE_VERSION, MAX_OUTPUT_BYTES, probeURL, requestTarget, resolvePort, type ProbeResult, type ProbeTarget } from './common';

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

export type HTTPOutcome =
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

export async function httpProbe(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number, field: string): Promise<ProbeResult> {
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
