// The kubelet's killContainer: the preStop hook, then the stop signal, then SIGKILL once the
// grace period (shared by the hook and the signal) has passed. Waiting is on the shim's exit
// events, not on a clock.
import * as os from 'node:os';
import type { Container } from 'kubernetes-types/core/v1';
import type { ShimClient } from '../runtime/shim-client';
import { runHook } from './hooks';
import type { ProbeTarget } from './probes';

export interface KillHost {
  shim(): ShimClient | undefined;
  running(c: Container): boolean;
  /** Resolves when the container's current attempt has exited, or after timeoutMs. */
  exited(c: Container, timeoutMs: number): Promise<void>;
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
  if (!h.shim() || !h.running(c)) return;
  const deadline = Date.now() + graceMs;
  h.event('Normal', 'Killing', o.message ?? `Stopping container ${c.name}`, c);
  const preStop = c.lifecycle?.preStop;
  if (preStop && !o.skipPreStop && graceMs > 0) {
    const target = h.target(c);
    const r = target ? await runHook(preStop, target, graceMs) : { ok: true, message: '' };
    if (!r.ok) h.event('Warning', 'FailedPreStopHook', r.message, c);
  }
  const left = deadline - Date.now();
  if (left > 0 && h.running(c)) {
    await h.shim()?.signal(c.name, stopSignal(c, h.imageStopSignal(c))).catch(() => false);
    await h.exited(c, left);
  }
  if (h.running(c)) {
    await h.shim()?.signal(c.name, 9).catch(() => false);
    await h.exited(c, 10_000);
  }
}
