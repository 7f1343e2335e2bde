// `podrun cri`'s gRPC server: CRI v1's RuntimeService and ImageService on a unix socket, owner
// only, for a kubelet, crictl or critest on this machine. A thin translation onto podrun: the
// calls go to the same image store (and, as they land, the same runtime) as `podrun serve`.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PodrunError } from '../errors';
import { normalizeAuthority } from './authority';
import type { RuntimeService } from '../runtime/runtime-service';
import { ContainerService } from './container-service';
import { ImageService, type ImageBackend } from './image-service';
import { SandboxService } from './sandbox-service';
import { StatsService } from './stats-service';
import { StreamService } from './stream-service';
import { StreamingServer } from './streaming/server';
import { containerEvents } from './events-service';
import { runtimeConfig, status, updateRuntimeConfig, version, type RuntimeFacts, type UpdateRuntimeConfigRequest } from './runtime-info';
import { unary } from './status';

/** The wire schema (runtime-v1.proto), beside this file's source in src/cri. */
export const PROTO = path.join(__dirname, '..', '..', 'src', 'cri', 'runtime-v1.proto');

/**
 * How the schema is read, for the server and for clients (tests): names as on the wire, 64-bit
 * integers as numbers (sizes and nanosecond times stay below 2^53), enums by name, and every
 * scalar present, so handlers see the zero values proto3 leaves out.
 */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

interface RuntimeV1 {
  RuntimeService: grpc.ServiceClientConstructor;
  ImageService: grpc.ServiceClientConstructor;
}

/** The runtime.v1 package as grpc-js service definitions. */
export function loadRuntimeV1(): RuntimeV1 {
  const def = protoLoader.loadSync(PROTO, LOADER_OPTIONS);
  return (grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: RuntimeV1 } }).runtime.v1;
}

/** The default socket: /run/podrun/cri.sock as root, $XDG_RUNTIME_DIR/podrun/cri.sock otherwise. */
export function defaultCriSocket(env: NodeJS.ProcessEnv = process.env): string {
  if ((process.getuid?.() ?? 0) === 0) return '/run/podrun/cri.sock';
  const runtimeDir = env.XDG_RUNTIME_DIR || `/tmp/podrun-${process.getuid?.()}`;
  return path.join(runtimeDir, 'podrun', 'cri.sock');
}

/** `unix:///path`, `unix:/path` or a bare path: the socket's path. */
export function socketPath(listen: string): string {
  if (listen.startsWith('unix://')) return listen.slice('unix://'.length);
  if (listen.startsWith('unix:')) return listen.slice('unix:'.length);
  if (/^[a-z]+:/.test(listen)) throw new PodrunError('Invalid', `--listen ${listen}: only unix sockets are served (unix:///path)`);
  return listen;
}

/** Whether something answers on the socket at `file` (a second server must not take it over). */
function inUse(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface CriServerOptions extends RuntimeFacts {
  images: ImageBackend;
  /** The engine's runtime service: sandboxes and containers. */
  runtime: RuntimeService;
}

export class CriServer {
  private readonly server = new grpc.Server();
  /** The socket itself: each connection is read (authority.ts) before grpc-js gets it. */
  private readonly listener = net.createServer();
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly socket: string,
    private readonly streaming: StreamingServer,
  ) {}

  /** Serves on `listen` (see socketPath) until close(). */
  static async listen(listen: string, opts: CriServerOptions): Promise<CriServer> {
    const file = path.resolve(socketPath(listen));
    // Owner-only: the folder keeps everyone else from the socket before its own mode is set.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (fs.existsSync(file)) {
      if (await inUse(file)) throw new PodrunError('Conflict', `${file}: another server is listening there`, 'stop it, or give another --listen');
      fs.unlinkSync(file);
    }
    const streaming = await StreamingServer.listen(opts.runtime);
    const s = new CriServer(file, streaming);
    s.register(opts, streaming);
    const injector = s.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    s.listener.on('connection', (socket: net.Socket) => {
      s.sockets.add(socket);
      socket.once('close', () => s.sockets.delete(socket));
      injector.injectConnection(normalizeAuthority(socket));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        s.listener.once('error', reject);
        s.listener.listen(file, () => {
          s.listener.off('error', reject);
          resolve();
        });
      });
      fs.chmodSync(file, 0o600);
    } catch (e) {
      // Nothing of a server that could not listen stays open (the streaming port would keep the process alive).
      await streaming.close();
      throw e;
    }
    return s;
  }

  private register(opts: CriServerOptions, streaming: StreamingServer): void {
    const v1 = loadRuntimeV1();
    const images = new ImageService(opts.images);
    const containers = new ContainerService(opts.runtime, (spec) => images.record(spec));
    const stats = new StatsService(opts.runtime);
    const streams = new StreamService(opts.runtime, streaming);
    const sandboxes = new SandboxService(opts.runtime, (process.getuid?.() ?? 0) !== 0, (id) => containers.statusesOf(id));
    this.server.addService(v1.RuntimeService.service, {
      Version: unary(version),
      Status: unary((req: Parameters<typeof status>[0]) => status(req, opts)),
      RuntimeConfig: unary(runtimeConfig),
      RunPodSandbox: unary(sandboxes.runPodSandbox.bind(sandboxes)),
      StopPodSandbox: unary(sandboxes.stopPodSandbox.bind(sandboxes)),
      RemovePodSandbox: unary(sandboxes.removePodSandbox.bind(sandboxes)),
      PodSandboxStatus: unary(sandboxes.podSandboxStatus.bind(sandboxes)),
      ListPodSandbox: unary(sandboxes.listPodSandbox.bind(sandboxes)),
      CreateContainer: unary(containers.createContainer.bind(containers)),
      StartContainer: unary(containers.startContainer.bind(containers)),
      StopContainer: unary(containers.stopContainer.bind(containers)),
      RemoveContainer: unary(containers.removeContainer.bind(containers)),
      ListContainers: unary(containers.listContainers.bind(containers)),
      ContainerStatus: unary(containers.containerStatus.bind(containers)),
      ExecSync: unary(containers.execSync.bind(containers)),
      UpdateContainerResources: unary(containers.updateContainerResources.bind(containers)),
      ContainerStats: unary(stats.containerStats.bind(stats)),
      ListContainerStats: unary(stats.listContainerStats.bind(stats)),
      PodSandboxStats: unary(stats.podSandboxStats.bind(stats)),
      ListPodSandboxStats: unary(stats.listPodSandboxStats.bind(stats)),
      ReopenContainerLog: unary(containers.reopenContainerLog.bind(containers)),
      UpdateRuntimeConfig: unary((req: UpdateRuntimeConfigRequest) => updateRuntimeConfig(req, opts.runtime)),
      GetContainerEvents: containerEvents(opts.runtime, (id) => sandboxes.podSandboxStatus({ pod_sandbox_id: id, verbose: false })),
      Exec: unary(streams.exec.bind(streams)),
      Attach: unary(streams.attach.bind(streams)),
      PortForward: unary(streams.portForward.bind(streams)),
    });
    this.server.addService(v1.ImageService.service, {
      ListImages: unary(images.listImages.bind(images)),
      ImageStatus: unary(images.imageStatus.bind(images)),
      PullImage: unary(images.pullImage.bind(images)),
      RemoveImage: unary(images.removeImage.bind(images)),
      ImageFsInfo: unary(images.imageFsInfo.bind(images)),
    });
  }

  /** Stops taking calls, ends those under way, and removes the socket. */
  async close(): Promise<void> {
    // No new connections; the calls under way finish (grpc-js sends GOAWAY), for up to 5 s.
    this.listener.close();
    const graceful = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    const timer = setTimeout(() => this.server.forceShutdown(), 5000);
    await graceful;
    clearTimeout(timer);
    // Clients keep their connections open after GOAWAY; the socket is ours to end.
    for (const socket of this.sockets) socket.destroy();
    await this.streaming.close();
    fs.rmSync(this.socket, { force: true });
  }
}
