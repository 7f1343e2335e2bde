// The kubelet's killContainer: the preStop hook, then the runtime's StopContainer with what is
// left of the grace period (the stop signal, SIGKILL once it has passed). Waiting is on the
// shim's exit events, not on a clock.
import * as os from 'node:os';
import type { Container } from 'kubernetes-types/core/v1';
import { runHook } from './hooks';
import type { ProbeTarget } from './probes';

export interface KillHost {
  /** The sandbox's shim is there: containers can be stopped. */
  ready(): boolean;
  running(c: Container): boolean;
  /** The runtime's StopContainer of the current attempt: the signal, SIGKILL after timeoutMs (at once for 0). */
  stop(c: Container, signal: number, timeoutMs: number): Promise<void>;
  /** How a hook reaches the running container. */
  target(c: Container): ProbeTarget | undefined;
  /** The image's STOPSIGNAL, if any. */
  imageStopSignal(c: Container): string | undefined;
  event(type: 'Normal' | 'Warning', reason: string, message: string, c: Container): void;
}

export interface KillOptions {
  /** The Killing event's message (default: Stopping container NAME). */
  message?: string;
  /** postStart failed: the preStop hook is not run. */
  skipPreStop?: boolean;
}

/** lifecycle.stopSignal, else the image's STOPSIGNAL, else SIGTERM. */
export function stopSignal(c: Container, imageSignal: string | undefined): number {
  const sig = (c.lifecycle as { stopSignal?: string } | undefined)?.stopSignal ?? imageSignal;
  if (!sig) return 15;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = (sig.startsWith('SIG') ? sig : `SIG${sig}`).toUpperCase() as keyof typeof os.constants.signals;
  return os.constants.signals[name] ?? 15;
}

/** Resolves when the container is gone (or SIGKILL did not take it within 10 s). */
export async function killContainer(h: KillHost, c: Container, graceMs: number, o: KillOptions = {}): Promise<void> {
  if (!h.ready() || !h.running(c)) return;
  const deadline = Date.now() + graceMs;
  h.event('Normal', 'Killing', o.message ?? `Stopping container ${c.name}`, c);
  const preStop = c.lifecycle?.preStop;
  if (preStop && !o.skipPreStop && graceMs > 0) {
    const target = h.target(c);
    const r = target ? await runHook(preStop, target, graceMs) : { ok: true, message: '' };
    if (!r.ok) h.event('Warning', 'FailedPreStopHook', r.message, c);
  }
  if (h.running(c)) await h.stop(c, stopSignal(c, h.imageStopSignal(c)), Math.max(0, deadline - Date.now()));
}
