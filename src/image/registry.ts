// A client of the OCI distribution API, enough to pull: the /v2/ ping, the WWW-Authenticate
// challenge (anonymous or basic bearer tokens, or basic auth), manifests with content
// negotiation (OCI and Docker schema 2, images and indexes), and blobs written to a file with
// their digest and size checked, resuming a partial download with a Range request. HTTPS
// trusts the system's CAs plus the registry's certs.d ones, with its client certificate if any.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { PodrunError } from '../errors';
import { hashFileInto, sha256File } from './digest';
import { certsDirs, registryTls, type RegistryTls } from './registry-tls';
import { isLoopbackRegistry, type RemoteRef } from './remote-ref';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** A pull that failed; `message` is what the registry said, when it said something. */
export class PullError extends PodrunError {
  constructor(
    message: string,
    readonly status?: number,
    /** The network failed (no answer, or the answer broke off), rather than the registry saying no. */
    readonly network = false,
  ) {
    // A reference the registry does not have is NotFound (what a CRI client reads), the rest Invalid.
    super(status === 404 ? 'NotFound' : 'Invalid', message);
    this.name = 'PullError';
  }

  /** Worth trying again shortly: the network, or a registry that is overloaded or failing (429, 5xx). */
  get transient(): boolean {
    return this.network || this.status === 429 || (this.status !== undefined && this.status >= 500);
  }
}

export interface Credentials {
  username: string;
  password: string;
}

/** auth.json as podman and skopeo write it (and Docker's config.json): `auths.<registry>.auth` = base64(user:password). */
export function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const home = env.HOME || os.homedir();
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR && path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
    path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json'),
    path.join(home, '.docker', 'config.json'),
  ].filter((f): f is string => !!f);
  for (const f of files) {
    let auths: Record<string, { auth?: string }> | undefined;
    try {
      auths = (JSON.parse(fs.readFileSync(f, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths;
    } catch {
      continue;
    }
    const keys = registry === 'docker.io' ? ['docker.io', 'https://index.docker.io/v1/', 'index.docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
    for (const k of keys) {
      const a = auths?.[k]?.auth;
      if (!a) continue;
      const text = Buffer.from(a, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
  }
  return undefined;
}

/** Where `podrun login` writes: $REGISTRY_AUTH_FILE, else podman's ${XDG_RUNTIME_DIR}/containers/auth.json. */
export function authFileForWriting(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'containers', 'auth.json');
}

/** Adds (or with `credentials` undefined, removes) a registry's entry; the file stays owner-only. Returns whether it changed. */
export function writeCredentials(file: string, registry: string, credentials: Credentials | undefined): boolean {
  let doc: { auths?: Record<string, { auth?: string }> } = {};
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof doc;
  } catch {
    /* a new file */
  }
  doc.auths ??= {};
  const had = registry in doc.auths;
  if (credentials) doc.auths[registry] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  else delete doc.auths[registry];
  if (!credentials && !had) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return true;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or Basic). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m; (m = re.exec(sp < 0 ? '' : header.slice(sp + 1))); ) params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

/** What went wrong, in the registry's words when it answered with its JSON errors. */
function errorText(res: HttpResponse, body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return `${e.code ?? res.status}: ${e.message ?? ''}`.trim();
  } catch {
    /* not the registry's JSON */
  }
  return `${res.status} ${res.statusText}${text ? `: ${text.trim().slice(0, 200)}` : ''}`;
}

/** A response whose body is still to be read (or drained). */
interface HttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/**
 * The most of a manifest, an error or a token answer that is read: distribution's client and
 * moby refuse a manifest over 4 MiB; without a bound an endless answer filled the heap.
 */
const MAX_ANSWER_BYTES = 4 << 20;

/** Without a byte for this long the registry is given up on (the kubelet's old image-pull-progress-deadline: 1 min). */
const IDLE_TIMEOUT_MS = 60_000;

async function readAll(res: HttpResponse, what = 'the registry'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of res.body) {
    total += (c as Buffer).length;
    if (total > MAX_ANSWER_BYTES) {
      res.body.destroy();
      throw new PullError(`${what}: the registry's answer is over ${MAX_ANSWER_BYTES} bytes: refused`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const header = (res: HttpResponse, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export class RegistryClient {
  private readonly base: string;
  private authorization?: string;
  /** Whether a request has gone through (anonymously or with `authorization`): no challenge is pending. */
  private admitted = false;
  private readonly creds?: Credentials;
  /** certs.d's CAs and client certificate for an HTTPS registry. */
  private readonly tls?: RegistryTls;

  /** Aborts every request of this client (the pull was given up). */
  private readonly signal?: AbortSignal;
  private readonly idleTimeoutMs: number;

  constructor(
    private readonly ref: RemoteRef,
    opts: { insecure?: boolean; credentials?: Credentials; signal?: AbortSignal; idleTimeoutMs?: number } = {},
  ) {
    this.signal = opts.signal;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    const insecure = opts.insecure ?? isLoopbackRegistry(ref.registry);
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    this.base = `${insecure ? 'http' : 'https'}://${host}`;
    this.creds = opts.credentials ?? findCredentials(ref.registry);
    try {
      if (!insecure) this.tls = registryTls(host);
    } catch (e) {
      throw new PullError(`${ref.registry}: certs.d: ${(e as Error).message}`);
    }
  }

  /**
   * One HTTP exchange through node:http(s), following redirects (registries send blobs to their
   * storage) without our credentials or client certificate off the registry's host. fetch would
   * not take certs.d's CAs, and its web streams cost a quarter of a pull's time on blobs.
   */
  private exchange(url: string, opts: { method?: string; headers?: Record<string, string> }, what: string, hops = 0): Promise<HttpResponse> {
    const u = new URL(url);
    const sameHost = u.origin === new URL(this.base).origin;
    const headers = { ...opts.headers, ...(sameHost && this.authorization ? { authorization: this.authorization } : {}) };
    return new Promise<HttpResponse>((resolve, reject) => {
      // A redirect or a token realm elsewhere than HTTP(S) (ftp://, file:) is refused: node:http
      // threw a bare TypeError for it.
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        reject(new PullError(`${what}: the registry sent us to ${u.protocol}//${u.host}, not HTTP or HTTPS`));
        return;
      }
      const secure = u.protocol === 'https:';
      const tlsOpts = secure && this.tls ? { ca: this.tls.ca, ...(sameHost && this.tls.cert ? { cert: this.tls.cert, key: this.tls.key } : {}) } : {};
      const req = (secure ? https : http).request(u, { method: opts.method ?? 'GET', headers, signal: this.signal, ...tlsOpts }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location && hops < 5) {
          res.resume();
          // A Location that is no URL (`//`, `http://[::1`) was an uncaught TypeError here,
          // thrown in the response callback: it ended the whole process (found by fuzzing).
          let next: URL;
          try {
            next = new URL(location, u);
          } catch {
            reject(new PullError(`${what}: the registry redirected to ${JSON.stringify(location)}, which is not a URL`));
            return;
          }
          resolve(this.exchange(next.toString(), { ...opts, headers: opts.headers }, what, hops + 1));
          return;
        }
        resolve({ status, statusText: res.statusMessage ?? http.STATUS_CODES[status] ?? '', headers: res.headers, body: res });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A TLS failure says where certificates would come from: the usual fix is a certs.d file.
        const tlsFailure = secure && (/CERT|^ERR_SSL|^ERR_TLS/.test(e.code ?? '') || /certificate|SSL|TLS/.test(e.message));
        const hint = !tlsFailure ? '' : this.tls ? ` (certificates from ${this.tls.dir})` : ` (no certs.d directory for ${u.host} in ${certsDirs().join(', ')})`;
        reject(new PullError(`${what}: cannot reach ${u.origin}: ${e.message}${hint}`, undefined, !tlsFailure));
      });
      // A registry that goes quiet (before its answer or in the middle of a body) is given up on;
      // the error reaches a body being read as well.
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(new Error(`no bytes for ${this.idleTimeoutMs / 1000} s`)));
      req.end();
    });
  }

  /** One request, answering the registry's auth challenge once. */
  private async request(url: string, opts: { method?: string; headers?: Record<string, string> }, what: string): Promise<HttpResponse> {
    let res = await this.exchange(url, opts, what);
    if (res.status !== 401) {
      this.admitted = true;
      return res;
    }
    const challenge = header(res, 'www-authenticate');
    res.body.resume();
    if (!challenge) throw new PullError(`${what}: the registry answered 401 without a challenge`, 401);
    await this.authenticate(challenge, what);
    res = await this.exchange(url, opts, what);
    if (res.status === 401) throw new PullError(`${what}: ${errorText(res, await readAll(res, what))}`, 401);
    this.admitted = true;
    return res;
  }

  private async authenticate(challengeHeader: string, what: string): Promise<void> {
    const { scheme, params } = parseChallenge(challengeHeader);
    const basic = this.creds ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` : undefined;
    if (scheme === 'basic') {
      if (!basic) throw new PullError(`${what}: the registry requires authentication (${challengeHeader}) and no credentials were found: use podrun login or an auth.json`, 401);
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw new PullError(`${what}: unsupported authentication challenge: ${challengeHeader}`, 401);
    let u: URL;
    try {
      u = new URL(params.realm);
    } catch {
      throw new PullError(`${what}: the token service ${JSON.stringify(params.realm)} is not a URL`, 401);
    }
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    // The token service is another host: our basic credentials go there explicitly.
    const res = await this.exchange(u.toString(), { headers: basic ? { authorization: basic } : {} }, `${what}: token service`);
    const body = await readAll(res, `${what}: token service`);
    if (res.status !== 200) throw new PullError(`${what}: token service: ${errorText(res, body)}`, res.status);
    let token: string | undefined;
    try {
      const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
      token = j.token ?? j.access_token;
    } catch {
      /* said below */
    }
    if (!token) throw new PullError(`${what}: the token service answered without a token`);
    this.authorization = `Bearer ${token}`;
  }

  /** The /v2/ ping, answering the challenge: resolves when the registry accepts us. */
  async ping(): Promise<void> {
    const what = this.ref.registry;
    const res = await this.request(`${this.base}/v2/`, {}, what);
    res.body.resume();
    if (res.status !== 200) throw new PullError(`${what}: ${res.status} ${res.statusText}`, res.status);
  }

  /** A manifest (or index) by tag or digest: its bytes, media type and digest (checked when asked by digest). */
  async manifest(reference: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const what = `${this.ref.registry}/${this.ref.repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    const res = await this.request(`${this.base}/v2/${this.ref.repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES.join(', ') } }, what);
    const body = await readAll(res, what);
    if (res.status !== 200) throw new PullError(`${what}: ${errorText(res, body)}`, res.status);
    const digest = `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) throw new PullError(`${what}: the manifest has digest ${digest}`);
    let mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    try {
      mediaType = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType;
    } catch {
      throw new PullError(`${what}: the manifest is not JSON`);
    }
    return { body, mediaType, digest };
  }

  /**
   * A blob's body as it arrives, for unpacking while it downloads. Nothing here checks it: the
   * caller hashes it on the way (LayerDecodeStream) and keeps nothing made from it unless it
   * matches the digest.
   */
  async blobBody(digest: string): Promise<Readable> {
    const what = `${this.ref.registry}/${this.ref.repository}@${digest}`;
    const url = `${this.base}/v2/${this.ref.repository}/blobs/${digest}`;
    // No request has gone through yet (a blob before any manifest): the challenge is answered first.
    const res = this.admitted ? await this.exchange(url, {}, what) : await this.request(url, {}, what);
    if (res.status !== 200) throw new PullError(`${what}: ${errorText(res, await readAll(res, what))}`, res.status);
    return res.body;
  }

  /** The refusal of a blob whose bytes are not what the manifest says, or undefined when they are. */
  blobMismatch(digest: string, size: number | undefined, actual: string, total: number): PullError | undefined {
    if (actual === digest && (size === undefined || total === size)) return undefined;
    return new PullError(`${this.ref.registry}/${this.ref.repository}@${digest}: the blob has digest ${actual} and ${total} bytes${size !== undefined ? ` (want ${size})` : ''}: refused`);
  }

  /**
   * A blob into `dest`, its digest and size verified; bytes already in `dest.partial` from an
   * interrupted attempt are kept and the rest asked for with Range. Nothing appears at `dest`
   * unless it is complete and correct.
   */
  async blob(digest: string, size: number | undefined, dest: string, onProgress?: (bytes: number) => void): Promise<void> {
    const what = `${this.ref.registry}/${this.ref.repository}@${digest}`;
    const partial = `${dest}.partial`;
    let have = 0;
    try {
      have = fs.statSync(partial).size;
    } catch {
      /* a fresh download */
    }
    if (size !== undefined && have > size) {
      fs.rmSync(partial, { force: true });
      have = 0;
    }
    if (size !== undefined && have === size) {
      // All of it arrived before (the pull stopped after the download): check it, no request.
      if (sha256File(partial) === digest) {
        fs.renameSync(partial, dest);
        return;
      }
      fs.rmSync(partial, { force: true });
      have = 0;
    }
    const res = await this.request(`${this.base}/v2/${this.ref.repository}/blobs/${digest}`, { headers: have ? { range: `bytes=${have}-` } : {} }, what);
    if (res.status !== 200 && res.status !== 206) throw new PullError(`${what}: ${errorText(res, await readAll(res, what))}`, res.status);
    if (have && res.status !== 206) have = 0; // the registry ignored the range: start over
    const hash = crypto.createHash('sha256');
    if (have) hashFileInto(hash, partial);
    const out = fs.openSync(partial, have ? 'a' : 'w', 0o600);
    let total = have;
    let over = false;
    try {
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        // More than the manifest says: refused now, not once an endless body has filled the disk.
        if (size !== undefined && total > size) {
          over = true;
          break;
        }
        hash.update(chunk as Buffer);
        fs.writeSync(out, chunk as Buffer);
        onProgress?.(total);
      }
    } catch (e) {
      // What arrived stays in the partial file for the next attempt.
      throw new PullError(`${what}: the download broke off after ${total}${size !== undefined ? ` of ${size}` : ''} bytes (${(e as Error).message}); pulling again resumes from there`, undefined, true);
    } finally {
      fs.closeSync(out);
    }
    if (over) {
      fs.rmSync(partial, { force: true });
      throw new PullError(`${what}: the registry sent more than the ${size} bytes the manifest gives the blob: refused`);
    }
    const refused = this.blobMismatch(digest, size, `sha256:${hash.digest('hex')}`, total);
    if (refused) {
      fs.rmSync(partial, { force: true });
      throw refused;
    }
    fs.renameSync(partial, dest);
  }
}
