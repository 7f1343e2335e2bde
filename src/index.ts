// podrun's Node API.
export { Podrun } from './podrun';
export * from './errors';
export type * from './types';
export { parseManifests, type KubeObject } from './api/manifest';
export type { ImageConfig, ImageRecord } from './image/types';
