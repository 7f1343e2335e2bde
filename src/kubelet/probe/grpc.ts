// grpc probes (pkg/probe/grpc): grpc.health.v1.Health/Check over node:http2, with the protobuf
// messages encoded by hand (two fields), from inside the pod.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as http from 'node:http';
import type { GRPCAction } from 'kubernetes-types/core/v1';
import { defaultHost, dial, GoError, goDuration, goQuote, joinHostPort, KUBE_VERSION, type ProbeResult, type ProbeTarget } from './common';

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

export async function grpcProbe(action: GRPCAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
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
