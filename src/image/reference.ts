// Image references for the local store: `busybox`, `busybox:1.36`, `local/app:v1`,
// `127.0.0.1:15000/test/busybox:1.35`. The grammar is Docker's (distribution/reference), so a
// name that is valid here stays valid once registry pulls arrive; the name is kept as written,
// with no `docker.io/library/` prefix, because the store is local.

import { PodrunError } from '../errors';

export interface ImageRef {
  name: string;
  tag: string;
}

export const DEFAULT_TAG = 'latest';

// One path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// A registry host, only allowed as the first of several components: `localhost`, a dotted name, with optional port.
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+)(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 255;

function invalid(s: string, why: string): PodrunError {
  return new PodrunError(
    'Invalid',
    `invalid image reference "${s}": ${why}`,
    'use NAME[:TAG] with a lowercase name such as busybox, busybox:1.36 or local/app:v1',
  );
}

export function parseImageRef(s: string): ImageRef {
  if (typeof s !== 'string' || s.length === 0) throw invalid(String(s), 'empty');
  if (s.includes('@')) throw invalid(s, 'digest references are not supported by the local store');
  // The tag separator is the last `:` after the last `/`; an earlier `:` belongs to a registry port.
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  let name = s;
  let tag = DEFAULT_TAG;
  if (colon > slash) {
    name = s.slice(0, colon);
    tag = s.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(s, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (name.length === 0) throw invalid(s, 'empty name');
  if (name.length > MAX_NAME) throw invalid(s, `name longer than ${MAX_NAME} characters`);
  const parts = name.split('/');
  parts.forEach((part, i) => {
    if (i === 0 && parts.length > 1 && DOMAIN.test(part)) return;
    if (!COMPONENT.test(part)) {
      throw invalid(s, `name component "${part}" must be lowercase letters, digits and separators (. _ __ -)`);
    }
  });
  return { name, tag };
}

/** The canonical `name:tag` key used by the store's index. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}`;
}
