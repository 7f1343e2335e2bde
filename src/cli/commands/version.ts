// podrun version: the package version.

import type { Command } from '../context';
import { write } from '../context';
import { packageVersion } from '../../version';

export { packageVersion };

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
