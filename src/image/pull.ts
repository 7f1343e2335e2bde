// Pulling an image from a registry into the store: manifest (this platform's, from an index),
// config, then the layers not stored yet, downloaded side by side into the data root's blob
// folder and unpacked once each. Two pulls of one image in this process share the work.
import { acquireLock, releaseLock } from '../state/file-lock';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import { PodrunError } from '../errors';
import { LayerDecodeStream } from './layer-decode';
import { imageConfigOf, selectManifest, type ImageSource } from './oci-archive';
import { MANIFEST_TYPES, PullError, RegistryClient, type Credentials } from './registry';
import { loadRegistriesConf, registryEntry } from './registries-conf';
import { formatRemoteRef, localName, parseRemoteRef, searchCandidates, type RemoteRef } from './remote-ref';
import type { ImageStore } from './store';
import type { ImageRecord } from './types';

export interface PullProgress {
  /** A layer's blob: `start` (size known), `bytes` so far, `done` (or `cached`: already stored). */
  layer(digest: string, event: 'start' | 'bytes' | 'done' | 'cached', bytes: number, size?: number): void;
  /** A try failed on the network (or a 429/5xx); the next of `of` starts in `delayMs`. */
  retry?(attempt: number, of: number, delayMs: number, error: Error): void;
}

export interface PullOptions {
  credentials?: Credentials;
  insecure?: boolean;
  progress?: PullProgress;
  /**
   * Gives up when it aborts: the call rejects with the signal's reason. The download itself
   * stops once every caller waiting on the same pull has given up (layers stored so far stay,
   * and a later pull resumes the broken one).
   */
  signal?: AbortSignal;
  /** The wait before the second try; the third waits twice as long (default 500 ms). */
  retryDelayMs?: number;
}

const INDEX_TYPES = new Set(MANIFEST_TYPES.slice(0, 2));
const PARALLEL = 3;

/** A pull under way in this process, shared by the callers that asked for the same reference. */
interface InFlight {
  done: Promise<ImageRecord>;
  stop: AbortController;
  /** Callers still waiting; one without a signal never gives up. */
  waiting: number;
}

const inFlight = new Map<string, InFlight>();

export function pullImage(store: ImageStore, ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
  const r = parseRemoteRef(ref);
  const key = `${store.dir}\0${formatRemoteRef(r)}`;
  const { signal: callerSignal, ...rest } = opts;
  callerSignal?.throwIfAborted();
  let f = inFlight.get(key);
  if (!f) {
    const stop = new AbortController();
    const done = underPullLock(store, formatRemoteRef(r), () => pullSearching(store, r, { ...rest, signal: stop.signal })).finally(() => inFlight.delete(key));
    f = { done, stop, waiting: 0 };
    inFlight.set(key, f);
  }
  const shared = f;
  shared.waiting++;
  if (!callerSignal) return shared.done;
  return new Promise<ImageRecord>((resolve, reject) => {
    const giveUp = () => {
      reject(callerSignal.reason);
      if (--shared.waiting === 0) shared.stop.abort(callerSignal.reason);
    };
    callerSignal.addEventListener('abort', giveUp, { once: true });
    shared.done.then(
      (v) => {
        callerSignal.removeEventListener('abort', giveUp);
        resolve(v);
      },
      (e: unknown) => {
        callerSignal.removeEventListener('abort', giveUp);
        reject(e);
      },
    );
  });
}

/**
 * One pull of a reference at a time per data root, across processes (a flock on a file named
 * for it): the second one waits, then finds the layers stored and downloads only what changed.
 */
async function underPullLock<T>(store: ImageStore, name: string, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(path.dirname(store.dir), 'pulls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${crypto.createHash('sha256').update(name).digest('hex').slice(0, 32)}.lock`);
  const fd = await acquireLock(file);
  try {
    return await fn();
  } finally {
    releaseLock(file, fd);
  }
}

/**
 * A short name goes to each of registries.conf's unqualified-search-registries in turn (podman's
 * permissive short-name mode), and the first that has it wins; without that list, docker.io.
 */
async function pullSearching(store: ImageStore, r: RemoteRef, opts: PullOptions): Promise<ImageRecord> {
  const candidates = searchCandidates(r, loadRegistriesConf().unqualifiedSearch);
  if (candidates.length === 1) return pull(store, candidates[0]!, opts);
  const failures: string[] = [];
  for (const c of candidates) {
    try {
      return await pull(store, c, opts);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  throw new PullError(`${formatRemoteRef(r).replace(/^docker\.io\/(library\/)?/, '')}: not found in any of the search registries (${candidates.map((c) => c.registry).join(', ')}): ${failures.join('; ')}`);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * A digest from the registry names a file under blobs/: only a well-formed sha256 one is taken
 * (a manifest saying `sha256:../../x` had its blob's partial file written outside blobs/).
 */
function checkDigest(digest: unknown, what: string): asserts digest is string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new PullError(`${what}: ${JSON.stringify(digest) ?? 'no digest'} is not a sha256 digest`);
}

/** The config's and the layers' descriptors, as the code below uses them: digests, sizes, media types. */
function checkDescriptors(manifest: { config?: unknown; layers?: unknown }, what: string): void {
  if (manifest.layers !== undefined && !Array.isArray(manifest.layers)) throw new PullError(`${what}: the manifest's layers are not a list`);
  const descriptors: [string, unknown][] = [['config', manifest.config], ...((manifest.layers as unknown[] | undefined) ?? []).map((l, i): [string, unknown] => [`layers[${i}]`, l])];
  for (const [where, d] of descriptors) {
    if (typeof d !== 'object' || d === null) throw new PullError(`${what}: the manifest's ${where} is not an object`);
    const { digest, size, mediaType } = d as { digest?: unknown; size?: unknown; mediaType?: unknown };
    checkDigest(digest, `${what}: the manifest's ${where}`);
    if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) >= 0)) throw new PullError(`${what}: the manifest's ${where}.size ${JSON.stringify(size)} is not a byte count`);
    if (mediaType !== undefined && typeof mediaType !== 'string') throw new PullError(`${what}: the manifest's ${where}.mediaType is not a string`);
  }
}

/** Attempts of one pull when the network fails or the registry is overloaded, as podman retries. */
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;

/**
 * A pull, tried again (after 0.5 s, then 1 s) when it failed on the network or on a 429/5xx:
 * layers stored by the failed attempt stay, and a broken download resumes from its partial file.
 */
async function pull(store: ImageStore, asked: RemoteRef, opts: PullOptions): Promise<ImageRecord> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pullOnce(store, asked, opts);
    } catch (e) {
      opts.signal?.throwIfAborted();
      if (!(e instanceof PullError) || !e.transient || attempt >= ATTEMPTS) throw e;
      const delayMs = (opts.retryDelayMs ?? RETRY_DELAY_MS) * attempt;
      opts.progress?.retry?.(attempt, ATTEMPTS, delayMs, e);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

async function pullOnce(store: ImageStore, asked: RemoteRef, opts: PullOptions): Promise<ImageRecord> {
  // registries.conf: where the registry really is, whether it is plain HTTP, whether it is blocked.
  const entry = registryEntry(loadRegistriesConf(), asked.registry, asked.repository);
  if (entry?.blocked) throw new PullError(`${formatRemoteRef(asked)}: registry ${entry.prefix} is blocked in registries.conf`);
  let r = asked;
  if (entry && entry.location !== entry.prefix) {
    const full = `${asked.registry}/${asked.repository}`.replace(entry.prefix.replace(/\/$/, ''), entry.location.replace(/\/$/, ''));
    const slash = full.indexOf('/');
    r = { ...asked, registry: full.slice(0, slash), repository: full.slice(slash + 1) };
  }
  const client = new RegistryClient(r, { insecure: opts.insecure ?? entry?.insecure, credentials: opts.credentials, signal: opts.signal });
  let m = await client.manifest(r.digest ?? r.tag!);
  if (INDEX_TYPES.has(m.mediaType)) {
    const index = JSON.parse(m.body.toString('utf8')) as { manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[] };
    const listed = Array.isArray(index.manifests) ? index.manifests.filter((d) => typeof d === 'object' && d !== null) : [];
    const chosen = selectManifest(listed, formatRemoteRef(r));
    checkDigest(chosen.digest, `${formatRemoteRef(r)}: the index's manifest`);
    m = await client.manifest(chosen.digest);
  }
  const manifest = JSON.parse(m.body.toString('utf8')) as { schemaVersion?: number; config?: { digest: string; size?: number }; layers?: { digest: string; size?: number; mediaType?: string }[] };
  if (manifest.schemaVersion !== 2 || !manifest.config) throw new PullError(`${formatRemoteRef(r)}: unsupported manifest (${m.mediaType || 'no media type'})`);
  checkDescriptors(manifest, formatRemoteRef(r));

  const blobs = path.join(path.dirname(store.dir), 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true, mode: 0o700 });
  const fileOf = (digest: string) => path.join(blobs, digest.replace(/^sha256:/, ''));
  const configFile = fileOf(manifest.config.digest);
  if (!fs.existsSync(configFile)) await client.blob(manifest.config.digest, manifest.config.size, configFile);
  let config: Parameters<typeof imageConfigOf>[0] & { rootfs?: { diff_ids?: string[] } };
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as typeof config;
  } catch (e) {
    throw new PullError(`${formatRemoteRef(r)}: the image config is not JSON: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null) throw new PullError(`${formatRemoteRef(r)}: the image config is not an object`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string' || !DIGEST.test(d))) throw new PullError(`${formatRemoteRef(r)}: the image config's rootfs.diff_ids are not sha256 digests`);
  const layers = manifest.layers ?? [];
  if (diffIds.length !== layers.length) throw new PullError(`${formatRemoteRef(r)}: the config lists ${diffIds.length} layers, the manifest ${layers.length}`);

  // The layers not stored yet, a few at a time.
  const queue = layers.map((l, i) => ({ ...l, diffId: diffIds[i]! }));
  const downloaded: string[] = [];
  const worker = async () => {
    for (let l = queue.shift(); l; l = queue.shift()) {
      if (store.layers.has(l.diffId)) {
        opts.progress?.layer(l.digest, 'cached', 0, l.size);
        continue;
      }
      const file = fileOf(l.digest);
      opts.progress?.layer(l.digest, 'start', 0, l.size);
      const progress = (n: number) => opts.progress?.layer(l!.digest, 'bytes', n, l!.size);
      if (fs.existsSync(file)) {
        downloaded.push(file);
      } else if (fs.existsSync(`${file}.partial`)) {
        // An earlier pull was interrupted: fetch the rest (Range), then unpack from the file.
        await client.blob(l.digest, l.size, file, progress);
        downloaded.push(file);
      } else {
        await streamLayer(store, client, l, file, progress, formatRemoteRef(r));
      }
      opts.progress?.layer(l.digest, 'done', l.size ?? 0, l.size);
    }
  };
  try {
    // On a failure the other layers finish (or fail) first: the pull returns only once no
    // unpack is in progress, and no new one starts.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(PARALLEL, queue.length) }, () =>
        worker().catch((e: unknown) => {
          queue.length = 0;
          throw e;
        }),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const source: ImageSource = {
      configDigest: manifest.config.digest,
      config: imageConfigOf(config),
      layers: layers.map((l, i) => ({ file: fileOf(l.digest), digest: l.digest, diffId: diffIds[i]! })),
    };
    return await store.importSource(source, localName(asked));
  } catch (e) {
    store.layers.unpin(diffIds);
    throw e instanceof PodrunError ? e : new PullError(`${formatRemoteRef(r)}: ${(e as Error).message}`);
  } finally {
    // Unpacked layers keep nothing of their blobs; a failed pull keeps only `.partial` files to resume.
    for (const f of downloaded) fs.rmSync(f, { force: true });
  }
}

/**
 * A layer unpacked as it downloads, its bytes also kept in `file.partial` until the end (so
 * an interrupted pull resumes); the layer is kept only if they match the digest.
 */
async function streamLayer(store: ImageStore, client: RegistryClient, l: { digest: string; size?: number; mediaType?: string; diffId: string }, file: string, progress: (n: number) => void, what: string): Promise<void> {
  let got = 0;
  const decoded = new LayerDecodeStream({
    partial: `${file}.partial`,
    onBytes: (n) => {
      progress((got = n));
      // More than the manifest says: refused now, not once an endless body has filled the disk.
      if (l.size !== undefined && n > l.size) decoded.destroy(new PullError(`${what}: layer ${l.digest}: the registry sent more than the ${l.size} bytes the manifest gives it: refused`));
    },
    check: (result) => client.blobMismatch(l.digest, l.size, result.digest, result.size),
  });
  let broke: Error | undefined;
  pipeline(await client.blobBody(l.digest), decoded, (err) => {
    if (err && !(err instanceof PodrunError)) broke = err;
  });
  try {
    await store.layers.unpackStream(decoded, (l.mediaType ?? '').includes('zstd'), l.digest, l.diffId);
  } catch (e) {
    // Nothing of the layer is kept; what arrived stays in the partial file once it is closed.
    await decoded.settled();
    if (!broke) throw e;
    throw new PullError(`${what}: layer ${l.digest}: the download broke off after ${got}${l.size !== undefined ? ` of ${l.size}` : ''} bytes (${broke.message}); pulling again resumes from there`, undefined, true);
  }
}
