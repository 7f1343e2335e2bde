// podrun version: the package version, read from package.json next to src/ and dist/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../context';
import { write } from '../context';

export function packageVersion(): string {
  try {
    // src/cli/commands/ and dist/cli/commands/ both sit three levels below the package root.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const versionCommand: Command = {
  path: ['version'],
  usage: 'version',
  summary: 'Print the podrun version',
  flags: [],
  engine: 'local',
  async run(ctx) {
    await write(ctx.io.stdout, `podrun version ${packageVersion()}\n`);
    return 0;
  },
};
