// podrun's version: the package version, read from package.json beside src/ and dist/.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function packageVersion(): string {
  try {
    // src/ and dist/ both sit one level below the package root.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
