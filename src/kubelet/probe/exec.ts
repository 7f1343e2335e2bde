// exec probes and hooks (pkg/probe/exec): the command in the container's namespaces, its output
// (at most 10 KiB) and exit code.
import type { EnvVar, ExecAction } from 'kubernetes-types/core/v1';
import { expand } from '../../plan/env';
import type { ExecTarget } from '../../runtime/exec';
import { collectExec } from '../../runtime/exec-collect';
import { goQuote, MAX_OUTPUT_BYTES, type ProbeResult, type ProbeTarget } from './common';

// ---- exec

/** A command's run as probes and hooks read it: its output as text. */
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
  const out = await collectExec(container, argv, timeoutMs, maxBytes);
  return { exitCode: out.exitCode, stdout: out.stdout.toString('utf8'), stderr: out.stderr.toString('utf8'), combined: out.combined.toString('utf8'), timedOut: out.timedOut };
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
