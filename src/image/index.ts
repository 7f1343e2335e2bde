// The image capability: the local store, references, and the built-in host root.
export { ImageStore, HOST_IMAGE, normalizeImageConfig } from './store';
export type { ImageConfig, ImageRecord } from './types';
export { parseImageRef, formatImageRef, DEFAULT_TAG } from './reference';
export type { ImageRef } from './reference';
export { hostRootLayout } from './host';
export type { HostEntry } from './host';
