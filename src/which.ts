// Where an optional system program is: the first executable of that name on PATH, then in the
// usual system directories (a PATH without sbin, as a user's often is, still finds them).
import * as fs from 'node:fs';

export function which(name: string): string | undefined {
  const dirs = (process.env.PATH || '').split(':').filter(Boolean).concat(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
  for (const dir of dirs) {
    const p = `${dir}/${name}`;
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}
