// OCI image layouts and `docker save` archives written by the tests themselves (tar-stream),
// so every byte is known: layers with whiteouts, an opaque directory and hard links, a config
// with Entrypoint/Cmd/Env/WorkingDir, and hostile variants.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  body?: string | Buffer;
  mode?: number;
  linkname?: string;
}

/** A plain tar of the entries, in order. */
export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: tar.Headers = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0), uid: 0, gid: 0 };
    if (e.linkname) header.linkname = e.linkname;
    await new Promise<void>((resolve, reject) => pack.entry(header, type === 'file' ? (e.body ?? '') : undefined, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The entries of a directory tree (a rootfs), parents first. */
export function entriesOf(dir: string, prefix = ''): Entry[] {
  const out: Entry[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const rel = prefix + name;
    const st = fs.lstatSync(p);
    if (st.isDirectory()) out.push({ name: `${rel}/`, type: 'directory', mode: st.mode & 0o7777 }, ...entriesOf(p, `${rel}/`));
    else if (st.isSymbolicLink()) out.push({ name: rel, type: 'symlink', linkname: fs.readlinkSync(p) });
    else out.push({ name: rel, body: fs.readFileSync(p), mode: st.mode & 0o7777 });
  }
  return out;
}

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

export interface ImageSpec {
  layers: Entry[][];
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string; ExposedPorts?: Record<string, object> };
}

export interface BuiltLayout {
  dir: string;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
}

/** Writes an OCI image layout (gzip layers, or zstd through the zstd command) holding one image, named `tag`. */
export async function writeOciLayout(dir: string, tag: string, spec: ImageSpec, compression: 'gzip' | 'zstd' = 'gzip'): Promise<BuiltLayout> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    fs.writeFileSync(path.join(blobs, d.slice(7)), b);
    return d;
  };
  const raw = await Promise.all(spec.layers.map(tarOf));
  const gz = raw.map((r) => (compression === 'zstd' ? spawnSync('zstd', ['-q', '-c'], { input: r, maxBuffer: 1 << 30 }).stdout : zlib.gzipSync(r)));
  const diffIds = raw.map(sha);
  const layerDigests = gz.map(put);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: spec.config, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: gz.map((g, i) => ({ mediaType: `application/vnd.oci.image.layer.v1.tar+${compression}`, digest: layerDigests[i], size: g.length })),
    }),
  );
  const manifestDigest = put(manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return { dir, configDigest, layerDigests, diffIds };
}

/** Writes a `docker save` archive directory (uncompressed layer tars), tagged `repoTag`. */
export async function writeDockerArchive(dir: string, repoTag: string, spec: ImageSpec): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const raw = await Promise.all(spec.layers.map(tarOf));
  const diffIds = raw.map(sha);
  const layerFiles = raw.map((r, i) => {
    const rel = `${diffIds[i]!.slice(7)}/layer.tar`;
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), r);
    return rel;
  });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: spec.config, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configName = `${sha(config).slice(7)}.json`;
  fs.writeFileSync(path.join(dir, configName), config);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: layerFiles }]));
}

/** The stored layers of a data root: the names (DiffID hex) of its complete layer directories. */
export function storedLayers(dataRoot: string): string[] {
  const dir = path.join(dataRoot, 'layers');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort() : [];
}
