// A pod's host-side veth is named after the pod (veth<first 8 of its id>). A sandbox made again
// right after its shim died finds that name still taken while the kernel tears the old network
// namespace down; the old link goes and the new one is made, instead of the pod failing with
// EEXIST (seen after SIGKILLs of `podrun serve` in the middle of a roll-out). Rootful, in the
// harness's sandbox network namespace.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import t from 'tap';
import { native } from '../../src/native';
import { asRoot, missingFeature, until } from './harness';

const missing = missingFeature() ?? (asRoot ? undefined : 'rootful only (rootless pods are wired inside the network host)');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const holder = Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
const inHolder = (...args: string[]) => spawnSync('nsenter', ['-t', String(holder), '-n', ...args], { encoding: 'utf8' });

t.test('a veth name left by a previous sandbox of the pod is taken over', async (t) => {
  const veth = 'vethfeedbeef';
  // The stale link: another veth pair, as the old sandbox's was.
  const made = inHolder('ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'stalepeer0');
  t.equal(made.status, 0, `a link named as the pod's veth exists ${made.stderr}`);
  const pod = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  t.teardown(() => {
    pod.kill('SIGKILL');
    inHolder('ip', 'link', 'del', veth);
    inHolder('ip', 'link', 'del', 'podrunv0');
  });
  const own = fs.readlinkSync('/proc/self/ns/net');
  t.ok(await until(() => fs.readlinkSync(`/proc/${pod.pid}/ns/net`) !== own), 'the pod has its own network namespace');
  const podPidfd = native.pidfdOpen(pod.pid!);
  const hostPidfd = native.pidfdOpen(holder);
  try {
    await native.configurePodNetwork({ hostPidfd, hostJoinUser: false, forwarding: false, removeBridge: false, podPidfd, bridge: 'podrunv0', hostVeth: veth, ip: '10.79.0.2', gateway: '10.79.0.1', prefix: 24, mtu: 1500 });
  } finally {
    fs.closeSync(podPidfd);
    fs.closeSync(hostPidfd);
  }
  t.not(inHolder('ip', 'link', 'show', 'stalepeer0').status, 0, 'the stale pair is gone');
  t.match(inHolder('ip', 'link', 'show', veth).stdout, /master podrunv0/, 'on the bridge');
  const addr = spawnSync('nsenter', ['-t', String(pod.pid), '-n', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' }).stdout;
  t.match(addr, /10\.79\.0\.2\/24/, 'the pod has its address on eth0');
});
