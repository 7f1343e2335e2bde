// A registry's TLS settings from certs.d, as podman and skopeo read them (containers-certs.d(5)):
// the first of $XDG_CONFIG_HOME/containers/certs.d (or ~/.config/...), /etc/containers/certs.d
// and /etc/docker/certs.d that has a directory named for the registry (`host` or `host:port`)
// gives its `*.crt` files as extra CA roots (beside the system's) and a `*.cert` with the `*.key`
// of the same name as the client certificate.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';

export interface RegistryTls {
  /** The system roots and the registry's own CAs. */
  ca: string[];
  cert?: Buffer;
  key?: Buffer;
  /** The certs.d directory these came from. */
  dir: string;
}

export function certsDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'containers', 'certs.d'),
    '/etc/containers/certs.d',
    '/etc/docker/certs.d',
  ];
}

/** undefined when no certs.d directory names the registry: the system's CAs, no client certificate. */
export function registryTls(registry: string, env: NodeJS.ProcessEnv = process.env): RegistryTls | undefined {
  for (const base of certsDirs(env)) {
    const dir = path.join(base, registry);
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    const out: RegistryTls = { ca: [...tls.rootCertificates], dir };
    for (const name of names) {
      const file = path.join(dir, name);
      if (name.endsWith('.crt')) out.ca.push(fs.readFileSync(file, 'utf8'));
      else if (name.endsWith('.cert')) {
        const key = path.join(dir, `${name.slice(0, -'.cert'.length)}.key`);
        if (!fs.existsSync(key)) throw new Error(`${file}: a client certificate needs ${path.basename(key)} beside it`);
        out.cert = fs.readFileSync(file);
        out.key = fs.readFileSync(key);
      }
    }
    return out;
  }
  return undefined;
}
