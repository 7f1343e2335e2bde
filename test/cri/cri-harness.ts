// `podrun cri` through its front door (bin/podrun, defaults but the socket's and roots' place),
// and @grpc/grpc-js clients of podrun's own runtime-v1.proto, as a kubelet or crictl has them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadRuntimeV1 } from '../../src/cri/server';
import { CLI } from '../integration/cli-harness';
import { tempDir, until, type Test } from '../integration/harness';

export type Callable = Record<string, (req: object, cb: (e: grpc.ServiceError | null, r: Record<string, unknown>) => void) => void>;

export interface Cri {
  runtime: Callable;
  image: Callable;
  socket: string;
  child: ChildProcess;
  dir: string;
}

/** `podrun cri` on a socket of its own, and clients of both services. */
/** `podrun cri` on a socket of its own in `dir` (a new temp folder by default: give one to start again on the same roots). */
export async function startCri(t: Test, env: NodeJS.ProcessEnv = {}, dir = tempDir(t, 'podrun-cri-')): Promise<Cri> {
  const socket = path.join(dir, 'run', 'cri.sock');
  const child = spawn(process.execPath, [CLI, '--root', path.join(dir, 'state'), '--data-root', path.join(dir, 'data'), 'cri', '--listen', `unix://${socket}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, REGISTRY_AUTH_FILE: path.join(dir, 'no-auth.json'), ...env },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let client: Callable | undefined;
  const clients: grpc.Client[] = [];
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Sandboxes outlive podrun cri (as containerd's): a test that failed half-way must not leave its shims running.
      const left = client ? (((await call(client, 'ListPodSandbox', {}).catch(() => ({ items: [] }))).items ?? []) as { id: string }[]) : [];
      for (const s of left) await call(client!, 'RemovePodSandbox', { pod_sandbox_id: s.id }).catch(() => undefined);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    for (const c of clients) c.close();
  });
  if (!(await until(() => fs.existsSync(socket) || child.exitCode !== null, 30_000)) || child.exitCode !== null) throw new Error(`podrun cri did not listen: ${stderr}`);
  const v1 = loadRuntimeV1();
  const runtime = new v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure()) as unknown as Callable & grpc.Client;
  client = runtime;
  const image = new v1.ImageService(`unix://${socket}`, grpc.credentials.createInsecure()) as unknown as Callable & grpc.Client;
  clients.push(runtime, image);
  return { runtime, image, socket, child, dir };
}

export function call(client: Callable, method: string, req: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => client[method]!(req, (e, r) => (e ? reject(e) : resolve(r))));
}

/** The gRPC code and message a call fails with, or 'ok'. */
export async function failure(client: Callable, method: string, req: object): Promise<{ code: number; details: string } | 'ok'> {
  try {
    await call(client, method, req);
    return 'ok';
  } catch (e) {
    const err = e as grpc.ServiceError;
    return { code: err.code, details: err.details };
  }
}

