// Lifecycle hooks (postStart, preStop) as the kubelet runs them (pkg/kubelet/lifecycle/handlers.go),
// inside the pod like the probes: exec in the container, HTTP from the pod's network namespace,
// or a sleep. Any HTTP response counts as success (the kubelet checks no status code); only a
// failure to get one fails the hook. Messages are the kubelet's FailedPostStartHook /
// FailedPreStopHook event messages.
import type { LifecycleHandler } from 'kubernetes-types/core/v1';
import { ValidationError } from '../errors';
import { buildHTTPRequest, doHTTPGet, execCollect, goQuote, type ProbeTarget } from './probes';

export interface HookResult {
  ok: boolean;
  /** '' on success; the kubelet's message on failure. */
  message: string;
}

function who(target: ProbeTarget): string {
  const n = target.names ?? { container: '', pod: '' };
  return `for Container ${goQuote(n.container)} in Pod ${goQuote(n.pod)}`;
}

/** Go's %v of a []string: `[sh -c exit 1]`. */
function goList(a: string[]): string {
  return `[${a.join(' ')}]`;
}

/**
 * Runs a hook handler; timeoutMs bounds it (a preStop hook gets the grace period; 0: no bound).
 * An exec hook still running at the deadline is killed.
 */
export async function runHook(handler: LifecycleHandler, target: ProbeTarget, timeoutMs: number): Promise<HookResult> {
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const fail = (err: string, output: string) => ({ ok: false, message: `Exec lifecycle hook (${goList(command)}) ${who(target)} failed - error: ${err}, message: ${goQuote(output)}` });
    try {
      const out = await execCollect(target.container, command, timeoutMs);
      if (out.timedOut) return fail(`command ${goQuote(command.join(' '))} timed out`, out.stdout + out.stderr);
      // The CRI's CodeExitError, then the combined output RunInContainer returns.
      if (out.exitCode !== 0) return fail(`command '${command.join(' ')}' exited with ${out.exitCode}: ${out.stderr}`, out.stdout + out.stderr);
      return { ok: true, message: '' };
    } catch (e) {
      return fail((e as Error).message, '');
    }
  }
  if (handler.httpGet) {
    const path = handler.httpGet.path ?? '';
    const fail = (err: string) => ({ ok: false, message: `HTTP lifecycle hook (${path}) ${who(target)} failed - error: ${err}` });
    let spec;
    try {
      spec = buildHTTPRequest(handler.httpGet, target, 'lifecycle', 'lifecycle.httpGet');
    } catch (e) {
      if (e instanceof ValidationError) return fail(e.detail);
      throw e;
    }
    // The kubelet's lifecycle client has no timeout of its own; the hook's bound serves.
    const bound = timeoutMs > 0 ? timeoutMs : 2 ** 31 - 1;
    let out = await doHTTPGet(spec, target, bound, true);
    // An HTTPS hook answered in plain HTTP is retried over HTTP (the kubelet's fallback).
    if (out.kind === 'error' && spec.scheme === 'https' && out.message.includes('server gave HTTP response to HTTPS client')) {
      const retry = await doHTTPGet({ ...spec, scheme: 'http' }, target, bound, true);
      if (retry.kind === 'response') out = retry;
    }
    return out.kind === 'error' ? fail(out.message) : { ok: true, message: '' };
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    const ms = seconds * 1000;
    if (timeoutMs > 0 && timeoutMs < ms) {
      await new Promise((r) => setTimeout(r, timeoutMs));
      return { ok: false, message: `Sleep lifecycle hook (${seconds}) ${who(target)} failed - error: container terminated before sleep hook finished` };
    }
    await new Promise((r) => setTimeout(r, ms));
    return { ok: true, message: '' };
  }
  return { ok: false, message: 'Cannot run handler: invalid handler' };
}
