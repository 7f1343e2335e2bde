// Carrying out a Wait strategy on a started container. What the engine reports (phase, Ready,
// log lines) is waited on through the watch and inotify; whether a server in the pod answers
// can only be asked, so ports, HTTP and commands are tried every RETRY_MS, as a probe would.
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Podrun } from '../podrun';
import type { StartedContainer } from './started-container';
import type { HttpWaitOptions, WaitStrategy } from './wait';

const RETRY_MS = 100;
/** One attempt's own limit (a connect or a request that hangs). */
const ATTEMPT_MS = 1000;

export interface WaitTarget {
  podrun: Podrun;
  container: StartedContainer;
  /** The container ports that were published. */
  ports: readonly number[];
  /** Connects to `port` inside the pod's network namespace; rejects when nothing listens. */
  dial(port: number, timeoutMs: number): Promise<void>;
}

/** Tries `attempt` until it resolves; the last failure is kept for the error when time runs out. */
async function retry(attempt: () => Promise<void>, signal: AbortSignal, last: { error?: unknown }): Promise<void> {
  for (;;) {
    try {
      await attempt();
      return;
    } catch (e) {
      signal.throwIfAborted();
      last.error = e;
    }
    await sleep(RETRY_MS, undefined, { signal });
  }
}

function httpOnce(port: number, path: string, o: HttpWaitOptions, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, signal, timeout: ATTEMPT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const want = o.status ?? 200;
        const statusOk = typeof want === 'function' ? want(status) : status === want;
        if (!statusOk) return reject(new Error(`HTTP ${status}`));
        if (o.body && !o.body(Buffer.concat(chunks).toString())) return reject(new Error(`HTTP ${status}: the body did not match`));
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function matches(line: string, m: string | RegExp): boolean {
  return typeof m === 'string' ? line.includes(m) : m.test(line);
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Resolves once `s` holds for the container; rejects with why not when `signal` aborts or it cannot. */
export async function waitUntil(s: WaitStrategy, t: WaitTarget, signal: AbortSignal, last: { error?: unknown } = {}): Promise<void> {
  const c = t.container;
  switch (s.kind) {
    case 'running':
      return;
    case 'listeningPorts':
      for (const port of t.ports) await retry(() => t.dial(port, ATTEMPT_MS), signal, last);
      return;
    case 'logMessage': {
      let seen = 0;
      for await (const line of c.logs({ follow: true, signal })) {
        if (matches(line, s.message) && ++seen >= s.times) return;
      }
      signal.throwIfAborted();
      throw new Error(`the log ended after ${seen} of ${s.times} matching lines`);
    }
    case 'http': {
      const local = c.mappedPort(s.port);
      await retry(() => httpOnce(local, s.path, s.options, signal), signal, last);
      return;
    }
    case 'healthCheck':
      await t.podrun.waitFor(c.name, isReady, { namespace: c.namespace, signal, timeoutMs: Infinity });
      return;
    case 'successfulCommand':
      await retry(
        async () => {
          const r = await c.exec([...s.command], { signal });
          if (r.exitCode !== 0) throw new Error(`exit code ${r.exitCode}: ${r.output.trim().split('\n').slice(-3).join(' / ')}`);
        },
        signal,
        last,
      );
      return;
    case 'all':
      await Promise.all(s.strategies.map((one) => waitUntil(one, t, signal, last)));
      return;
  }
}

/** The ports a strategy needs published, so run() can refuse a forHttp port that is not. */
export function portsNeeded(s: WaitStrategy): number[] {
  if (s.kind === 'http') return [s.port];
  if (s.kind === 'all') return s.strategies.flatMap(portsNeeded);
  return [];
}
