// podrun debug NAME --image IMG [--target C] [-c NAME] -- CMD...: kubectl debug's ephemeral
// container. It joins the pod's namespaces (and the target container's PID namespace) and runs
// once. Without -i its output is printed until it exits, and its exit code is debug's; it stays
// in `podrun logs NAME -c DEBUGGER`. With -i (and -t) debug attaches to it.
import * as crypto from 'node:crypto';
import type { EphemeralContainer } from 'kubernetes-types/core/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';
import { podNames } from '../resources';
import { attachTo } from './attach';

export const debugCommand: Command = {
  path: ['debug'],
  usage: 'debug NAME --image IMAGE [--target CONTAINER] [-c NAME] [-f] [-- COMMAND [ARGS...]]',
  summary: 'Add an ephemeral container to a running pod',
  flags: [
    { name: 'image', kind: 'string', value: 'IMAGE', help: 'the image of the debug container' },
    { name: 'target', kind: 'string', value: 'CONTAINER', help: "share this container's PID namespace" },
    { name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the debug container name (default debugger-xxxxx)' },
    { name: 'follow', short: 'f', kind: 'bool', help: 'accepted for compatibility: without -i the output is always followed' },
    { name: 'stdin', short: 'i', kind: 'bool', help: 'keep stdin open and attach to the debug container' },
    { name: 'tty', short: 't', kind: 'bool', help: 'give the debug container a terminal (with -i)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const first = ctx.args[0];
    if (!first) throw usageError('expected the name of a pod');
    const name = first.includes('/') ? podNames([first])[0]! : first;
    const image = ctx.flags.string('image');
    if (!image) throw usageError('--image is required');
    const command = ctx.args.slice(1);
    let cname = ctx.flags.string('container');
    if (!cname) {
      cname = `debugger-${crypto.randomBytes(3).toString('hex').slice(0, 5)}`;
      await write(ctx.io.stderr, `Defaulting debug container name to ${cname}.\n`);
    }
    const target = ctx.flags.string('target');
    const interactive = ctx.flags.bool('stdin');
    const tty = interactive && ctx.flags.bool('tty');
    const container: EphemeralContainer = {
      name: cname,
      image,
      ...(command.length ? { command } : {}),
      ...(target ? { targetContainerName: target } : {}),
      ...(interactive ? { stdin: true, stdinOnce: true } : {}),
      ...(tty ? { tty: true } : {}),
    };
    const client = ctx.podrun();
    await client.addEphemeralContainer(name, container, { namespace: ctx.namespace });
    if (interactive) return attachTo(ctx, name, cname, true, tty);
    // Its output until it exits (from the log, so a command that is already done is not missed),
    // then its exit code as ours.
    for await (const line of client.logs(name, { namespace: ctx.namespace, container: cname, follow: true })) await write(ctx.io.stdout, line + '\n');
    const terminated = (pod: Pod) => pod.status?.ephemeralContainerStatuses?.find((c) => c.name === cname)?.state?.terminated;
    try {
      // The status follows the log's end closely: the watch says when.
      const pod = await client.waitFor(name, (p) => !!terminated(p), { namespace: ctx.namespace, timeoutMs: 5000 });
      return terminated(pod)!.exitCode;
    } catch {
      return 0;
    }
  },
};
