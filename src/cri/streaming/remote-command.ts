// Exec and attach over one SPDY connection, as Kubernetes' remotecommand protocol has them
// (channel.k8s.io, v2, v3, v4): the client opens an error stream and, as the request asked,
// stdin, stdout, stderr (not with a tty) and resize (a tty, v3 and on) streams; output goes to
// them as it comes, and when the process ends the error stream says how (v4: a metav1.Status
// with the exit code; earlier: a message, only on failure), and every stream ends.
import type { Duplex } from 'node:stream';
import type { ExecSession } from '../../types';
import type { SpdySession, SpdyStream } from './spdy';

/** A connection carrying streams, SPDY's or a WebSocket's channels: told when it ends, and ended. */
export interface StreamConnection {
  once(event: 'close', listener: () => void): unknown;
  close(): void;
}

export const REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
export type RemoteCommandProtocol = (typeof REMOTE_COMMAND_PROTOCOLS)[number];

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How long a client has to open the streams it asked for. */
const STREAMS_TIMEOUT_MS = 30_000;

/** The streams the request needs, once the client has opened them all (or undefined after the timeout). */
export function awaitStreams(session: SpdySession, wanted: string[]): Promise<Map<string, SpdyStream> | undefined> {
  return new Promise((resolve) => {
    const got = new Map<string, SpdyStream>();
    const done = (v: Map<string, SpdyStream> | undefined) => {
      clearTimeout(timer);
      session.off('stream', onStream);
      resolve(v);
    };
    const onStream = (s: SpdyStream) => {
      got.set(s.headers.streamtype ?? '', s);
      if (wanted.every((w) => got.has(w))) done(got);
    };
    const timer = setTimeout(() => done(undefined), STREAMS_TIMEOUT_MS);
    session.on('stream', onStream);
    session.once('close', () => done(undefined));
  });
}

/** The streams a request asks for under a protocol. */
export function wantedStreams(o: StreamOptions, protocol: RemoteCommandProtocol): string[] {
  const v3 = protocol === 'v3.channel.k8s.io' || protocol === 'v4.channel.k8s.io';
  return ['error', ...(o.stdin ? ['stdin'] : []), ...(o.stdout ? ['stdout'] : []), ...(o.stderr && !o.tty ? ['stderr'] : []), ...(o.tty && v3 ? ['resize'] : [])];
}

/** What the error stream says of an exit: v4's status, or an older protocol's message (none on success). */
export function exitReport(exitCode: number, protocol: RemoteCommandProtocol): string {
  if (protocol === 'v4.channel.k8s.io') {
    if (exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
    return JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit status ${exitCode}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
    });
  }
  return exitCode === 0 ? '' : `command terminated with non-zero exit code: exit status ${exitCode}`;
}

/** What the error stream says when the process could not be started at all. */
export function failureReport(message: string, protocol: RemoteCommandProtocol): string {
  return protocol === 'v4.channel.k8s.io' ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError' }) : message;
}

/** Resize events: JSON objects one after another ({"Width":80,"Height":24}), as Go's encoder writes them. */
function onResize(stream: Duplex, resize: (rows: number, cols: number) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (;;) {
      const end = buf.indexOf('}');
      if (end < 0) return;
      const text = buf.slice(buf.indexOf('{'), end + 1);
      buf = buf.slice(end + 1);
      try {
        const size = JSON.parse(text) as { Width?: number; Height?: number };
        if (size.Width && size.Height) resize(size.Height, size.Width);
      } catch {
        /* not a size: skipped */
      }
    }
  });
}

/** Carries one exec or attach session over its streams, to its end. */
export async function serveRemoteCommand(session: StreamConnection, streams: Map<string, Duplex>, proc: ExecSession, protocol: RemoteCommandProtocol): Promise<void> {
  const stdin = streams.get('stdin');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const error = streams.get('error')!;
  if (stdin) stdin.pipe(proc.stdin);
  else proc.stdin.end();
  const resize = streams.get('resize');
  if (resize) onResize(resize, (rows, cols) => proc.resize(rows, cols));
  // All output reaches its stream before the status says the process has ended.
  const drained = (from: NodeJS.ReadableStream | null, to: Duplex | undefined) =>
    new Promise<void>((resolve) => {
      if (!from) return resolve();
      if (to) from.pipe(to, { end: false });
      else from.resume();
      from.once('end', () => resolve());
      from.once('close', () => resolve());
    });
  // The client going away ends the process (exec) or the attachment.
  session.once('close', () => proc.kill());
  const [exit] = await Promise.all([proc.exit, drained(proc.stdout, stdout), drained(proc.stderr, stderr)]);
  const report = exitReport(exit.exitCode, protocol);
  if (report) error.write(report);
  for (const s of [stdout, stderr, error, resize]) s?.end();
  stdin?.unpipe(proc.stdin);
  session.close();
}
