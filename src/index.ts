// podrun's Node API.
export { Podrun } from './podrun';
export { Wait, type WaitStrategy, type HttpWaitOptions } from './run/wait';
export { StartedContainer, type ExecResult } from './run/started-container';
export type { RunOptions, HealthCheck } from './run/run-pod';
export type { PortMapping, PortForwardSession, PortForwardEvents } from './runtime/port-forward';
export type { PullOptions } from './image/pull';
export type { CopyOptions } from './runtime/copy';
export type { PodMetrics, ContainerMetrics } from './cgroups/metrics';
export type { ResizePatch } from './cgroups/resize';
export * from './errors';
export type * from './types';
export { parseManifests, type KubeObject } from './api/manifest';
export type { ImageConfig, ImageRecord } from './image/types';
