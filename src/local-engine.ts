// The backend behind the Node API: what a Podrun calls, answered either by the engine of this
// process (LocalEngine, below, which also serves the root's socket to other podrun processes)
// or by the `podrun serve` that owns the root, over that socket (EngineClient, src/server/rpc.ts).
import type { ResizePatch } from './cgroups/resize';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { EphemeralContainer, Event, Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from './api/manifest';
import type { PropagationPolicy } from './controllers/garbage-collector';
import type { Engine } from './kubelet/engine';
import { AsyncQueue } from './store/queue';
import type { WatchLine, WatchRequest } from './store/watch-stream';
import type { ApplyResult } from './types';

export interface Backend {
  apply(objs: KubeObject[]): Promise<ApplyResult[]>;
  createPod(pod: Pod): Promise<Pod>;
  getPod(namespace: string, name: string): Promise<Pod>;
  listPods(namespace?: string): Promise<Pod[]>;
  /** The engine's watch, line by line (see WatchRequest); ends when the engine goes away. */
  watch(req: WatchRequest, signal?: AbortSignal): AsyncGenerator<WatchLine>;
  deletePod(namespace: string, name: string, grace?: number): Promise<void>;
  addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer): Promise<Pod>;
  /** The pod's resize subresource: in-place resize of its containers' cpu and memory. */
  resizePod(namespace: string, name: string, patch: ResizePatch): Promise<Pod>;
  deleteObject(kind: string, namespace: string, name: string, policy?: PropagationPolicy): Promise<boolean>;
  getObject(kind: string, namespace: string, name: string): Promise<KubeObject>;
  listObjects(kind: string, namespace?: string): Promise<KubeObject[]>;
  scale(kind: string, namespace: string, name: string, replicas: number): Promise<KubeObject>;
  updateObject(obj: KubeObject): Promise<KubeObject>;
  listEvents(namespace?: string, pod?: string): Promise<Event[]>;
  listNodes(): Promise<Node[]>;
  reset(): Promise<string[]>;
}

/** The engine of this process, with its socket open for other podrun processes. */
export class LocalEngine implements Backend {
  constructor(
    readonly engine: Engine,
    private readonly server: http.Server,
    private readonly lockFd: number,
  ) {}
  apply(objs: KubeObject[]) {
    return this.engine.apply(objs);
  }
  createPod(pod: Pod) {
    return this.engine.createPod(pod);
  }
  async getPod(namespace: string, name: string) {
    return this.engine.getPod(namespace, name);
  }
  async listPods(namespace?: string) {
    return this.engine.listPods(namespace);
  }
  /** Watches end when this engine closes. */
  private readonly watches = new Set<AsyncQueue<WatchLine>>();
  async *watch(req: WatchRequest, signal?: AbortSignal): AsyncGenerator<WatchLine> {
    const lines = new AsyncQueue<WatchLine>();
    if (signal?.aborted) return;
    // Copies: what the watcher does with an object is not the store's business.
    const stop = this.engine.watch(req, (line) => lines.push(structuredClone(line)));
    const end = () => lines.end();
    signal?.addEventListener('abort', end, { once: true });
    this.watches.add(lines);
    try {
      yield* lines;
    } finally {
      stop();
      this.watches.delete(lines);
      signal?.removeEventListener('abort', end);
    }
  }
  deletePod(namespace: string, name: string, grace?: number) {
    return this.engine.deletePod(namespace, name, grace);
  }
  addEphemeralContainer(namespace: string, name: string, container: EphemeralContainer) {
    return this.engine.addEphemeralContainer(namespace, name, container);
  }
  resizePod(namespace: string, name: string, patch: ResizePatch) {
    return this.engine.resizePod(namespace, name, patch);
  }
  async deleteObject(kind: string, namespace: string, name: string, policy?: PropagationPolicy) {
    return this.engine.deleteObject(kind, namespace, name, policy);
  }
  async getObject(kind: string, namespace: string, name: string) {
    return structuredClone(this.engine.getObject(kind, namespace, name));
  }
  async listObjects(kind: string, namespace?: string) {
    return structuredClone(this.engine.listObjects(kind, namespace));
  }
  async scale(kind: string, namespace: string, name: string, replicas: number) {
    return structuredClone(this.engine.scale(kind, namespace, name, replicas));
  }
  async updateObject(obj: KubeObject) {
    return structuredClone(this.engine.updateObject(obj));
  }
  async listEvents(namespace?: string, pod?: string) {
    return this.engine.listEvents(namespace, pod);
  }
  async listNodes() {
    return this.engine.listNodes();
  }
  reset() {
    return this.engine.reset();
  }
  ref(): void {
    this.server.ref();
  }
  async close(): Promise<void> {
    for (const w of this.watches) w.end();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    // Watch streams stay open until told: end them, or the server never closes.
    this.server.closeAllConnections();
    await closed;
    this.engine.close();
    fs.closeSync(this.lockFd);
  }
}
