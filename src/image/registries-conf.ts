// registries.conf (containers-registries.conf(5), the file podman, buildah and skopeo read),
// the part podrun uses: [[registry]] tables with `location` (or `prefix`), `insecure` and
// `blocked`, and `unqualified-search-registries`. Read from $CONTAINERS_REGISTRIES_CONF, else
// $XDG_CONFIG_HOME/containers/registries.conf, else /etc/containers/registries.conf. Only the
// TOML this file uses is understood: strings, booleans, arrays of strings, [[tables]].
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RegistryEntry {
  prefix: string;
  location: string;
  /** Plain HTTP (and no TLS verification); unset: the default, plain HTTP only for loopback registries. */
  insecure?: boolean;
  blocked: boolean;
}

export interface RegistriesConf {
  unqualifiedSearch: string[];
  registries: RegistryEntry[];
}

function value(raw: string): string | boolean | string[] | undefined {
  const v = raw.trim();
  if (v === 'true' || v === 'false') return v === 'true';
  const str = /^"((?:[^"\\]|\\.)*)"$|^'([^']*)'$/.exec(v);
  if (str) return (str[1] ?? str[2] ?? '').replace(/\\(.)/g, '$1');
  if (v.startsWith('[') && v.endsWith(']')) {
    return [...v.slice(1, -1).matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2] ?? '');
  }
  return undefined;
}

export function parseRegistriesConf(text: string): RegistriesConf {
  const conf: RegistriesConf = { unqualifiedSearch: [], registries: [] };
  let table: Partial<RegistryEntry> | undefined;
  let inOther = false;
  const flush = () => {
    if (table && (table.location || table.prefix)) {
      conf.registries.push({ prefix: table.prefix ?? table.location!, location: table.location ?? table.prefix!, insecure: table.insecure, blocked: !!table.blocked });
    }
    table = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (line === '[[registry]]') {
      flush();
      table = {};
      inOther = false;
      continue;
    }
    if (line.startsWith('[')) {
      // Any other table ([[registry.mirror]], [aliases]) ends the registry table in TOML, and is not ours.
      flush();
      inOther = true;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const v = value(line.slice(eq + 1));
    if (table) {
      if ((key === 'location' || key === 'prefix') && typeof v === 'string') table[key] = v;
      if ((key === 'insecure' || key === 'blocked') && typeof v === 'boolean') table[key] = v;
    } else if (!inOther && key === 'unqualified-search-registries' && Array.isArray(v)) {
      conf.unqualifiedSearch = v;
    }
  }
  flush();
  return conf;
}

let cached: { key: string; at: number; conf: RegistriesConf } | undefined;

/** The file in effect; read again at most every 2 s (image lookups ask for it on every status). */
export function loadRegistriesConf(env: NodeJS.ProcessEnv = process.env): RegistriesConf {
  const key = `${env.CONTAINERS_REGISTRIES_CONF ?? ''}\0${env.XDG_CONFIG_HOME ?? ''}\0${env.HOME ?? ''}`;
  if (cached && cached.key === key && Date.now() - cached.at < 2000) return cached.conf;
  const conf = readRegistriesConf(env);
  cached = { key, at: Date.now(), conf };
  return conf;
}

function readRegistriesConf(env: NodeJS.ProcessEnv): RegistriesConf {
  const candidates = env.CONTAINERS_REGISTRIES_CONF
    ? [env.CONTAINERS_REGISTRIES_CONF]
    : [path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'containers', 'registries.conf'), '/etc/containers/registries.conf'];
  for (const f of candidates) {
    try {
      return parseRegistriesConf(fs.readFileSync(f, 'utf8'));
    } catch {
      /* next */
    }
  }
  return { unqualifiedSearch: [], registries: [] };
}

/** The entry for `registry/repository`: the longest matching prefix wins, as in podman. */
export function registryEntry(conf: RegistriesConf, registry: string, repository: string): RegistryEntry | undefined {
  const full = `${registry}/${repository}`;
  let best: RegistryEntry | undefined;
  for (const e of conf.registries) {
    const p = e.prefix.replace(/\/$/, '');
    if ((full === p || full.startsWith(`${p}/`) || registry === p) && (!best || p.length > best.prefix.length)) best = e;
  }
  return best;
}
