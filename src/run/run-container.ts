// `podrun.run(image, options)`: create the pod, wait for it to run, publish its ports on free
// host ports (a port-forward of this process: the same as root and rootless, no host-wide
// reservation, gone with the handle), then wait as the strategy says. A start that fails or
// times out removes what it made and says why, with the container's last log lines.
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { waitSignal } from '../abort';
import { PodrunError } from '../errors';
import type { Podrun } from '../podrun';
import type { PortForwardSession } from '../runtime/port-forward';
import { runPod, type RunOptions } from './run-pod';
import { StartedContainer } from './started-container';
import { describeStrategy, Wait } from './wait';
import { portsNeeded, waitUntil } from './wait-until';

/** Container states that no wait will mend: a start that failed this way fails at once. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function statusOf(p: Pod): ContainerStatus | undefined {
  return p.status?.containerStatuses?.[0];
}

function settled(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed' || HOPELESS.has(statusOf(p)?.state?.waiting?.reason ?? '');
}

/** The last lines of the container's log, for an error (empty when there is none). */
async function lastLines(podrun: Podrun, name: string, namespace: string): Promise<string> {
  try {
    const lines: string[] = [];
    for await (const l of podrun.logs(name, { namespace, tailLines: 10 })) lines.push(l);
    return lines.length ? `; its last log lines:\n${lines.join('\n')}` : '';
  } catch {
    return '';
  }
}

function whyNotRunning(p: Pod): string {
  const s = statusOf(p);
  const waiting = s?.state?.waiting;
  if (waiting) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  const term = s?.state?.terminated;
  if (term) return `it exited with code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}`;
  return `its pod is ${p.status?.phase ?? 'Unknown'}`;
}

export interface RunHooks {
  /** Connects to `port` inside the pod's network namespace (Podrun knows the sandbox). */
  dial(name: string, namespace: string, port: number, timeoutMs: number): Promise<void>;
}

export async function runContainer(podrun: Podrun, hooks: RunHooks, image: string, opts: RunOptions): Promise<StartedContainer> {
  const ports = opts.ports ?? [];
  const strategy = opts.waitFor ?? (ports.length ? Wait.forListeningPorts() : Wait.forRunning());
  for (const p of portsNeeded(strategy)) {
    if (!ports.includes(p)) throw new RangeError(`${describeStrategy(strategy)}: port ${p} is not in ports`);
  }
  opts.signal?.throwIfAborted();
  const timeoutMs = opts.startupTimeoutMs ?? 60_000;
  const pod = runPod(image, opts);
  const created = await podrun.createPod(pod);
  const name = created.metadata!.name!;
  const namespace = created.metadata?.namespace ?? 'default';
  const containerName = pod.spec!.containers[0]!.name;
  const { signal: deadline, done } = waitSignal({ timeoutMs, signal: opts.signal });
  // Ends every wait still going once the start is decided (the loser of a race included).
  const decided = new AbortController();
  const signal = AbortSignal.any([deadline, decided.signal]);
  let forward: PortForwardSession | undefined;
  let handle: StartedContainer | undefined;
  const last: { error?: unknown } = {};
  try {
    const started = await podrun.waitFor(name, settled, { namespace, signal, timeoutMs: Infinity });
    const phase = started.status?.phase;
    if (phase !== 'Running' && !(phase === 'Succeeded' && strategy.kind === 'running')) {
      throw new PodrunError('Invalid', `container ${containerName} of pod ${name} (${image}) did not start: ${whyNotRunning(started)}${await lastLines(podrun, name, namespace)}`);
    }
    // Not given `signal`: the forward outlives this function, as long as the handle.
    if (ports.length) forward = await podrun.portForward(name, ports.map((remote) => ({ local: 0, remote })), { namespace });
    signal.throwIfAborted();
    handle = new StartedContainer(podrun, name, namespace, containerName, forward);
    // The container may end while we wait: that ends the wait with the reason.
    const ended = podrun.waitFor(name, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', { namespace, signal, timeoutMs: Infinity });
    ended.catch(() => undefined); // rejected by `decided` when the wait wins
    const target = { podrun, container: handle, ports, dial: (port: number, ms: number) => hooks.dial(name, namespace, port, ms) };
    const outcome = await Promise.race([waitUntil(strategy, target, signal, last).then(() => undefined), ended.then((p) => p)]);
    if (outcome) throw new PodrunError('Invalid', `container ${containerName} of pod ${name} (${image}) ended before ${describeStrategy(strategy)}: ${whyNotRunning(outcome)}${await lastLines(podrun, name, namespace)}`);
    return handle;
  } catch (e) {
    const timedOut = deadline.aborted && !opts.signal?.aborted;
    const tail = timedOut ? await lastLines(podrun, name, namespace) : '';
    // What was made goes, whatever went wrong; a failure here must not hide the first one.
    await (handle ?? new StartedContainer(podrun, name, namespace, containerName, forward)).stop({ timeoutSeconds: 0 }).catch(() => undefined);
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (timedOut) {
      const why = last.error instanceof Error ? ` (last attempt: ${last.error.message})` : '';
      throw new PodrunError('Timeout', `container ${containerName} of pod ${name} (${image}) was not started within ${timeoutMs} ms: waited for ${describeStrategy(strategy)}${why}${tail}`);
    }
    throw e;
  } finally {
    decided.abort();
    done();
  }
}
