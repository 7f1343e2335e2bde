// The engine's socket (serve.sock in the state root): HTTP with JSON bodies over a unix socket,
// owner-only. The CLI and any Node program that does not own the root talk to the engine here.
import type { ResizePatch } from '../cgroups/resize';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { EphemeralContainer, Event, Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../api/manifest';
import { MAX_MANIFEST_BYTES } from '../api/input-limits';
import { PodrunError, ValidationError, NotFoundError, type ErrorCode } from '../errors';
import type { Engine } from '../kubelet/engine';
import type { ApplyResult } from '../types';
import { AsyncQueue } from '../store/queue';
import type { WatchLine, WatchRequest } from '../store/watch-stream';
import type { PropagationPolicy } from '../controllers/garbage-collector';

export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
  detail?: string;
  hint?: string;
  object?: { kind: string; name: string };
}

export function toWire(e: unknown): WireError {
  if (e instanceof ValidationError) return { code: e.code, message: e.message, field: e.field, detail: e.detail, hint: e.hint, ...(e.object ? { object: e.object } : {}) };
  if (e instanceof PodrunError) return { code: e.code, message: e.message, hint: e.hint };
  return { code: 'Internal', message: e instanceof Error ? e.message : String(e) };
}

export function fromWire(w: WireError): PodrunError {
  if (w.code === 'Invalid' && w.field !== undefined && w.detail !== undefined) return new ValidationError(w.field, w.detail, w.object);
  if (w.code === 'NotFound') {
    const m = /^(\S+) "(.*)" not found$/.exec(w.message);
    if (m) return new NotFoundError(m[1], m[2]);
  }
  return new PodrunError(w.code, w.message, w.hint);
}

/** The largest request body the engine reads: several manifests' objects, each at most 3 MiB. */
const MAX_BODY_BYTES = 8 * MAX_MANIFEST_BYTES;

const STATUS: Partial<Record<ErrorCode, number>> = { Invalid: 422, NotFound: 404, AlreadyExists: 409, Conflict: 409, Timeout: 504, Unsupported: 501, Expired: 410 };

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      // An apply's objects are each within the API server's 3 MiB; a body of many is bounded too.
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(new PodrunError('Invalid', `the request is over ${MAX_BODY_BYTES} bytes, the engine's limit`));
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

/** The watch as a stream of JSON lines, open until the client goes or the server closes. */
function streamWatch(engine: Engine, url: URL, res: http.ServerResponse): void {
  const q = url.searchParams;
  const since = q.get('since');
  const req: WatchRequest = {
    ...(q.get('namespace') !== null ? { namespace: q.get('namespace')! } : {}),
    ...(q.get('kinds') ? { kinds: q.get('kinds')!.split(',') } : {}),
    ...(since !== null ? { since: Number(since) } : {}),
  };
  let head = false;
  const send = (line: WatchLine) => {
    if (!head) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      head = true;
    }
    res.write(JSON.stringify(line) + '\n');
  };
  // Throws (Expired) before anything is sent: the caller answers with the error.
  const stop = engine.watch(req, send);
  res.once('close', stop);
}

export function serveEngine(engine: Engine, socketPath: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://podrun');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      let body: unknown;
      try {
        if (parts[0] !== 'v1') throw new NotFoundError('path', url.pathname);
        const [, resource, a, b, c] = parts;
        if (req.method === 'POST' && resource === 'apply') {
          const results = await engine.apply(((await readBody(req)) as { objects: KubeObject[] }).objects);
          body = results.map((r) => (r.error ? { ...r, error: toWire(r.error) } : r));
        } else if (req.method === 'POST' && resource === 'pods' && a === undefined) {
          body = await engine.createPod((await readBody(req)) as Pod);
        } else if (req.method === 'GET' && resource === 'watch' && a === undefined) {
          streamWatch(engine, url, res);
          return;
        } else if (req.method === 'GET' && resource === 'pods' && a === undefined) {
          body = engine.listPods(url.searchParams.get('namespace') ?? undefined);
        } else if (req.method === 'GET' && resource === 'pods') {
          body = engine.getPod(a, b);
        } else if (req.method === 'PATCH' && resource === 'pods' && c === 'resize') {
          body = await engine.resizePod(a, b, (await readBody(req)) as ResizePatch);
        } else if (req.method === 'POST' && resource === 'pods' && c === 'ephemeralcontainers') {
          body = await engine.addEphemeralContainer(a, b, (await readBody(req)) as EphemeralContainer);
        } else if (req.method === 'DELETE' && resource === 'pods') {
          const grace = url.searchParams.get('grace');
          await engine.deletePod(a, b, grace === null ? undefined : Number(grace));
          body = {};
        } else if (req.method === 'DELETE' && resource === 'objects') {
          body = { found: engine.deleteObject(a, b, c, (url.searchParams.get('policy') as PropagationPolicy | null) ?? undefined) };
        } else if (req.method === 'GET' && resource === 'objects' && b === undefined) {
          body = engine.listObjects(a, url.searchParams.get('namespace') ?? undefined);
        } else if (req.method === 'GET' && resource === 'objects') {
          body = engine.getObject(a, b, c);
        } else if (req.method === 'PUT' && resource === 'objects') {
          body = engine.updateObject((await readBody(req)) as KubeObject);
        } else if (req.method === 'POST' && resource === 'objects' && parts[5] === 'scale') {
          body = engine.scale(a, b, c, ((await readBody(req)) as { replicas: number }).replicas);
        } else if (req.method === 'GET' && resource === 'nodes' && a === undefined) {
          body = engine.listNodes();
        } else if (req.method === 'GET' && resource === 'events' && a === undefined) {
          body = engine.listEvents(url.searchParams.get('namespace') || undefined, url.searchParams.get('pod') || undefined);
        } else if (req.method === 'POST' && resource === 'system' && a === 'reset') {
          body = { removed: await engine.reset() };
          // Nothing is left to serve: the serve ends once this answer is out (its SIGTERM path).
          res.once('finish', () => process.kill(process.pid, 'SIGTERM'));
        } else if (req.method === 'GET' && resource === 'healthz') {
          body = { ok: true, pid: process.pid };
        } else {
          throw new NotFoundError('path', url.pathname);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      } catch (e) {
        const w = toWire(e);
        res.writeHead(STATUS[w.code] ?? 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: w }));
      }
    })();
  });
  return new Promise((resolve, reject) => {
    fs.rmSync(socketPath, { force: true });
    server.once('error', reject);
    server.listen(socketPath, () => {
      fs.chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}

const objectPath = (kind: string, namespace: string, name: string): string => `/v1/objects/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

/** The client side: the same operations as the engine, over its socket. */
export class EngineClient {
  constructor(private readonly socketPath: string) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        { socketPath: this.socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              reject(new PodrunError('Internal', `podrun serve answered ${res.statusCode} without JSON`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) reject(fromWire((parsed as { error: WireError }).error));
            else resolve(parsed as T);
          });
        },
      );
      req.on('error', (e) => reject(new PodrunError('Internal', `cannot reach podrun serve at ${this.socketPath}: ${e.message}`)));
      req.end(data);
    });
  }

  healthz(): Promise<{ ok: boolean; pid: number }> {
    return this.call('GET', '/v1/healthz');
  }
  async apply(objects: KubeObject[]): Promise<ApplyResult[]> {
    const results = await this.call<(Omit<ApplyResult, 'error'> & { error?: WireError })[]>('POST', '/v1/apply', { objects });
    return results.map((r) => (r.error ? { ...r, error: fromWire(r.error) } : (r as ApplyResult)));
  }
  createPod(pod: Pod): Promise<Pod> {
    return this.call('POST', '/v1/pods', pod);
  }
  listPods(namespace?: string): Promise<Pod[]> {
    return this.call('GET', `/v1/pods${namespace === undefined ? '' : `?namespace=${encodeURIComponent(namespace)}`}`);
  }
  /** The engine's watch (WatchRequest), line by line, until the server ends it or `signal` aborts. */
  async *watch(req: WatchRequest, signal?: AbortSignal): AsyncGenerator<WatchLine> {
    const q = new URLSearchParams();
    if (req.namespace !== undefined) q.set('namespace', req.namespace);
    if (req.kinds) q.set('kinds', req.kinds.join(','));
    if (req.since !== undefined) q.set('since', String(req.since));
    const lines = new AsyncQueue<WatchLine>();
    const r = http.request({ socketPath: this.socketPath, method: 'GET', path: `/v1/watch?${q.toString()}` }, (res) => {
      res.setEncoding('utf8');
      let rest = '';
      if ((res.statusCode ?? 500) >= 400) {
        res.on('data', (d: string) => (rest += d));
        res.on('end', () => {
          try {
            lines.fail(fromWire((JSON.parse(rest) as { error: WireError }).error));
          } catch {
            lines.fail(new PodrunError('Internal', `podrun serve answered ${res.statusCode} without JSON`));
          }
        });
        return;
      }
      res.on('data', (d: string) => {
        const parts = (rest + d).split('\n');
        rest = parts.pop()!;
        for (const p of parts) if (p) lines.push(JSON.parse(p) as WatchLine);
      });
      res.on('end', () => lines.end());
      res.on('error', () => lines.end());
    });
    r.on('error', (e) => lines.fail(new PodrunError('Internal', `cannot reach podrun serve at ${this.socketPath}: ${e.message}`)));
    const abort = () => {
      r.destroy();
      lines.end();
    };
    if (signal?.aborted) return;
    signal?.addEventListener('abort', abort, { once: true });
    r.end();
    try {
      yield* lines;
    } finally {
      signal?.removeEventListener('abort', abort);
      r.destroy();
    }
  }
  getPod(namespace: string, name: string): Promise<Pod> {
    return this.call('GET', `/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
  }
  addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer): Promise<Pod> {
    return this.call('POST', `/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/ephemeralcontainers`, container);
  }
  resizePod(namespace: string, name: string, patch: ResizePatch): Promise<Pod> {
    return this.call('PATCH', `/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/resize`, patch);
  }
  async deletePod(namespace: string, name: string, grace?: number): Promise<void> {
    await this.call('DELETE', `/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${grace === undefined ? '' : `?grace=${grace}`}`);
  }
  listEvents(namespace?: string, pod?: string): Promise<Event[]> {
    const q = new URLSearchParams();
    if (namespace !== undefined) q.set('namespace', namespace);
    if (pod !== undefined) q.set('pod', pod);
    const query = q.toString();
    return this.call('GET', `/v1/events${query ? `?${query}` : ''}`);
  }
  listNodes(): Promise<Node[]> {
    return this.call('GET', '/v1/nodes');
  }

  async reset(): Promise<string[]> {
    return (await this.call<{ removed: string[] }>('POST', '/v1/system/reset')).removed;
  }
  async deleteObject(kind: string, namespace: string, name: string, policy?: PropagationPolicy): Promise<boolean> {
    return (await this.call<{ found: boolean }>('DELETE', `${objectPath(kind, namespace, name)}${policy ? `?policy=${policy}` : ''}`)).found;
  }
  getObject(kind: string, namespace: string, name: string): Promise<KubeObject> {
    return this.call('GET', objectPath(kind, namespace, name));
  }
  listObjects(kind: string, namespace?: string): Promise<KubeObject[]> {
    return this.call('GET', `/v1/objects/${kind}${namespace === undefined ? '' : `?namespace=${encodeURIComponent(namespace)}`}`);
  }
  scale(kind: string, namespace: string, name: string, replicas: number): Promise<KubeObject> {
    return this.call('POST', `${objectPath(kind, namespace, name)}/scale`, { replicas });
  }
  updateObject(obj: KubeObject): Promise<KubeObject> {
    return this.call('PUT', '/v1/objects', obj);
  }
}
