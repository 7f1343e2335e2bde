// podrun pull REF (also `image pull`): from the image's registry into the local store. On a
// terminal, a progress bar per layer, redrawn in place; otherwise one line per finished layer,
// as skopeo prints.
import type { Command } from '../context';
import { write } from '../context';
import { progressLine } from '../progress-bar';
import { usageError } from '../report-error';

/** How often the bars are redrawn while bytes arrive (a start or an end is drawn at once). */
const REDRAW_MS = 100;

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
    let drawn = 0;
    const redraw = () => {
      drawn = Date.now();
      (out as NodeJS.WriteStream).write(`\x1b[${lines.size}A` + [...lines.values()].map((l) => `\x1b[2K${l}\n`).join(''));
    };
    const img = await ctx.podrun().pull(ref, {
      progress: {
        layer(digest, event, bytes, size) {
          if (quiet) return;
          const text = progressLine(digest, event, bytes, size);
          if (tty) {
            if (!lines.has(digest)) (out as NodeJS.WriteStream).write('\n');
            lines.set(digest, text);
            if (event !== 'bytes' || Date.now() - drawn >= REDRAW_MS) redraw();
          } else if (event === 'done' || event === 'cached') void write(out, `Copying blob ${text}\n`);
        },
        // As podman says it, on stderr: the bars (or lines) go on below.
        retry(attempt, of, delayMs, error) {
          if (quiet) return;
          void write(ctx.io.stderr, `Retrying in ${delayMs / 1000}s ... (${attempt}/${of}): ${error.message}\n`);
          if (tty) lines.clear();
        },
      },
    });
    await write(out, quiet ? `${img.id}\n` : `Pulled ${img.name}:${img.tag} ${img.id}\n`);
    return 0;
  },
};
