// Published ports (issue 4): `hostPort` answers on the host's 127.0.0.1 while the pod exists,
// TCP and UDP, and the port is free again after delete. Rootful through nftables DNAT in the
// harness's sandbox network namespace (clients run there too, through nsenter); rootless
// through the forwarder in the pod's shim. Conflicts fail the second pod with the field named.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { asRoot, isRunning, missingFeature, payload, pod, setup, until } from './harness';

const missing = missingFeature();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const holder = Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
const nftPath = ['/usr/sbin/nft', '/sbin/nft'].find((p) => fs.existsSync(p));

// One client, run where the host's 127.0.0.1 is: ours rootless, the sandbox namespace rootful.
const CLIENT = `
const [proto, port, msg] = process.argv.slice(1);
const done = (s) => { process.stdout.write(s); process.exit(0); };
setTimeout(() => done('timeout'), 4000);
if (proto === 'udp') {
  const s = require('node:dgram').createSocket('udp4');
  s.on('message', (m) => done(m.toString()));
  s.send(msg, Number(port), '127.0.0.1');
} else {
  require('node:http').get({ host: '127.0.0.1', port: Number(port), path: '/' }, (r) => {
    let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => done(b));
  }).on('error', (e) => done('error ' + e.code));
}`;

function client(proto: 'tcp' | 'udp', port: number, msg = ''): string {
  const args = ['-e', CLIENT, proto, String(port), msg];
  const r = asRoot ? spawnSync('nsenter', ['-t', String(holder), '-n', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  return r.stdout;
}

function nft(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('nsenter', ['-t', String(holder), '-n', nftPath!, ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout };
}

/** Whether we can bind the port where clients connect (nothing else holds it). */
function portFree(port: number): Promise<boolean> {
  if (asRoot) return Promise.resolve(client('tcp', port).startsWith('error ECONNREFUSED'));
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const drivers = asRoot ? (nftPath ? ['nftables', 'forwarder'] : ['forwarder']) : ['forwarder'];
for (const driver of drivers) {
  t.test(`hostPort answers on 127.0.0.1 (TCP and UDP) and is free after delete (${driver})`, async (t) => {
    const viaNft = driver === 'nftables';
    process.env.PODRUN_PORT_DRIVER = driver;
    t.teardown(() => delete process.env.PODRUN_PORT_DRIVER);
    const { podrun } = await setup(t);
    await podrun.createPod(
      pod('pub', {
        containers: [
          { ...payload('web', 'serve-http', '8080', 'published hello'), ports: [{ containerPort: 8080, hostPort: 18080 }] },
          { ...payload('dns', 'serve-udp', '5353', 'udp-reply'), ports: [{ containerPort: 5353, hostPort: 18053, protocol: 'UDP' }] },
        ],
      }),
    );
    await podrun.waitFor('pub', isRunning, { timeoutMs: 10_000 });
    let body = '';
    for (let i = 0; i < 20 && body !== 'published hello'; i++) {
      body = client('tcp', 18080);
      if (body !== 'published hello') await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(body, 'published hello', 'TCP 127.0.0.1:18080 reaches the container');
    t.equal(client('tcp', 18080), 'published hello', 'and again (a new connection)');
    t.equal(client('udp', 18053, 'ping'), 'udp-reply:ping', 'UDP 127.0.0.1:18053 reaches the container and the reply comes back');
    if (viaNft) t.match(nft(['list', 'table', 'ip', 'podrun']).out, /18080 : 10\.88\.\d+\.\d+ \. 8080/, 'rootful: an nftables DNAT element');

    const clash = await podrun.createPod(pod('clash', { containers: [{ ...payload('web', 'serve-http', '8080'), ports: [{ containerPort: 8080, hostPort: 18080 }] }] })).then(
      () => undefined,
      (e: Error) => e.message,
    );
    t.match(clash, /^spec\.containers\[0\]\.ports\[0\]\.hostPort: Invalid value: 18080: .*already allocated/, 'a second pod cannot take the port, and the error names the field');
    t.same((await podrun.listPods()).map((p) => p.metadata!.name), ['pub'], 'nothing of the refused pod remains');
    t.equal(client('tcp', 18080), 'published hello', "the refusal left the first pod's publication in place");

    await podrun.deletePod('pub', { gracePeriodSeconds: 0 });
    t.ok(await portFree(18080), 'after delete the port is free again');
    // The table lingers a moment after the last pod (the next pod would make it again).
    if (viaNft) t.ok(await until(() => !nft(['list', 'table', 'ip', 'podrun']).ok), 'rootful: no nftables table remains');
  });
}

t.test('a published port of a pod with nothing listening refuses, and the pod still works', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('idle', { containers: [{ ...payload('c', 'sleep', '600'), ports: [{ containerPort: 9999, hostPort: 18081 }] }] }));
  await podrun.waitFor('idle', isRunning, { timeoutMs: 10_000 });
  t.match(client('tcp', 18081), /^error (ECONNRESET|ECONNREFUSED|EPIPE)|^$/, 'the client sees its connection end');
  t.ok((await podrun.getPod('idle')).status?.phase === 'Running', 'the pod is unaffected');
  await podrun.deletePod('idle', { gracePeriodSeconds: 0 });
});

function httpGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = net.connect(port, '127.0.0.1', () => req.end('GET / HTTP/1.0\r\n\r\n'));
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    req.on('close', () => resolve(b.split('\r\n\r\n').slice(1).join('\r\n\r\n') || b));
  });
}

t.test("port-forward reaches the pod's own localhost; close frees the local port", async (t) => {
  const { podrun } = await setup(t);
  // Bound to the pod's loopback only: reachable by port-forward, which dials from inside.
  await podrun.createPod(pod('pf', { containers: [payload('web', 'serve-http', '8080', 'via port-forward')] }));
  await podrun.waitFor('pf', isRunning, { timeoutMs: 10_000 });
  const errors: string[] = [];
  const session = await podrun.portForward('pf', [{ local: 0, remote: 8080 }, { local: 0, remote: 9 }], { onError: (_m, e) => errors.push(e.message) });
  const [web, closed] = session.ports;
  t.ok(web.local > 0 && web.local !== closed.local, 'free local ports were chosen');
  let body = '';
  for (let i = 0; i < 20 && body !== 'via port-forward'; i++) {
    body = await httpGet(web.local);
    if (body !== 'via port-forward') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(body, 'via port-forward', 'a connection to the local port reaches the container');
  t.equal(await httpGet(closed.local), '', 'a port nothing listens on in the pod: the connection is closed');
  t.match(errors.join('\n'), /refused/, 'and the error is reported');
  await session.close();
  t.match(await httpGet(web.local), /^error ECONNREFUSED/, 'after close the local port is closed');
});

t.test('system reset removes pods, publications, the network and the state', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.createPod(pod('r', { containers: [{ ...payload('web', 'serve-http', '8080', 'r'), ports: [{ containerPort: 8080, hostPort: 18082 }] }] }));
  const p = await podrun.waitFor('r', isRunning, { timeoutMs: 10_000 });
  const pids = [(JSON.parse(fs.readFileSync(`${env.root}/pods/${p.metadata!.uid!.replace(/-/g, '').slice(0, 16)}/sandbox.json`, 'utf8')) as { pid: number }).pid];
  if (!asRoot) pids.push((JSON.parse(fs.readFileSync(`${env.root}/network/host/sandbox.json`, 'utf8')) as { pid: number }).pid);
  const removed = await podrun.reset();
  t.match(removed.join('\n'), /1 pod/, 'it says what it removed');
  if (!asRoot) t.match(removed.join('\n'), /network host/, 'including the network host');
  t.notOk(fs.existsSync(env.root), 'the state root is gone');
  t.notOk(fs.existsSync(env.dataRoot), 'the data root (images) is gone');
  for (const pid of pids) {
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      alive = fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (alive) await new Promise((r) => setTimeout(r, 20));
    }
    t.notOk(alive, `process ${pid} (${pid === pids[0] ? 'the pod shim' : 'the network host'}) has ended`);
  }
  t.ok(await portFree(18082), 'the published port is free');
  if (asRoot && nftPath) t.notOk(nft(['list', 'table', 'ip', 'podrun']).ok, 'no nftables table remains');
  if (asRoot) t.notMatch(fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8'), /podrun0:|veth/, 'no bridge or veth remains');
});
