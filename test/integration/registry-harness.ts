// A real registry for pull tests: Debian's docker-registry on 127.0.0.1 with its storage in a
// temp dir (optionally behind htpasswd basic auth), filled with `skopeo copy` from an OCI
// layout the test wrote, in OCI or Docker schema 2 format.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
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
  push(layout: string, tag: string, repo: string, format?: 'oci' | 'v2s2'): Promise<void>;
}

/**
 * A token service for the registry's bearer flow (docker/distribution's `auth: token`): it
 * answers GET /token?service&scope with a JWT signed by a key whose self-signed certificate the
 * registry trusts (x5c header), granting what `scope` asks, to a user with the right password.
 */
async function startTokenServer(t: Test, dir: string, service: string, user: { user: string; password: string }): Promise<{ realm: string; cert: string }> {
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  const o = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=podrun-test-token'], { encoding: 'utf8' });
  if (o.status !== 0) throw new Error(`openssl: ${o.stderr}`);
  const x5c = new crypto.X509Certificate(fs.readFileSync(cert)).raw.toString('base64');
  const signer = crypto.createPrivateKey(fs.readFileSync(key));
  const b64 = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    if (given !== `${user.user}:${user.password}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'the token service wants a user and password' }] }));
      return;
    }
    const access = u.searchParams.getAll('scope').flatMap((sc) => {
      const [type, name, actions] = sc.split(':');
      return type && name ? [{ type, name, actions: (actions ?? '').split(',').filter(Boolean) }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [x5c] });
    const body = b64({ iss: 'podrun-test-issuer', sub: user.user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access });
    const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), signer).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${head}.${body}.${sig}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  return { realm: `http://127.0.0.1:${port}/token`, cert };
}

/** A test CA, a server certificate for 127.0.0.1 and a client certificate, all by openssl. */
export interface TestPki {
  caCrt: string;
  serverCrt: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function makeTestPki(dir: string): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=podrun-test-ca');
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [who, cn] of [['server', '127.0.0.1'], ['client', 'podrun-test-client']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '2', '-extfile', f(`${who}.ext`));
  }
  return { caCrt: f('ca.crt'), serverCrt: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/** skopeo's --cert-dir for a TLS registry: the CA and our client certificate, named as certs.d names them. */
function skopeoCertDir(dir: string, pki: TestPki): string {
  const certs = path.join(dir, 'skopeo-certs');
  fs.mkdirSync(certs, { recursive: true });
  fs.copyFileSync(pki.caCrt, path.join(certs, 'ca.crt'));
  fs.copyFileSync(pki.clientCert, path.join(certs, 'client.cert'));
  fs.copyFileSync(pki.clientKey, path.join(certs, 'client.key'));
  return certs;
}

export async function startRegistry(t: Test, dir: string, auth?: { user: string; password: string; bearer?: boolean }, opts: { tls?: TestPki } = {}): Promise<Registry> {
  const port = await freePort();
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  let authConfig = '';
  if (auth?.bearer) {
    fs.mkdirSync(dir, { recursive: true });
    const tokens = await startTokenServer(t, dir, 'podrun-test', auth);
    authConfig = `auth:\n  token:\n    realm: ${tokens.realm}\n    service: podrun-test\n    issuer: podrun-test-issuer\n    rootcertbundle: ${tokens.cert}\n`;
  } else if (auth) {
    const h = spawnSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' });
    if (h.status !== 0) throw new Error(`htpasswd: ${h.stderr}`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), h.stdout);
    authConfig = `auth:\n  htpasswd:\n    realm: podrun-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  // HTTPS with a client certificate required, when asked.
  const tlsConfig = opts.tls ? `  tls:\n    certificate: ${opts.tls.serverCrt}\n    key: ${opts.tls.serverKey}\n    clientcas:\n      - ${opts.tls.caCrt}\n` : '';
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${tlsConfig}${authConfig}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  t.teardown(() => child.kill('SIGKILL'));
  const host = `127.0.0.1:${port}`;
  // Up: it answers over HTTP, or (TLS) it accepts a connection.
  const up = () =>
    opts.tls
      ? new Promise<boolean>((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
          c.on('error', () => resolve(false));
        })
      : fetch(`http://${host}/v2/`).then(
          (r) => r.status === 200 || r.status === 401,
          () => false,
        );
  for (let i = 0; ; i++) {
    const ok = await up();
    if (ok) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await sleep(50);
  }
  const policy = path.join(dir, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  return {
    host,
    storage,
    // Asynchronous: the token service answers from this very process while skopeo runs.
    async push(layout, tag, repo, format = 'oci') {
      const creds = auth ? ['--dest-creds', `${auth.user}:${auth.password}`] : [];
      if (opts.tls) creds.push('--dest-cert-dir', skopeoCertDir(dir, opts.tls));
      const child = spawn('skopeo', ['--policy', policy, 'copy', '--quiet', '--dest-tls-verify=false', '--format', format, ...creds, `oci:${layout}:${tag}`, `docker://${host}/${repo}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (code !== 0) throw new Error(`skopeo copy: ${err}`);
    },
  };
}

export interface CuttingProxy {
  /** `127.0.0.1:PORT`: a registry name of its own, so the store names what it pulls by it. */
  host: string;
  /** Response bytes a connection carries before it is cut, as a flaky link does; Infinity: none. */
  cutAfter: number;
  /** The requests that went through, head lines and headers as sent. */
  requests: string[];
}

/** A TCP relay to `target` that can break the network mid-download, as a flaky link does. */
export async function startCuttingProxy(t: Test, target: string): Promise<CuttingProxy> {
  const [host, port] = target.split(':');
  const sockets = new Set<net.Socket>();
  const proxy: CuttingProxy = { host: '', cutAfter: Infinity, requests: [] };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    sockets.add(client).add(upstream);
    let relayed = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      proxy.requests.push(d.toString('latin1'));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      relayed += d.length;
      if (relayed > proxy.cutAfter) return cut();
      client.write(d);
    });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('end', () => b.end());
      a.on('error', () => b.destroy());
      a.on('close', () => sockets.delete(a));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return proxy;
}
