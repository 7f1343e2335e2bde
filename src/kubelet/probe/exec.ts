// exec probes and hooks (pkg/probe/exec): the command in the container's namespaces, its output
// (at most 10 KiB) and exit code.
import type { EnvVar, ExecAction } from 'kubernetes-types/core/v1';
import { expand } from '../../plan/env';
import { execInContainer, type ExecTarget } from '../../runtime/exec';
import { goQuote, MAX_OUTPUT_BYTES, type ProbeResult, type ProbeTarget } from './common';

// ---- exec

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr interleaved as they came, at most maxBytes */
  combined: string;
  timedOut: boolean;
}

/** Runs argv in the container without tty or stdin; kills it at the timeout (0: none). Keeps up to maxBytes of each stream. */
export async function execCollect(container: ExecTarget, argv: string[], timeoutMs: number, maxBytes = MAX_OUTPUT_BYTES): Promise<ExecOutcome> {
  const s = execInContainer(container, argv, { tty: false, stdin: false });
  const combined: Buffer[] = [];
  let combinedLen = 0;
  const streams: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  const lens = { stdout: 0, stderr: 0 };
  const collect = (which: 'stdout' | 'stderr') => (d: Buffer) => {
    // Keep draining past the cap, or a chatty command would block on a full pipe.
    if (combinedLen < maxBytes) {
      const part = d.subarray(0, maxBytes - combinedLen);
      combined.push(part);
      combinedLen += part.length;
    }
    if (lens[which] < maxBytes) {
      const part = d.subarray(0, maxBytes - lens[which]);
      streams[which].push(part);
      lens[which] += part.length;
    }
  };
  s.stdout.on('data', collect('stdout'));
  s.stderr?.on('data', collect('stderr'));
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), s.kill(9)), timeoutMs) : undefined;
  const { exitCode } = await s.exit;
  if (timer) clearTimeout(timer);
  return {
    exitCode,
    stdout: Buffer.concat(streams.stdout).toString('utf8'),
    stderr: Buffer.concat(streams.stderr).toString('utf8'),
    combined: Buffer.concat(combined).toString('utf8'),
    timedOut,
  };
}

/** ExpandContainerCommandOnlyStatic: `$(VAR)` from the container's env entries (valueFrom ones are ""). */
export function expandProbeCommand(command: string[], env: EnvVar[] = []): string[] {
  const values = new Map(env.map((e) => [e.name, e.value ?? '']));
  return command.map((c) => expand(c, (name) => values.get(name)));
}

export async function execProbe(action: ExecAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const command = expandProbeCommand(action.command ?? [], target.env);
  let out: ExecOutcome;
  try {
    out = await execCollect(target.container, command, timeoutMs);
  } catch (e) {
    // The runtime could not start it (no such program, container gone): the kubelet's "errored".
    return { result: 'unknown', output: (e as Error).message };
  }
  // With ExecProbeTimeout (on since 1.20) a timeout fails the probe with the runtime's message.
  if (out.timedOut) return { result: 'failure', output: `command ${goQuote(command.join(' '))} timed out` };
  return { result: out.exitCode === 0 ? 'success' : 'failure', output: out.combined };
}
