// The pod network primitive (issue 4 groundwork): a bridge in a network namespace, a veth into
// each pod as eth0 with its own address, pod-to-pod by IP. Root only, and entirely inside a
// sandbox network namespace this test makes (no default route): nothing touches the host's.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { native } from '../../src/native';
import { asRoot, execOut, isRunning, missingBusybox, missingFeature, payload, pod, podPaths, setup, sleep } from './harness';

const missing =
  missingFeature() ??
  missingBusybox() ??
  (asRoot ? undefined : 'rootless pod networking needs the per-user network host, not built yet (root only for now)') ??
  (fs.existsSync('/usr/bin/unshare') ? undefined : 'unshare (util-linux) is not installed');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('two pods on a bridge reach each other by IP; each localhost is its own', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  // The sandbox "host": a process in a fresh network namespace, holding it while we test.
  const holder = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  t.teardown(() => holder.kill('SIGKILL'));
  for (let i = 0; i < 100 && !fs.existsSync(`/proc/${holder.pid}/ns/net`); i++) await sleep(10);
  await sleep(50); // until unshare has exec'd sleep inside the new namespace
  const hostPidfd = native.pidfdOpen(holder.pid!);
  t.teardown(() => fs.closeSync(hostPidfd));
  t.not(fs.statSync(`/proc/${holder.pid}/ns/net`).ino, fs.statSync('/proc/self/ns/net').ino, 'the sandbox is not our namespace');

  const ips = { a: '10.88.0.2', b: '10.88.0.3' };
  for (const name of ['a', 'b'] as const) {
    const created = await podrun.createPod(pod(name, { containers: [payload('web', 'serve-http', '8080', `hello from ${name}`)] }));
    await podrun.waitFor(name, isRunning, { timeoutMs: 10_000 });
    const sandbox = JSON.parse(fs.readFileSync(podPaths(env, created).sandbox, 'utf8')) as { pid: number };
    const podPidfd = native.pidfdOpen(sandbox.pid);
    try {
      const t0 = process.hrtime.bigint();
      native.configurePodNetwork({ hostPidfd, hostJoinUser: false, podPidfd, bridge: 'podrun0', hostVeth: `veth-${name}`, ip: ips[name], gateway: '10.88.0.1', prefix: 16, mtu: 1500 });
      // A figure for the record, never an assertion.
      t.comment(`network setup of pod ${name}: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`);
    } finally {
      fs.closeSync(podPidfd);
    }
  }
  const addr = await execOut(podrun, 'a', ['/bin/sh', '-c', 'cat /proc/net/fib_trie | grep -c 10.88.0.2; cat /sys/class/net/eth0/operstate']);
  t.match(addr.stdout, /^[1-9]\d*\nup\n$/, `pod a has its address on an eth0 that is up (${JSON.stringify(addr.stdout)})`);
  const ab = await execOut(podrun, 'a', ['/bin/sh', '-c', `timeout 5 wget -q -O - http://${ips.b}:8080/`]);
  t.equal(ab.stdout, 'hello from b', 'pod a reaches pod b by IP');
  const ba = await execOut(podrun, 'b', ['/bin/sh', '-c', `timeout 5 wget -q -O - http://${ips.a}:8080/`]);
  t.equal(ba.stdout, 'hello from a', 'and b reaches a');
  const local = await execOut(podrun, 'a', ['/bin/sh', '-c', 'timeout 5 wget -q -O - http://127.0.0.1:8080/']);
  t.equal(local.stdout, 'hello from a', "localhost is the pod's own");
  // /proc/PID/net shows the network namespace of PID: the sandbox's links.
  const links = () => fs.readFileSync(`/proc/${holder.pid}/net/dev`, 'utf8');
  t.match(links(), /podrun0:[\s\S]*veth-a:|veth-a:[\s\S]*podrun0:/, 'the bridge and the host ends are in the sandbox namespace');
  t.notMatch(fs.readFileSync('/proc/self/net/dev', 'utf8'), /podrun0|veth-a/, 'and not in ours');
  await podrun.deletePod('a', { gracePeriodSeconds: 0 });
  // The veth goes with the pod's namespace, which the kernel tears down asynchronously.
  for (let i = 0; i < 100 && /veth-a:/.test(links()); i++) await sleep(20);
  t.notMatch(links(), /veth-a:/, "deleting the pod removes its veth");
  t.match(links(), /veth-b:/, "and leaves the other pod's");
});
