// CRI's Exec, Attach and PortForward: each checks its request and answers a one-time URL of the
// streaming server (streaming/server.ts), where the client then speaks SPDY.
import { PodrunError } from '../errors';
import type { RuntimeService } from '../runtime/runtime-service';
import { invalidField } from './status';
import type { StreamingServer } from './streaming/server';

interface ExecRequest {
  container_id: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

type AttachRequest = Omit<ExecRequest, 'cmd'>;

interface PortForwardRequest {
  pod_sandbox_id: string;
  port: number[];
}

/** The kubelet's own checks of a streaming request's options. */
function checkOptions(r: AttachRequest): void {
  if (!r.stdin && !r.stdout && !r.stderr) throw invalidField('stdin', 'one of stdin, stdout, or stderr must be set');
  if (r.tty && r.stderr) throw invalidField('stderr', 'tty and stderr cannot both be true (a terminal has one output)');
}

export class StreamService {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly streaming: StreamingServer,
  ) {}

  exec(req: ExecRequest): { url: string } {
    if (!req.container_id) throw invalidField('container_id', 'Required value');
    if (!req.cmd.length) throw invalidField('cmd', 'Required value');
    checkOptions(req);
    const c = this.running(req.container_id);
    return { url: this.streaming.url({ kind: 'exec', containerId: c, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }) };
  }

  attach(req: AttachRequest): { url: string } {
    if (!req.container_id) throw invalidField('container_id', 'Required value');
    checkOptions(req);
    const c = this.running(req.container_id);
    return { url: this.streaming.url({ kind: 'attach', containerId: c, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr }) };
  }

  portForward(req: PortForwardRequest): { url: string } {
    if (!req.pod_sandbox_id) throw invalidField('pod_sandbox_id', 'Required value');
    const s = this.runtime.podSandboxStatus(req.pod_sandbox_id);
    req.port.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidField(`port[${i}]`, `Invalid value: ${p}: must be between 1 and 65535`);
    });
    return { url: this.streaming.url({ kind: 'portforward', sandboxId: s.id, ports: req.port }) };
  }

  /** The full id of a container that runs now (NotFound, FailedPrecondition otherwise). */
  private running(id: string): string {
    const v = this.runtime.containerStatus(id);
    if (v.state !== 'CONTAINER_RUNNING') throw new PodrunError('Conflict', `container ${v.id} is not running`);
    return v.id;
  }
}
