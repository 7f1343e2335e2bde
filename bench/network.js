// The network section of `npm run bench` (issue 4): every path is measured with the same
// client and server (the payload's bench-tcp and serve-bench), in the same run:
//  - host loopback (the baseline), pod to pod by IP over the bridge, and within one pod;
//  - a published port (hostPort) through podrun: nftables DNAT (rootful) and the shim's
//    forwarder, next to slirp4netns and pasta port forwarding of the same server;
//  - the time to set up one pod's network, next to the same wiring done with `ip`.
// Traffic goes only to 127.0.0.1 or to pod addresses in namespaces made here. Rootful, pods
// live in the sandbox network namespace (test/support/sandbox-netns.js).
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
const PAYLOAD = path.resolve(__dirname, '..', 'build', 'Release', 'podrun-payload');
const SERVER_PORT = 7000;
const BULK_MIB = Number(process.env.BENCH_NET_MIB) || 512;
// Each path is measured this many times and the median of each figure kept: on a small VM one
// run's latency can move 20% with where the scheduler puts the three processes.
const REPEATS = 3;
const RTTS = 2000;
const CONNS = 300;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseResult(text, where) {
  const line = text.trim().split('\n').pop() || '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${where}: bench-tcp said: ${text.trim().slice(0, 200) || '(nothing)'}`);
  }
}

function medianOf(results) {
  const mid = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return { mibps: mid('mibps'), rtt_us: mid('rtt_us'), conn_us: mid('conn_us') };
}

function hostClient(port, nsPid) {
  return medianOf(Array.from({ length: REPEATS }, () => hostClientOnce(port, nsPid)));
}

async function podClient(podrun, name, host, port) {
  const results = [];
  for (let i = 0; i < REPEATS; i++) results.push(await podClientOnce(podrun, name, host, port));
  return medianOf(results);
}

/** Runs the client here (or through `nsenter -t pid -n`), against host:port. */
function hostClientOnce(port, nsPid) {
  const args = ['bench-tcp', '127.0.0.1', String(port), String(BULK_MIB), String(RTTS), String(CONNS)];
  const r = nsPid ? spawnSync('nsenter', ['-t', String(nsPid), '-n', PAYLOAD, ...args], { encoding: 'utf8' }) : spawnSync(PAYLOAD, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench-tcp exited ${r.status}: ${(r.stderr || '').trim().slice(0, 200)}`);
  return parseResult(r.stdout, 'host client');
}

async function podClientOnce(podrun, name, host, port) {
  const s = await podrun.exec(name, ['/payload', 'bench-tcp', host, String(port), String(BULK_MIB), String(RTTS), String(CONNS)], { container: 'client' });
  let out = '';
  let err = '';
  s.stdout.on('data', (d) => (out += d));
  s.stderr?.on('data', (d) => (err += d));
  s.stdin.end();
  const { exitCode } = await s.exit;
  if (exitCode !== 0) throw new Error(`bench-tcp in ${name} exited ${exitCode}: ${err.trim().slice(0, 200)}`);
  return parseResult(out, name);
}

/** Waits until something accepts on 127.0.0.1:port (here, or in nsPid's namespace). */
async function waitPort(port, nsPid) {
  for (let i = 0; i < 100; i++) {
    const ok = nsPid
      ? spawnSync('nsenter', ['-t', String(nsPid), '-n', PAYLOAD, 'bench-tcp', '127.0.0.1', String(port), '0', '1', '1'], { encoding: 'utf8' }).status === 0
      : await new Promise((resolve) => {
          // Resolved on close, not on connect: the synchronous client that runs next blocks the
          // event loop, and this probe's FIN must be out before (the server takes one at a time).
          let ok = false;
          const s = net.connect(port, '127.0.0.1', () => {
            ok = true;
            s.end('E');
          });
          s.on('data', () => undefined);
          s.on('error', () => undefined);
          s.on('close', () => resolve(ok));
        });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}

function resultRows(name, r, note) {
  // Throughput: higher is better; the two latencies: lower is better.
  return [
    { name, unit: 'MiB/s', median: r.mibps, note },
    { name, unit: 'round trip us', median: r.rtt_us, note },
    { name, unit: 'new connection us', median: r.conn_us, note },
  ];
}

function skippedRows(name, why) {
  return ['MiB/s', 'round trip us', 'new connection us'].map((unit) => ({ name, unit, skipped: why }));
}

/** A server in a fresh network namespace (rootless: with its own user namespace), for slirp4netns and pasta. */
async function nsServer(asRoot) {
  const args = asRoot ? ['--net', '--fork'] : ['--user', '--map-root-user', '--net', '--fork'];
  const child = spawn('unshare', [...args, 'sh', '-c', `(ip link set lo up || busybox ip link set lo up) 2>/dev/null; exec ${PAYLOAD} serve-bench ${SERVER_PORT}`], { stdio: 'ignore' });
  await sleep(200);
  // unshare --fork: the server is unshare's child; its namespace is the one to attach to.
  const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const pid = Number(kids[0] || child.pid);
  return { pid, stop: () => spawnSync('kill', ['-9', String(pid), String(child.pid)]) };
}

function tunUsable() {
  try {
    fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function slirpRow(ctx, port) {
  if (!ctx.lib.which('slirp4netns')) return skippedRows('slirp4netns port forwarding', 'slirp4netns is not installed');
  if (!tunUsable()) return skippedRows('slirp4netns port forwarding', '/dev/net/tun is not usable by this user');
  const srv = await nsServer(ctx.asRoot);
  const sock = path.join(ctx.lib.tempDir('podrun-bench-slirp-'), 'api.sock');
  const slirp = spawn('slirp4netns', ['--configure', '--mtu=65520', '--disable-host-loopback', '--api-socket', sock, String(srv.pid), 'tap0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  slirp.stderr.on('data', (d) => (stderr += d));
  try {
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await sleep(20);
    if (!fs.existsSync(sock)) throw new Error(stderr.trim().split('\n').pop() || 'slirp4netns did not start');
    const reply = await new Promise((resolve, reject) => {
      const c = net.connect(sock, () => c.end(JSON.stringify({ execute: 'add_hostfwd', arguments: { proto: 'tcp', host_addr: '127.0.0.1', host_port: port, guest_addr: '10.0.2.100', guest_port: SERVER_PORT } })));
      let b = '';
      c.on('data', (d) => (b += d));
      c.on('end', () => resolve(b));
      c.on('error', reject);
    });
    if (!/"return"/.test(reply)) throw new Error(`add_hostfwd: ${reply}`);
    await waitPort(port);
    return resultRows('slirp4netns port forwarding', hostClient(port), 'MTU 65520, 10.0.2.100');
  } catch (e) {
    return skippedRows('slirp4netns port forwarding', String(e.message).slice(0, 140));
  } finally {
    slirp.kill('SIGKILL');
    srv.stop();
  }
}

async function pastaRow(ctx, port) {
  if (!ctx.lib.which('pasta')) return skippedRows('pasta port forwarding', 'pasta is not installed (Debian package passt)');
  // As root, pasta changes to nobody and then cannot open root's namespaces.
  if (ctx.asRoot) return skippedRows('pasta port forwarding', 'pasta does not run as root (it changes to nobody); see a rootless run');
  if (!tunUsable()) return skippedRows('pasta port forwarding', '/dev/net/tun is not usable by this user');
  const srv = await nsServer(ctx.asRoot);
  // -f: pasta stays in the foreground, our child, so it is killed with certainty afterwards.
  const pasta = spawn('pasta', ['--config-net', '-f', '-t', `127.0.0.1/${port}:${SERVER_PORT}`, '-u', 'none', '-T', 'none', '-U', 'none', String(srv.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  pasta.stderr.on('data', (d) => (stderr += d));
  try {
    await sleep(300);
    if (pasta.exitCode !== null) throw new Error(stderr.trim().split('\n').pop() || `pasta exited ${pasta.exitCode}`);
    await waitPort(port);
    return resultRows('pasta port forwarding', hostClient(port), 'spliced to the namespace loopback');
  } catch (e) {
    return skippedRows('pasta port forwarding', String(e.message).slice(0, 140));
  } finally {
    pasta.kill('SIGKILL');
    srv.stop();
  }
}

/** Throughput and latency rows: loopback, pod to pod, in-pod, published ports, peers. */
async function trafficRows(ctx) {
  const { Podrun } = require(dist);
  const rows = [];
  fs.copyFileSync(PAYLOAD, path.join(ctx.rootfs, 'payload'));
  fs.chmodSync(path.join(ctx.rootfs, 'payload'), 0o755);
  const holder = ctx.asRoot ? Number(process.env.PODRUN_NETWORK_NAMESPACE_PID) : undefined;

  // 1. Baseline: host loopback, no namespace in between.
  const base = spawn(PAYLOAD, ['serve-bench', '17000'], { stdio: 'ignore' });
  try {
    await waitPort(17000);
    rows.push(...resultRows('host loopback', hostClient(17000), 'baseline'));
  } finally {
    base.kill('SIGKILL');
  }

  const pod = (name, containers) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 0, containers } });
  const server = { name: 'server', image: 'bench:1', command: ['/payload', 'serve-bench', String(SERVER_PORT)] };
  const client = { name: 'client', image: 'bench:1', command: ['/bin/sleep', '100000'] };
  const running = (p) => p.status?.phase === 'Running' && (p.status.containerStatuses || []).every((c) => c.state?.running);

  const drivers = ctx.asRoot && ['/usr/sbin/nft', '/sbin/nft'].some((p) => fs.existsSync(p)) ? ['nftables', 'forwarder'] : ['forwarder'];
  for (const [i, driver] of drivers.entries()) {
    const dir = ctx.lib.tempDir('podrun-bench-net-');
    process.env.PODRUN_PORT_DRIVER = driver;
    const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
    try {
      await podrun.images.importImage(ctx.rootfs, 'bench:1');
      const hostPort = 18100 + i;
      await podrun.createPod(pod('b', [{ ...server, ports: [{ containerPort: SERVER_PORT, hostPort }] }]));
      if (i === 0) await podrun.createPod(pod('a', [client, { ...server, name: 'local' }]));
      const b = await podrun.waitFor('b', running, { timeoutMs: 15_000 });
      if (i === 0) {
        await podrun.waitFor('a', running, { timeoutMs: 15_000 });
        rows.push(...resultRows('pod to pod by IP', await podClient(podrun, 'a', b.status.podIP, SERVER_PORT), `bridge + veth, MTU ${process.env.PODRUN_MTU || 1500}`));
        rows.push(...resultRows('within a pod (localhost)', await podClient(podrun, 'a', '127.0.0.1', SERVER_PORT), 'the pod\'s own loopback'));
      }
      await waitPort(hostPort, holder);
      const label = driver === 'nftables' ? 'podrun hostPort (nftables DNAT)' : 'podrun hostPort (shim forwarder)';
      rows.push(...resultRows(label, hostClient(hostPort, holder), driver === 'nftables' ? '127.0.0.1 -> pod IP' : 'recv/send, splice when streaming'));
    } catch (e) {
      rows.push(...skippedRows(`podrun (${driver})`, String(e.message).slice(0, 140)));
    } finally {
      delete process.env.PODRUN_PORT_DRIVER;
      for (const p of await podrun.listPods().catch(() => [])) await podrun.deletePod(p.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      await podrun.close();
    }
  }
  rows.push(...(await slirpRow(ctx, 18110)));
  rows.push(...(await pastaRow(ctx, 18111)));
  return rows;
}

/**
 * Setting up one pod's network: rootful, the addon's call itself (bridge exists, veth into a
 * fresh network namespace, address, route), next to the same with two `ip -batch` runs (the
 * best a shell-out design does); rootless, pod start with a network minus pod start without.
 */
async function setupRows(ctx) {
  const rows = [];
  if (!ctx.asRoot) return rows;
  const { PodNetwork } = require(path.join(dist, 'network/pod-network'));
  const dir = ctx.lib.tempDir('podrun-bench-netsetup-');
  const holder = Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
  const network = new PodNetwork(dir, { cidr: '10.77.0.0/16', bridge: 'benchbr0', mtu: 1500, hostPid: holder });
  const holders = [];
  const newPodNs = async () => {
    const h = spawn('unshare', ['--net', 'sleep', '1000'], { stdio: 'ignore' });
    holders.push(h);
    const ours = fs.readlinkSync('/proc/self/ns/net');
    for (let i = 0; i < 200; i++) {
      try {
        if (fs.readlinkSync(`/proc/${h.pid}/ns/net`) !== ours) return h.pid;
      } catch {
        /* not yet */
      }
      await sleep(2);
    }
    throw new Error('unshare --net did not start');
  };
  try {
    const samples = [];
    for (let i = -1; i < ctx.runs; i++) {
      const pid = await newPodNs();
      const id = `${String(i + 1).padStart(8, '0')}bench`;
      const a = network.allocate(id);
      const t0 = process.hrtime.bigint();
      network.attach(id, a, pid, path.join(dir, `${id}.json`));
      if (i >= 0) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rows.push(ctx.stats('podrun pod network setup (addon, netlink)', samples, 'veth + address + route'));
    if (ctx.lib.which('ip')) {
      const ipSamples = [];
      for (let i = -1; i < ctx.runs; i++) {
        const pid = await newPodNs();
        const veth = `vb${i + 1}x`;
        const ip = `10.77.${200 + Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 2}`;
        const t0 = process.hrtime.bigint();
        const host = spawnSync('nsenter', ['-t', String(holder), '-n', 'ip', '-batch', '-'], { input: `link add ${veth} type veth peer name eth0 netns ${pid}\nlink set ${veth} master benchbr0 up\n`, encoding: 'utf8' });
        const podSide = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-batch', '-'], { input: `addr add ${ip}/16 dev eth0\nlink set lo up\nlink set eth0 up\nroute add default via 10.77.0.1\n`, encoding: 'utf8' });
        if (host.status !== 0 || podSide.status !== 0) throw new Error(`ip: ${(host.stderr || podSide.stderr).trim()}`);
        if (i >= 0) ipSamples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      rows.push(ctx.stats('ip -batch (2 execs, via nsenter)', ipSamples, 'the same wiring from a shell'));
    }
  } finally {
    for (const h of holders) h.kill('SIGKILL');
    try {
      network.removeBridge();
    } catch {
      /* gone */
    }
  }
  return rows;
}

/** Rootless: what the network adds to a pod's start (pod start with an IP minus hostNetwork). */
async function rootlessSetupRows(ctx) {
  if (ctx.asRoot) return [];
  const { Podrun } = require(dist);
  const dir = ctx.lib.tempDir('podrun-bench-rlnet-');
  const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  const out = [];
  try {
    await podrun.images.importImage(ctx.rootfs, 'bench:1');
    for (const hostNetwork of [true, false]) {
      const samples = [];
      for (let i = -1; i < ctx.runs; i++) {
        const name = `n${hostNetwork ? 'h' : 'p'}${i + 1}`;
        const t0 = process.hrtime.bigint();
        await podrun.createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { hostNetwork, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'bench:1', command: ['/bin/sleep', '1000'] }] } });
        if (i >= 0) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await podrun.deletePod(name, { gracePeriodSeconds: 0 });
      }
      out.push(ctx.stats(hostNetwork ? 'podrun createPod, hostNetwork' : 'podrun createPod, pod IP (network host)', samples));
    }
    const diff = out[1].median - out[0].median;
    out.push({ name: 'podrun pod network setup (difference)', unit: 'setup ms', median: diff, p90: diff, note: 'rootless: veth in the network host' });
  } finally {
    await podrun.close();
  }
  return out.map((r) => ({ ...r, unit: 'setup ms' }));
}

async function networkRows(ctx) {
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  const rows = [];
  try {
    if (process.env.BENCH_NET !== "setup") rows.push(...(await trafficRows(ctx)));
  } catch (e) {
    rows.push(...skippedRows('network traffic', String(e.message).slice(0, 160)));
  }
  try {
    const s = ctx.asRoot ? await setupRows(ctx) : await rootlessSetupRows(ctx);
    rows.push(...s.map((r) => ({ ...r, unit: 'setup ms' })));
  } catch (e) {
    rows.push({ name: 'pod network setup', unit: 'setup ms', skipped: String(e.message).slice(0, 160) });
  }
  return rows;
}

module.exports = { networkRows };
