// A real registry for pull tests: Debian's docker-registry on 127.0.0.1 with its storage in a
// temp dir (optionally behind htpasswd basic auth), filled with `skopeo copy` from an OCI
// layout the test wrote, in OCI or Docker schema 2 format.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { sleep, type Test } from './harness';

export function missingRegistryTools(): string | undefined {
  for (const [cmd, pkg] of [['docker-registry', 'docker-registry'], ['skopeo', 'skopeo']]) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `${cmd} is not installed (Debian package ${pkg})`;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Registry {
  /** `127.0.0.1:PORT` */
  host: string;
  storage: string;
  /** Copies image `tag` of an OCI layout to `host/repo:tag` (format: 'oci' or 'v2s2'). */
  push(layout: string, tag: string, repo: string, format?: 'oci' | 'v2s2'): void;
}

export async function startRegistry(t: Test, dir: string, auth?: { user: string; password: string }): Promise<Registry> {
  const port = await freePort();
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  let authConfig = '';
  if (auth) {
    const h = spawnSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' });
    if (h.status !== 0) throw new Error(`htpasswd: ${h.stderr}`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), h.stdout);
    authConfig = `auth:\n  htpasswd:\n    realm: podrun-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authConfig}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  t.teardown(() => child.kill('SIGKILL'));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (ok) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await sleep(50);
  }
  const policy = path.join(dir, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  return {
    host,
    storage,
    push(layout, tag, repo, format = 'oci') {
      const creds = auth ? ['--dest-creds', `${auth.user}:${auth.password}`] : [];
      const r = spawnSync('skopeo', ['--policy', policy, 'copy', '--quiet', '--dest-tls-verify=false', '--format', format, ...creds, `oci:${layout}:${tag}`, `docker://${host}/${repo}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`skopeo copy: ${r.stderr}`);
    },
  };
}
