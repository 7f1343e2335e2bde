// A command run to its end in a running container, its output kept (as bytes: CRI's ExecSync
// hands them on as they are; probes and hooks decode them).
import { execInContainer, type ExecTarget } from './exec';

export interface ExecOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** stdout then stderr interleaved as they came, at most maxBytes */
  combined: Buffer;
  timedOut: boolean;
}

/** Runs argv in the container without tty or stdin; kills it at the timeout (0: none). Keeps up to maxBytes of each stream. */
export async function collectExec(container: ExecTarget, argv: string[], timeoutMs: number, maxBytes: number): Promise<ExecOutput> {
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
    stdout: Buffer.concat(streams.stdout),
    stderr: Buffer.concat(streams.stderr),
    combined: Buffer.concat(combined),
    timedOut,
  };
}
