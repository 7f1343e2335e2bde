// The argv a container runs: Kubernetes' `command`/`args` over the image's ENTRYPOINT/CMD
// (the kubelet's ExpandContainerCommandAndArgs, then the CRI runtime's merge, as containerd does).

import { PodrunError } from '../errors';
import { expand, type EnvEntry } from './env';

export interface ContainerArgv {
  command?: string[];
  args?: string[];
}

export interface ImageArgv {
  entrypoint?: string[];
  cmd?: string[];
}

/** `$(VAR)` in command and args expanded from `env` (the kubelet's half: runtimes take argv literally). */
export function expandArgv(container: ContainerArgv, env: EnvEntry[]): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const mapping = (name: string): string | undefined => vars.get(name);
  return { command: (container.command ?? []).map((s) => expand(s, mapping)), args: (container.args ?? []).map((s) => expand(s, mapping)) };
}

/**
 * The runtime's half, literally:
 * - command and args: command + args;
 * - command only: command alone (the image's CMD is ignored);
 * - args only: the image's ENTRYPOINT + args;
 * - neither: ENTRYPOINT + CMD.
 */
export function mergeArgv(container: ContainerArgv, image: ImageArgv): string[] {
  const command = container.command ?? [];
  let args = container.args ?? [];
  let argv: string[];
  if (command.length > 0) {
    argv = [...command, ...args];
  } else {
    if (args.length === 0) args = [...(image.cmd ?? [])];
    // An ENTRYPOINT of [""] is how an image build clears an inherited entrypoint: it means none.
    const entrypoint = image.entrypoint ?? [];
    const cleared = entrypoint.length === 1 && entrypoint[0] === '';
    argv = [...(cleared ? [] : entrypoint), ...args];
  }
  if (argv.length === 0) throw new PodrunError('Invalid', 'no command specified');
  return argv;
}

/** Both halves: the argv of a container from its spec, its env and its image. */
export function resolveCommand(container: ContainerArgv, image: ImageArgv, env: EnvEntry[]): string[] {
  return mergeArgv(expandArgv(container, env), image);
}
