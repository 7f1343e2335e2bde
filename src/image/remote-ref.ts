// Image references as the container ecosystem reads them (distribution/reference's grammar and
// Docker's normalisation): `busybox` is docker.io/library/busybox:latest;
// `registry:5000/team/app@sha256:…` names a registry by its port; a first component with a dot
// or a colon, or `localhost`, is a registry; a digest pins content and a tag is then optional.
import { PodrunError } from '../errors';

export const DEFAULT_REGISTRY = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;

export interface RemoteRef {
  /** `docker.io`, `127.0.0.1:5000`, `quay.io` */
  registry: string;
  /** `library/busybox`, `team/app` */
  repository: string;
  tag?: string;
  digest?: string;
  /** The reference named its registry (false: a short name, which search registries may resolve). */
  qualified?: boolean;
}

function invalid(s: string, why: string): PodrunError {
  return new PodrunError('Invalid', `invalid image reference "${s}": ${why}`);
}

export function parseRemoteRef(s: string): RemoteRef {
  if (!s) throw invalid(s, 'empty');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(s, `digest "${digest}" must be sha256: and 64 hex digits`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(s, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0]!;
  const qualified = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  if (qualified) {
    if (!HOST.test(first)) throw invalid(s, `registry "${first}" is not a host name`);
    registry = first;
    parts.shift();
  }
  const path = parts.join('/');
  for (const p of parts) if (!COMPONENT.test(p)) throw invalid(s, `name component "${p}" must be lowercase letters, digits and separators (. _ __ -)`);
  if (path.length > 255) throw invalid(s, 'name longer than 255 characters');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: inRegistry(registry, path), tag, digest, qualified };
}

/** A short name's repository in a given registry: Docker Hub's official images live under `library/`. */
function inRegistry(registry: string, path: string): string {
  return registry === DEFAULT_REGISTRY && !path.includes('/') ? `library/${path}` : path;
}

/** The same short name in another registry (for unqualified-search-registries). */
export function withRegistry(r: RemoteRef, registry: string): RemoteRef {
  const path = r.registry === DEFAULT_REGISTRY && r.repository.startsWith('library/') && !r.repository.slice(8).includes('/') ? r.repository.slice(8) : r.repository;
  return { ...r, registry, repository: inRegistry(registry, path), qualified: true };
}

/** The full name (`docker.io/library/busybox:1.36`, `host:5000/a/b@sha256:…`). */
export function formatRemoteRef(r: RemoteRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Registries served over plain HTTP unless configured otherwise: loopback, as Docker treats them. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The local store's name for a pulled reference: `registry/repository:tag` (a digest becomes the tag `sha256-<hex>`, as podman names it). */
export function localName(r: RemoteRef): { name: string; tag: string } {
  return { name: `${r.registry}/${r.repository}`, tag: r.tag ?? `sha256-${r.digest!.slice(7)}` };
}

/**
 * Where a reference may be: itself when it names its registry; a short name in each of
 * registries.conf's unqualified-search-registries in order (podman's permissive mode), or on
 * docker.io when there are none.
 */
export function searchCandidates(r: RemoteRef, search: string[]): RemoteRef[] {
  return r.qualified || !search.length ? [r] : search.map((registry) => withRegistry(r, registry));
}
