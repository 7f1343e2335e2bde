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

/**
 * - command and args: command + args;
 * - command only: command alone (the image's CMD is ignored);
 * - args only: the image's ENTRYPOINT + args;
 * - neither: ENTRYPOINT + CMD.
 * `$(VAR)` in command and args expands from `env`; the image's own argv is taken literally.
 */
export function resolveCommand(container: ContainerArgv, image: ImageArgv, env: EnvEntry[]): string[] {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const mapping = (name: string): string | undefined => vars.get(name);
  const command = (container.command ?? []).map((s) => expand(s, mapping));
  let args = (container.args ?? []).map((s) => expand(s, mapping));
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
