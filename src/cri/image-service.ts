// CRI ImageService on podrun's image store: the images a kubelet lists, inspects, pulls for its
// pods and garbage-collects are those `podrun image ls` shows, by the same ids.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { Credentials } from '../image/registry';
import type { PullOptions } from '../image/pull';
import type { ImageStore } from '../image/store';
import type { ImageRecord } from '../image/types';
import type { Image, ImageFsInfoResponse, ImageSpec, ImageStatusRequest, ImageStatusResponse, ListImagesRequest, ListImagesResponse, PullImageRequest, PullImageResponse, RemoveImageRequest } from './messages';
import { CriError, invalidField } from './status';

/** What the image service needs of podrun: its store, a pull, and the ids its pods use. */
export interface ImageBackend {
  readonly images: ImageStore;
  pull(ref: string, opts: PullOptions): Promise<ImageRecord>;
  imagesInUse(): Promise<Set<string>>;
}

const ID = /^(?:sha256:)?([0-9a-f]{64})$/;

/** A stored digest reference keeps its digest as the tag `sha256-<hex>`. */
const DIGEST_TAG = /^sha256-([0-9a-f]{64})$/;

/** How a record is named: `name@sha256:<hex>` for a digest pull, else `name:tag`. */
function referenceOf(r: ImageRecord): { ref: string; digest: boolean } {
  const m = DIGEST_TAG.exec(r.tag);
  return m ? { ref: `${r.name}@sha256:${m[1]}`, digest: true } : { ref: `${r.name}:${r.tag}`, digest: false };
}

/** One CRI image for every record of one id: its names, size and user. */
export function criImage(records: ImageRecord[]): Image {
  const first = records[0]!;
  const refs = records.map(referenceOf);
  const tags = refs.filter((r) => !r.digest).map((r) => r.ref);
  const digests = refs.filter((r) => r.digest).map((r) => r.ref);
  // "1000", "1000:1000", "nginx", "nginx:nginx": the user part only, a number or a name.
  const user = (first.config.user ?? '').split(':')[0] ?? '';
  const numeric = /^\d+$/.test(user);
  return {
    id: first.id,
    repo_tags: tags,
    repo_digests: digests,
    size: first.size,
    uid: numeric ? { value: Number(user) } : undefined,
    username: numeric ? '' : user,
    spec: { image: first.id },
    pinned: records.some((r) => r.builtin === true),
  };
}

export class ImageService {
  constructor(private readonly backend: ImageBackend) {}

  /** Every record of the image `spec` names (by id or by reference); [] when there is none. */
  private find(spec: string): ImageRecord[] {
    const all = this.backend.images.list();
    const id = ID.exec(spec);
    const wanted = id ? `sha256:${id[1]}` : this.lookup(spec)?.id;
    return wanted ? all.filter((r) => r.id === wanted) : [];
  }

  /** The image a container's ImageSpec names (id or reference), or undefined when it is not stored. */
  record(spec: string): ImageRecord | undefined {
    // By id: any record of that content; by reference: that record itself.
    return ID.test(spec) ? this.find(spec)[0] : this.lookup(spec);
  }

  private lookup(ref: string): ImageRecord | undefined {
    try {
      return this.backend.images.get(ref);
    } catch (e) {
      throw invalidField('image.image', (e as Error).message);
    }
  }

  private static specImage(spec: ImageSpec | undefined): string {
    const ref = spec?.image ?? '';
    if (!ref) throw invalidField('image.image', 'Required value');
    return ref;
  }

  listImages(req: ListImagesRequest): ListImagesResponse {
    const filter = req.filter?.image?.image;
    const records = filter ? this.find(filter) : this.backend.images.list();
    const byId = new Map<string, ImageRecord[]>();
    for (const r of records) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
    return { images: [...byId.values()].map(criImage) };
  }

  imageStatus(req: ImageStatusRequest): ImageStatusResponse {
    const records = this.find(ImageService.specImage(req.image));
    if (records.length === 0) return { image: undefined, info: {} };
    const image = criImage(records);
    if (!req.verbose) return { image, info: {} };
    const r = records[0]!;
    const info = { id: r.id, created: r.created, config: r.config, rootfs: r.rootfs || undefined, layers: r.layers };
    return { image, info: { info: JSON.stringify(info) } };
  }

  async pullImage(req: PullImageRequest): Promise<PullImageResponse> {
    const ref = ImageService.specImage(req.image);
    const record = await this.backend.pull(ref, { credentials: credentials(req) });
    return { image_ref: record.id };
  }

  /** Every name of the image goes; one that is not there is no error, one a pod uses is refused. */
  async removeImage(req: RemoveImageRequest): Promise<Record<string, never>> {
    const spec = ImageService.specImage(req.image);
    const records = this.find(spec);
    if (records.length === 0) return {};
    if (records.some((r) => r.builtin)) throw new CriError(status.FAILED_PRECONDITION, `image "${spec}" is built into podrun and cannot be removed`);
    if ((await this.backend.imagesInUse()).has(records[0]!.id)) throw new CriError(status.FAILED_PRECONDITION, `image "${spec}" is in use by a pod`);
    for (const r of records) this.backend.images.remove(referenceOf(r).ref);
    return {};
  }

  /** The image store's usage: bytes on disk (blocks) and inodes, each hard-linked inode once. */
  imageFsInfo(): ImageFsInfoResponse {
    const dir = this.backend.images.dir;
    const { bytes, inodes } = usage(dir);
    return {
      image_filesystems: [{ timestamp: Date.now() * 1e6, fs_id: { mountpoint: dir }, used_bytes: { value: bytes }, inodes_used: { value: inodes } }],
      container_filesystems: [],
    };
  }
}

/** The pull's credentials from the request's auth: username and password, or `auth` (base64 of user:password). */
function credentials(req: PullImageRequest): Credentials | undefined {
  const a = req.auth;
  if (!a) return undefined;
  if (a.identity_token) throw invalidField('auth.identity_token', 'not supported by podrun: give username and password');
  if (a.registry_token) throw invalidField('auth.registry_token', 'not supported by podrun: give username and password');
  if (a.username || a.password) return { username: a.username, password: a.password };
  if (!a.auth) return undefined;
  const plain = Buffer.from(a.auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon < 0) throw invalidField('auth.auth', 'must be base64 of "username:password"');
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

function usage(dir: string): { bytes: number; inodes: number } {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // gone meanwhile, or not ours to read
    }
    for (const e of entries) {
      const f = path.join(d, e.name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(f);
      } catch {
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (!seen.has(key)) {
        seen.add(key);
        bytes += st.blocks * 512;
      }
      if (e.isDirectory()) walk(f);
    }
  };
  walk(dir);
  return { bytes, inodes: seen.size };
}
