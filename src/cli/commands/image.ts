// podrun image import|ls|rm: the local image store, podman's way of showing it.

import type { ImageConfig } from '../../image/types';
import type { Command } from '../context';
import { write } from '../context';
import { imageTable } from '../format-images';
import { PodrunError } from '../../errors';
import { formatError, usageError } from '../report-error';

/** --entrypoint/--cmd: a JSON array of strings, or else one plain string taken as one argument. */
export function argvFlag(flag: string, raw: string): string[] {
  if (raw.trimStart().startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw usageError(`--${flag}: ${JSON.stringify(raw)} is not a JSON array; give a JSON array of strings or a plain string`);
    }
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw usageError(`--${flag}: the JSON array must hold strings only`);
    return v as string[];
  }
  return [raw];
}

export function importConfig(opts: { entrypoint?: string; cmd?: string; env: string[]; workdir?: string }): Partial<ImageConfig> {
  const config: Partial<ImageConfig> = {};
  if (opts.entrypoint !== undefined) config.entrypoint = argvFlag('entrypoint', opts.entrypoint);
  if (opts.cmd !== undefined) config.cmd = argvFlag('cmd', opts.cmd);
  if (opts.env.length > 0) config.env = opts.env;
  if (opts.workdir !== undefined) config.workingDir = opts.workdir;
  return config;
}

export const imageImportCommand: Command = {
  path: ['image', 'import'],
  usage: 'image import PATH NAME[:TAG] [--entrypoint JSON|STRING] [--cmd JSON|STRING] [--env K=V]... [--workdir DIR]',
  summary: 'Import a directory or tar file (plain or gzip) as an image',
  details: ['Examples:', '  podrun image import ./rootfs app:v1 --cmd \'["/bin/app","--serve"]\' --env MODE=prod'].join('\n'),
  flags: [
    { name: 'entrypoint', kind: 'string', value: 'JSON|STRING', help: 'entrypoint: a JSON array, or a string taken as one argument' },
    { name: 'cmd', kind: 'string', value: 'JSON|STRING', help: 'default command: a JSON array, or a string taken as one argument' },
    { name: 'env', kind: 'list', value: 'K=V', help: 'environment variable (repeatable)' },
    { name: 'workdir', kind: 'string', value: 'DIR', help: 'working directory (absolute)' },
  ],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length !== 2) throw usageError('image import requires exactly two arguments: PATH and NAME[:TAG]');
    const [src, ref] = ctx.args as [string, string];
    const config = importConfig({
      entrypoint: ctx.flags.string('entrypoint'),
      cmd: ctx.flags.string('cmd'),
      env: ctx.flags.list('env'),
      workdir: ctx.flags.string('workdir'),
    });
    const record = await ctx.podrun().images.importImage(src, ref, config);
    // podman import ends with the bare id, so scripts can capture it.
    await write(ctx.io.stdout, `${record.id.replace(/^sha256:/, '')}\n`);
    return 0;
  },
};

export const imageListCommand: Command = {
  path: ['image', 'ls'],
  aliases: [['image', 'list'], ['images']],
  usage: 'image ls [-q]',
  summary: 'List images',
  flags: [{ name: 'quiet', short: 'q', kind: 'bool', help: 'only the image ids' }],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    const images = ctx.podrun().images.list();
    if (ctx.flags.bool('quiet')) {
      await write(ctx.io.stdout, images.map((im) => `${im.id.replace(/^sha256:/, '').slice(0, 12)}\n`).join(''));
    } else {
      await write(ctx.io.stdout, imageTable(images, ctx.io.now()));
    }
    return 0;
  },
};

export const imageRemoveCommand: Command = {
  path: ['image', 'rm'],
  aliases: [['image', 'remove'], ['rmi']],
  usage: 'image rm NAME[:TAG]... [--force]',
  summary: 'Remove images (their content goes when no other name refers to it)',
  flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'remove it even while pods use it' }],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length === 0) throw usageError('image rm requires at least one image name');
    let code = 0;
    const inUse = ctx.flags.bool('force') ? new Set<string>() : await ctx.podrun().imagesInUse();
    for (const ref of ctx.args) {
      try {
        const img = ctx.podrun().images.get(ref);
        if (img && inUse.has(img.id)) throw new PodrunError('Conflict', `image "${ref}" is in use by a pod`, 'delete the pod first, or use --force');
        ctx.podrun().images.remove(ref);
        await write(ctx.io.stdout, `Untagged: ${img ? `${img.name}:${img.tag}` : ref}\n`);
      } catch (err) {
        // One missing image does not stop the others, as with podman rmi.
        await write(ctx.io.stderr, formatError(err, ctx.debug));
        code = 1;
      }
    }
    return code;
  },
};

export const imagePruneCommand: Command = {
  path: ['image', 'prune'],
  usage: 'image prune',
  summary: 'Remove the images no pod uses (and the layers only they had)',
  flags: [],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length > 0) throw usageError(`unexpected args: [${ctx.args.join(' ')}]`);
    for (const name of await ctx.podrun().pruneImages()) await write(ctx.io.stdout, `Untagged: ${name}\n`);
    return 0;
  },
};
