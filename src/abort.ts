// Cancellation for the Node API's waits: the caller's AbortSignal and a timeout as one signal.

/**
 * The signal a wait listens to: aborted when the caller's `signal` aborts or `timeoutMs` (default
 * 60 s; Infinity for none) passes. `done()` clears the timer, so a finished wait holds nothing
 * that would keep the process alive.
 */
export function waitSignal(opts: { timeoutMs?: number; signal?: AbortSignal }): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const ms = opts.timeoutMs ?? 60_000;
  const timer = Number.isFinite(ms) ? setTimeout(() => ac.abort(), ms) : undefined;
  const onAbort = () => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ac.abort(opts.signal.reason);
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    done() {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    },
  };
}
