// Reading images that arrive as files: an OCI image layout (a directory with `oci-layout`,
// `index.json` and `blobs/`) and a `docker save` archive (`manifest.json` plus the config and
// layer tars), each already unpacked into a directory. Every blob is checked against its digest
// (and size, where the descriptor gives one) before it is used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { sha256File } from './digest';
import type { ImageConfig } from './types';

export interface ImageLayerSource {
  /** The blob file (tar, gzip or zstd). */
  file: string;
  digest: string;
  diffId: string;
}

export interface ImageSource {
  /** `sha256:` of the config blob: the image's id, as Docker and podman count it. */
  configDigest: string;
  config: ImageConfig;
  layers: ImageLayerSource[];
  /** The tag the archive gives the image, if it names one. */
  refName?: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const REF_NAME = 'org.opencontainers.image.ref.name';

function corrupt(what: string, why: string): PodrunError {
  return new PodrunError('Invalid', `${what}: ${why}`, 'the image archive is incomplete or was tampered with');
}

/** A blob of the layout, its digest and size verified. */
function blob(layout: string, d: Descriptor, what: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(d.digest ?? '');
  if (!m) throw corrupt(what, `unsupported digest "${String(d.digest)}"`);
  const file = path.join(layout, 'blobs', 'sha256', m[1]!);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw corrupt(what, `blob ${d.digest} is missing`);
  }
  if (!st.isFile()) throw corrupt(what, `blob ${d.digest} is not a file`);
  if (d.size !== undefined && st.size !== d.size) throw corrupt(what, `blob ${d.digest} has ${st.size} bytes, the descriptor says ${d.size}`);
  const actual = sha256File(file);
  if (actual !== d.digest) throw corrupt(what, `blob ${d.digest} has digest ${actual}`);
  return file;
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw corrupt(what, (e as Error).message);
  }
}

/** The platform this machine runs, in OCI's words. */
export function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** From an index (or manifest list), the manifest for this platform. */
export function selectManifest(manifests: Descriptor[], what: string): Descriptor {
  const want = hostPlatform();
  const match = manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  if (match) return match;
  const any = manifests.filter((m) => !m.platform);
  if (any.length === 1) return any[0]!;
  const offered = manifests.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ');
  throw new PodrunError('Invalid', `${what}: no image for ${want.os}/${want.architecture} (it has ${offered || 'none'})`);
}

interface OciConfigFile {
  config?: {
    User?: string;
    ExposedPorts?: Record<string, unknown>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    StopSignal?: string;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

/** The OCI (and Docker) image config's runtime part, in podrun's ImageConfig shape. */
export function imageConfigOf(c: OciConfigFile): ImageConfig {
  const cc = c.config ?? {};
  const out: ImageConfig = {};
  if (cc.Entrypoint?.length) out.entrypoint = cc.Entrypoint;
  if (cc.Cmd?.length) out.cmd = cc.Cmd;
  if (cc.Env?.length) out.env = cc.Env;
  if (cc.WorkingDir) out.workingDir = cc.WorkingDir;
  if (cc.User) out.user = cc.User;
  if (cc.StopSignal) out.stopSignal = cc.StopSignal;
  if (cc.ExposedPorts && Object.keys(cc.ExposedPorts).length) out.exposedPorts = Object.keys(cc.ExposedPorts).sort();
  return out;
}

function withDiffIds(config: OciConfigFile, layers: { file: string; digest: string }[], what: string): ImageLayerSource[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) throw corrupt(what, `the config lists ${diffIds.length} layers, the manifest ${layers.length}`);
  return layers.map((l, i) => ({ ...l, diffId: diffIds[i]! }));
}

/**
 * An OCI image layout. `tag` picks among several images by their ref.name annotation; with one
 * image it may be omitted.
 */
export function readOciLayout(layout: string, tag?: string): ImageSource {
  const marker = readJson<{ imageLayoutVersion?: string }>(path.join(layout, 'oci-layout'), 'oci-layout');
  if (marker.imageLayoutVersion !== '1.0.0') throw corrupt('oci-layout', `unsupported imageLayoutVersion "${String(marker.imageLayoutVersion)}"`);
  const index = readJson<{ manifests?: Descriptor[] }>(path.join(layout, 'index.json'), 'index.json');
  const all = index.manifests ?? [];
  let d: Descriptor | undefined;
  const named = all.filter((m) => m.annotations?.[REF_NAME] !== undefined);
  if (tag !== undefined) d = named.find((m) => m.annotations![REF_NAME] === tag);
  if (!d && all.length === 1) d = all[0];
  if (!d) {
    const names = named.map((m) => m.annotations![REF_NAME]).join(', ');
    throw new PodrunError('Invalid', `OCI layout ${layout}: ${tag === undefined ? 'it holds several images' : `no image named "${tag}"`}${names ? ` (it has: ${names})` : ''}`);
  }
  const refName = d.annotations?.[REF_NAME];
  // An index inside: choose this platform's manifest.
  for (let depth = 0; INDEX_TYPES.has(d.mediaType ?? ''); depth++) {
    if (depth > 4) throw corrupt('index.json', 'indexes nested too deeply');
    const inner = readJson<{ manifests?: Descriptor[] }>(blob(layout, d, 'index'), 'index');
    d = selectManifest(inner.manifests ?? [], `OCI layout ${layout}`);
  }
  const manifest = readJson<{ config?: Descriptor; layers?: Descriptor[] }>(blob(layout, d, 'manifest'), 'manifest');
  if (!manifest.config) throw corrupt('manifest', 'no config');
  const configFile = blob(layout, manifest.config, 'config');
  const config = readJson<OciConfigFile>(configFile, 'config');
  const layers = (manifest.layers ?? []).map((l, i) => ({ file: blob(layout, l, `layer ${i}`), digest: l.digest }));
  return { configDigest: manifest.config.digest, config: imageConfigOf(config), layers: withDiffIds(config, layers, 'config'), refName };
}

/** A `docker save` archive, unpacked: manifest.json names the config and the layer tars. */
export function readDockerArchive(dir: string, tag?: string): ImageSource {
  const manifests = readJson<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(path.join(dir, 'manifest.json'), 'manifest.json');
  if (!Array.isArray(manifests) || manifests.length === 0) throw corrupt('manifest.json', 'no images');
  const m = (tag !== undefined && manifests.find((x) => (x.RepoTags ?? []).some((t) => t === tag || t.endsWith(`:${tag}`)))) || manifests[0]!;
  const inside = (rel: string | undefined, what: string): string => {
    if (!rel || path.isAbsolute(rel) || rel.split('/').includes('..')) throw corrupt(what, `bad path "${String(rel)}"`);
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) throw corrupt(what, `${rel} is missing`);
    return file;
  };
  const configFile = inside(m.Config, 'config');
  const configDigest = sha256File(configFile);
  // A config named by its digest (newer docker: blobs/sha256/<hex>, older: <hex>.json) must match it.
  const named = /([0-9a-f]{64})(?:\.json)?$/.exec(m.Config!);
  if (named && `sha256:${named[1]}` !== configDigest) throw corrupt('config', `${m.Config} has digest ${configDigest}`);
  const config = readJson<OciConfigFile>(configFile, 'config');
  const layers = (m.Layers ?? []).map((l, i) => {
    const file = inside(l, `layer ${i}`);
    return { file, digest: sha256File(file) };
  });
  return { configDigest, config: imageConfigOf(config), layers: withDiffIds(config, layers, 'config'), refName: m.RepoTags?.[0] };
}

export function isOciLayout(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'oci-layout')) && fs.existsSync(path.join(dir, 'index.json'));
}

export function isDockerArchive(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) return false;
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as unknown;
    return Array.isArray(m) && m.length > 0 && typeof (m[0] as { Config?: unknown }).Config === 'string';
  } catch {
    return false;
  }
}
