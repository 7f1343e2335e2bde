// kubectl attach: a connection to the pod's shim that, from its reply on, is the running
// container's stdin and output (with `tty`, its terminal). Detaching (closing it) leaves the
// container running; its end ends the output, with the exit the shim recorded.
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { PodrunError } from '../errors';
import type { PodPaths } from '../state/paths';
import type { ExecSession } from '../types';
import { readAttempts } from './records';
import { ShimClient } from './shim-client';
import type { ShimRequestLine } from './shim-protocol';

export async function attachContainer(paths: PodPaths, cname: string, signal?: AbortSignal): Promise<ExecSession> {
  const sock = net.createConnection(paths.shimSocket);
  const output = new PassThrough();
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      sock.removeListener('data', onData);
      const reply = JSON.parse(head.slice(0, nl)) as { ok: boolean; error?: string };
      if (!reply.ok) {
        sock.destroy();
        reject(new PodrunError('Conflict', `cannot attach to container ${cname}: ${reply.error ?? 'refused'}`));
        return;
      }
      const rest = Buffer.from(head.slice(nl + 1), 'latin1');
      if (rest.length) output.write(rest);
      sock.pipe(output);
      // A destroyed socket (kill, abort) ends with 'close' and no 'end': the output ends too.
      sock.once('close', () => {
        if (!output.writableEnded) output.end();
      });
      resolve();
    };
    sock.on('data', onData);
    sock.once('error', reject);
    const attach: ShimRequestLine = { id: 1, op: 'attach', name: cname };
    sock.write(JSON.stringify(attach) + '\n');
  });
  // Aborting detaches, as the end of kubectl attach does; the container runs on.
  const detach = () => sock.destroy();
  signal?.addEventListener('abort', detach, { once: true });
  const exit = new Promise<{ exitCode: number; signal: number }>((resolve) => {
    output.once('end', () => {
      signal?.removeEventListener('abort', detach);
      const attempts = readAttempts(paths, cname);
      const last = attempts[attempts.length - 1]?.exit;
      resolve({ exitCode: last?.exitCode ?? 0, signal: last?.signal ?? 0 });
    });
  });
  return {
    stdin: sock,
    stdout: output,
    stderr: null,
    exit,
    resize: (rows, cols) => {
      void ShimClient.connect(paths.shimSocket)
        .then(async (c) => {
          await c.request({ op: 'resize', name: cname, rows, cols });
          c.close();
        })
        .catch(() => undefined);
    },
    kill: () => sock.destroy(),
    async [Symbol.asyncDispose]() {
      sock.destroy();
      output.resume();
      await exit;
    },
  };
}
