// podrun pull REF (also `image pull`): from the image's registry into the local store. On a
// terminal, one line per layer rewritten in place with its progress; otherwise one line per
// finished layer, as skopeo prints.
import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export const pullCommand: Command = {
  path: ['pull'],
  aliases: [['image', 'pull']],
  usage: 'pull NAME[:TAG|@DIGEST]',
  summary: 'Pull an image from a registry',
  details: 'Registries on 127.0.0.0/8 and localhost are plain HTTP; credentials come from auth.json (podman and skopeo\'s) or ~/.docker/config.json.',
  flags: [{ name: 'quiet', short: 'q', kind: 'bool', help: 'print only the image id' }],
  engine: 'local',
  async run(ctx) {
    if (ctx.args.length !== 1) throw usageError('pull takes one image reference');
    const ref = ctx.args[0]!;
    const out = ctx.io.stdout;
    const quiet = ctx.flags.bool('quiet');
    const tty = !quiet && (out as NodeJS.WriteStream).isTTY === true;
    const lines = new Map<string, string>();
    const redraw = () => {
      if (!tty) return;
      (out as NodeJS.WriteStream).write(`\x1b[${lines.size}A` + [...lines.values()].map((l) => `\x1b[2K${l}\n`).join(''));
    };
    const img = await ctx.podrun().pull(ref, {
      progress: {
        layer(digest, event, bytes, size) {
          if (quiet) return;
          const text = event === 'cached' ? `${short(digest)}: already stored` : event === 'done' ? `${short(digest)}: done ${size ? mib(size) : ''}` : `${short(digest)}: ${mib(bytes)}${size ? ` / ${mib(size)}` : ''}`;
          if (tty) {
            if (!lines.has(digest)) (out as NodeJS.WriteStream).write('\n');
            lines.set(digest, text);
            redraw();
          } else if (event === 'done' || event === 'cached') void write(out, `Copying blob ${text}\n`);
        },
      },
    });
    await write(out, quiet ? `${img.id}\n` : `Pulled ${img.name}:${img.tag} ${img.id}\n`);
    return 0;
  },
};
