// Restart back-off as the kubelet applies it: the first restart is immediate, then 10 s,
// doubling to a 5 min cap; a container that ran for 10 min starts over.
import type { ContainerWithRules } from '../api/newer-fields';
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const KUBELET_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };
export const BACKOFF_RESET_MS = 600_000;

/** Delay before restart number `restarts + 1`, given how many restarts came before in a row. */
export function backoffDelay(policy: BackoffPolicy, restarts: number): number {
  if (restarts <= 0) return 0;
  return Math.min(policy.initialMs * 2 ** (restarts - 1), policy.maxMs);
}


/**
 * Whether an app container restarts after this exit: its first matching restartPolicyRules
 * entry, else its own restartPolicy, else the pod's.
 */
export function restartsAfter(podPolicy: string | undefined, c: ContainerWithRules, exitCode: number): boolean {
  for (const rule of c.restartPolicyRules ?? []) {
    const codes = rule.exitCodes;
    if (!codes) continue;
    const hit = codes.operator === 'In' ? codes.values.includes(exitCode) : !codes.values.includes(exitCode);
    if (hit) return rule.action === 'Restart';
  }
  return shouldRestart(c.restartPolicy ?? podPolicy, exitCode);
}

/** How a restart policy answers an exit (native sidecars always restart). */
export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** kubectl's Go-style duration in the CrashLoopBackOff message: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}
