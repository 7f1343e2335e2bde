// The handle `podrun.run()` returns: the pod it made, its published ports, and the verbs a
// test needs on it (exec, logs, copy, stop), each on the same engine as the rest of the API.
import type { Pod } from 'kubernetes-types/core/v1';
import { NotFoundError } from '../errors';
import type { Podrun } from '../podrun';
import type { PortForwardSession } from '../runtime/port-forward';
import type { LogOptions } from '../types';

/** What `exec` on a started container gives back, once the command has exited. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they came, interleaved. */
  output: string;
}

export class StartedContainer implements AsyncDisposable {
  /** Where the published ports listen. */
  readonly host = '127.0.0.1';
  private stopping?: Promise<void>;

  /** @internal Made by `podrun.run()`. */
  constructor(
    private readonly podrun: Podrun,
    /** The pod's name. */
    readonly name: string,
    readonly namespace: string,
    /** The container's name in the pod. */
    readonly containerName: string,
    private readonly forward: PortForwardSession | undefined,
  ) {}

  /** The host port that reaches container port `port` (one of RunOptions.ports). */
  mappedPort(port: number): number {
    const m = this.forward?.ports.find((p) => p.remote === port);
    if (!m) throw new RangeError(`port ${port} is not published: add it to the ports of run()`);
    return m.local;
  }

  /** The pod as the engine has it now (status, IP, conditions). */
  pod(): Promise<Pod> {
    return this.podrun.getPod(this.name, this.namespace);
  }

  /** Runs `command` in the container to its end; its output and exit code. */
  async exec(command: string[], opts: { signal?: AbortSignal } = {}): Promise<ExecResult> {
    const session = await this.podrun.exec(this.name, command, { namespace: this.namespace, container: this.containerName, signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const all: Buffer[] = [];
    session.stdout.on('data', (d: Buffer) => (out.push(d), all.push(d)));
    session.stderr?.on('data', (d: Buffer) => (err.push(d), all.push(d)));
    const { exitCode } = await session.exit;
    opts.signal?.throwIfAborted();
    return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), output: Buffer.concat(all).toString() };
  }

  /** Copies a host file or folder into the container (inside `containerPath` when that is a folder there). */
  copyTo(hostPath: string, containerPath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.podrun.copyTo(this.name, hostPath, containerPath, { ...opts, namespace: this.namespace, container: this.containerName });
  }

  /** Copies a file, folder or symlink out of the container to `hostPath`; its links stay links. */
  copyFrom(containerPath: string, hostPath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.podrun.copyFrom(this.name, containerPath, hostPath, { ...opts, namespace: this.namespace, container: this.containerName });
  }

  /** The container's log lines; with `follow`, until it exits or `signal` aborts. */
  logs(opts: Omit<LogOptions, 'namespace' | 'container'> = {}): AsyncGenerator<string> {
    return this.podrun.logs(this.name, { ...opts, namespace: this.namespace, container: this.containerName });
  }

  /**
   * Stops the container as `kubectl delete pod` does (SIGTERM, then SIGKILL after the stop
   * timeout) and removes its pod and published ports; resolves when all of it is gone.
   */
  stop(opts: { timeoutSeconds?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      await this.forward?.close();
      try {
        await this.podrun.deletePod(this.name, { namespace: this.namespace, gracePeriodSeconds: opts.timeoutSeconds });
      } catch (e) {
        // Deleted already (kubectl delete, a reset): stopped is stopped.
        if (!(e instanceof NotFoundError)) throw e;
      }
      await this.podrun.waitDeleted(this.name, { namespace: this.namespace });
    })();
    return this.stopping;
  }

  /** `await using c = await podrun.run(...)`: stop(). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
