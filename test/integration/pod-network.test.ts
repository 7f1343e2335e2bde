// Pod networking, rootful (issue 4, first step): each pod gets an address from the pod CIDR on
// a bridge with one veth per pod; pods reach each other by IP; each pod's localhost is its own;
// containers of one pod share it. Everything runs in the sandbox network namespace the harness
// makes (PODRUN_NETWORK_NAMESPACE_PID, no default route): nothing touches the host's.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asRoot, execOut, isRunning, missingBusybox, missingFeature, payload, pod, setup, sleep, until } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/**
 * The process whose network namespace holds the bridge: rootful, the sandbox namespace the
 * harness made; rootless, the state root's network host.
 */
function bridgeHolder(root: string): number {
  if (asRoot) return Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
  return (JSON.parse(fs.readFileSync(path.join(root, 'network', 'host', 'sandbox.json'), 'utf8')) as { pid: number }).pid;
}

t.test('pods get distinct addresses and reach each other; localhost stays in the pod', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  for (const name of ['a', 'b']) {
    await podrun.createPod(
      pod(name, {
        containers: [
          { ...payload('web', 'serve-http', '8080', `hello from ${name}`), env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] },
          payload('local', 'serve-http', '9090', `local ${name}`),
        ],
      }),
    );
  }
  const [a, b] = [await podrun.waitFor('a', isRunning, { timeoutMs: 10_000 }), await podrun.waitFor('b', isRunning, { timeoutMs: 10_000 })];
  const ipA = a.status!.podIP!;
  const ipB = b.status!.podIP!;
  t.match(ipA, /^10\.88\.\d+\.\d+$/, 'inside the pod CIDR');
  t.not(ipA, ipB, 'distinct addresses');
  t.same(a.status!.podIPs, [{ ip: ipA }]);

  t.equal((await execOut(podrun, 'a', ['/bin/sh', '-c', `timeout 5 wget -q -O - http://${ipB}:8080/`], { container: 'web' })).stdout, 'hello from b', 'a reaches b by IP');
  t.equal((await execOut(podrun, 'b', ['/bin/sh', '-c', `timeout 5 wget -q -O - http://${ipA}:8080/`], { container: 'web' })).stdout, 'hello from a', 'b reaches a by IP');
  t.equal((await execOut(podrun, 'a', ['/bin/sh', '-c', 'timeout 5 wget -q -O - http://127.0.0.1:9090/'], { container: 'web' })).stdout, 'local a', 'two containers of a pod talk over localhost');
  t.equal((await execOut(podrun, 'b', ['/bin/sh', '-c', 'timeout 5 wget -q -O - http://127.0.0.1:9090/'], { container: 'web' })).stdout, 'local b', "each pod's localhost is its own");
  t.equal((await execOut(podrun, 'a', ['/payload', 'env', 'MY_IP'], { container: 'web' })).stdout.trim(), ipA, 'status.podIP in env');
  const hosts = (await execOut(podrun, 'a', ['/payload', 'cat', '/etc/hosts'], { container: 'web' })).stdout;
  t.match(hosts, new RegExp(`\\n${ipA.replace(/\./g, '\\.')}\\ta\\n`), '/etc/hosts names the pod by its address');

  const holder = bridgeHolder(env.root);
  t.ok(holder > 0, asRoot ? 'the harness made a sandbox network namespace' : 'the network host is recorded');
  /** /proc/PID/net shows the network namespace of PID: the bridge's links. */
  const sandboxLinks = () => fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8');
  t.match(sandboxLinks(), /podrun0:/, asRoot ? 'the bridge is in the sandbox namespace' : 'the bridge is in the network host');
  t.notMatch(fs.readFileSync('/proc/self/net/dev', 'utf8'), /podrun0:/, 'not in ours');
  const ipam = path.join(env.root, 'network', 'ipam');
  t.ok(fs.existsSync(path.join(ipam, ipA)), 'one record per address');
  // IPv6 stays off on both ends of a pod's veth: its solicitations and reports would be flooded
  // to every pod on the bridge. (A kernel without IPv6 has no if_inet6: nothing to check.)
  if (fs.existsSync('/proc/net/if_inet6')) {
    t.notMatch((await execOut(podrun, 'a', ['/payload', 'cat', '/proc/net/if_inet6'], { container: 'web' })).stdout, /eth0/, 'no IPv6 address on eth0');
    t.notMatch(fs.readFileSync(`/proc/${holder}/net/if_inet6`, 'utf8'), /veth/, 'nor on the host end');
  }

  await podrun.deletePod('a', { gracePeriodSeconds: 0 });
  t.notOk(fs.existsSync(path.join(ipam, ipA)), 'delete gives the address back');
  const veths = () => (sandboxLinks().match(/veth\w+:/g) ?? []).length;
  for (let i = 0; i < 100 && veths() > 1; i++) await sleep(20);
  t.equal(veths(), 1, "delete removes the pod's veth (the other pod's stays)");
});

/** The link addresses (MACs) of the bridge's namespace, by link name. */
function linkMacs(holder: number): Map<string, string> {
  const enter = asRoot ? ['-t', String(holder), '-n'] : ['-t', String(holder), '-U', '-n', '--preserve-credentials'];
  const out = spawnSync('nsenter', [...enter, 'ip', '-o', 'link'], { encoding: 'utf8' }).stdout;
  return new Map([...out.matchAll(/^\d+: ([^:@]+)[^\n]*link\/ether ([0-9a-f:]+)/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Each pod's address record (state/pods/<id>/network.json): pod IP -> host end of its veth. */
function vethsByIP(root: string): Map<string, string> {
  const pods = path.join(root, 'pods');
  const found = new Map<string, string>();
  for (const id of fs.readdirSync(pods)) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(pods, id, 'network.json'), 'utf8')) as { ip: string; veth: string };
      found.set(r.ip, r.veth);
    } catch {
      /* no address */
    }
  }
  return found;
}

t.test("adding or deleting a pod leaves the gateway's MAC where it was: the other pods keep reaching it", { skip: spawnSync('ip', ['-V']).status === 0 ? false : 'needs ip (iproute2)' }, async (t) => {
  // A bridge left to itself takes the lowest MAC among its ports, so adding or deleting a pod
  // can move it and strand every other pod's cached gateway MAC for tens of seconds. Here: the pod whose
  // veth has the lowest MAC is deleted, and the others knock on the gateway at once (a closed
  // port answers "refused" only if the frames still reach it; a stranded pod times out).
  const { podrun, root } = await setup(t);
  const names = ['m1', 'm2', 'm3'];
  for (const name of names) await podrun.createPod(pod(name, { containers: [payload('c', 'sleep', '600')] }));
  const ips = new Map<string, string>();
  for (const name of names) ips.set(name, (await podrun.waitFor(name, isRunning, { timeoutMs: 10_000 })).status!.podIP!);
  const route = (await execOut(podrun, 'm1', ['/payload', 'cat', '/proc/net/route'])).stdout;
  const hex = /^eth0\s+00000000\s+([0-9A-F]{8})/m.exec(route)?.[1] ?? '';
  const gateway = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse().join('.');
  t.match(gateway, /^10\.88\.\d+\.\d+$/, 'the pod has a default route through the gateway');
  const knock = async (name: string) => (await execOut(podrun, name, ['/bin/sh', '-c', `timeout 3 wget -q -O - http://${gateway}:9/ 2>&1; echo " exit $?"`])).stdout;
  for (const name of names) t.match(await knock(name), /refused/, `${name} reaches the gateway`);

  const macs = linkMacs(bridgeHolder(root));
  const veths = vethsByIP(root);
  const portMac = (name: string) => macs.get(veths.get(ips.get(name)!) ?? '') ?? '';
  for (const name of names) t.match(portMac(name), /^[0-9a-f:]{17}$/, `${name}'s veth and its MAC are found`);
  const arp = (await execOut(podrun, 'm1', ['/payload', 'cat', '/proc/net/arp'])).stdout;
  const seen = new RegExp(`^${gateway.replace(/\./g, '\\.')}\\s+\\S+\\s+\\S+\\s+([0-9a-f:]{17})`, 'm').exec(arp)?.[1];
  t.equal(seen, macs.get('podrun0'), "the pods know the gateway by the bridge's MAC");
  t.notOk(names.some((n) => portMac(n) === seen), "which is the bridge's own, no pod's veth's");

  const lowest = [...names].sort((a, b) => portMac(a).localeCompare(portMac(b)))[0]!;
  await podrun.deletePod(lowest, { gracePeriodSeconds: 0 });
  const gone = veths.get(ips.get(lowest)!)!;
  t.ok(await until(() => !linkMacs(bridgeHolder(root)).has(gone), 10_000), `${lowest}'s veth is gone`);
  t.equal(linkMacs(bridgeHolder(root)).get('podrun0'), seen, `the bridge keeps its MAC when ${lowest} (the lowest veth MAC) is deleted`);
  const left = names.filter((n) => n !== lowest);
  for (const name of left) t.match(await knock(name), /refused/, `${name} still reaches the gateway at once`);
  // Nor does a new pod move it (a lower veth MAC would have: the others knew another port's MAC,
  // which the bridge takes for itself only on frames that arrived through that very port).
  await podrun.createPod(pod('m4', { containers: [payload('c', 'sleep', '600')] }));
  await podrun.waitFor('m4', isRunning, { timeoutMs: 10_000 });
  t.equal(linkMacs(bridgeHolder(root)).get('podrun0'), seen, 'the bridge keeps its MAC when a pod is added');
  for (const name of left) t.match(await knock(name), /refused/, `${name} still reaches the gateway after m4 came`);
});

t.test("hostNetwork pods have the node's address", async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('hn', { hostNetwork: true, containers: [payload('c', 'sleep', '600')] }));
  const p = await podrun.waitFor('hn', isRunning, { timeoutMs: 10_000 });
  t.equal(p.status!.podIP, p.status!.hostIP, 'podIP is the hostIP, as on the kubelet');
});

t.test('a later engine finds the same network: a pod made after a restart reaches one made before', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(pod('before', { containers: [payload('web', 'serve-http', '8080', 'from before')] }));
  const before = await env.podrun.waitFor('before', isRunning, { timeoutMs: 10_000 });
  await env.podrun.close(); // the engine ends, the pod (and, rootless, the network host) stays
  const { Podrun } = await import('../../src/podrun');
  const again = new Podrun(env.opts);
  t.teardown(() => again.close());
  await again.createPod(pod('after', { containers: [payload('c', 'sleep', '600')] }));
  await again.waitFor('after', isRunning, { timeoutMs: 10_000 });
  const ip = before.status!.podIP!;
  t.equal((await execOut(again, 'after', ['/bin/sh', '-c', `timeout 5 wget -q -O - http://${ip}:8080/`])).stdout, 'from before', 'same bridge, same network host');
  t.equal((await again.getPod('before')).status?.podIP, ip, 'the old pod keeps its address');
  await again.deletePod('before', { gracePeriodSeconds: 0 });
  await again.deletePod('after', { gracePeriodSeconds: 0 });
});

t.test('rootful: pods reach beyond the bridge through outbound NAT', { skip: asRoot ? (spawnSync('ip', ['-V']).status === 0 ? false : 'needs ip (iproute2)') : 'rootless pods have no outbound network without a usable /dev/net/tun' }, async (t) => {
  // "Outside": one more namespace made here, joined to the sandbox by a veth on TEST-NET-2. It
  // has no route to the pod CIDR, so only masquerade (and forwarding) can make replies return.
  const sandbox = Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
  const outside = spawn('unshare', ['--net', 'sh', '-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.teardown(() => outside.kill('SIGKILL'));
  const ours = fs.readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 200 && fs.readlinkSync(`/proc/${outside.pid}/ns/net`) === ours; i++) await sleep(5);
  const ip = (pid: number, script: string) => spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-batch', '-'], { input: script, encoding: 'utf8' });
  const env = await setup(t);
  // The first pod makes the bridge (and turns on forwarding in the sandbox namespace).
  await env.podrun.createPod(pod('client', { containers: [payload('c', 'sleep', '600')] }));
  await env.podrun.waitFor('client', isRunning, { timeoutMs: 10_000 });
  t.equal(ip(sandbox, `link add vout type veth peer name eth0 netns ${outside.pid}\naddr add 198.51.100.1/24 dev vout\nlink set vout up\n`).status, 0, 'sandbox side of the outside link');
  t.equal(ip(outside.pid!, 'addr add 198.51.100.2/24 dev eth0\nlink set eth0 up\nlink set lo up\n').status, 0, 'outside side');
  const server = spawn('nsenter', ['-t', String(outside.pid), '-n', path.join(__dirname, '..', '..', 'build', 'Release', 'podrun-payload'), 'serve-http', '8080', 'hello from outside'], { stdio: 'ignore' });
  t.teardown(() => server.kill('SIGKILL'));
  let body = '';
  for (let i = 0; i < 20 && body !== 'hello from outside'; i++) {
    body = (await execOut(env.podrun, 'client', ['/bin/sh', '-c', 'timeout 3 wget -q -O - http://198.51.100.2:8080/'])).stdout;
    if (body !== 'hello from outside') await sleep(100);
  }
  t.equal(body, 'hello from outside', 'a pod reaches an address beyond the bridge, and the answer finds its way back');
  await env.podrun.deletePod('client', { gracePeriodSeconds: 0 });
  const nft = ['/usr/sbin/nft', '/sbin/nft'].find((f) => fs.existsSync(f));
  if (nft) t.ok(await until(() => spawnSync('nsenter', ['-t', String(sandbox), '-n', nft, 'list', 'table', 'ip', 'podrun']).status !== 0), 'with the last pod, the NAT table is gone (after its short linger)');
});
