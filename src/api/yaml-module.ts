// The yaml package, loaded when first used: it is a quarter of a CLI command's module loading
// (about 24 ms), and most commands (get, logs, exec, delete NAME) never read or write YAML.
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('yaml') as typeof Yaml);
}
