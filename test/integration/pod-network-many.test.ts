// 50 pods created at once get 50 distinct addresses; after deleting them all, no veth, no
// address record and no nftables rule remain. Rootful in the harness's sandbox network
// namespace (every pod also publishes a port, through nftables DNAT); rootless in the state
// root's network host (published through the pods' shims).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { asRoot, isRunning, missingBusybox, missingFeature, payload, pod, setup, sleep, until } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const N = 50;

t.test(`${N} pods at once: distinct addresses, nothing left after delete`, async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const names = Array.from({ length: N }, (_, i) => `many-${i}`);
  const container = (i: number) => ({ ...payload('c', 'sleep', '600'), ports: [{ containerPort: 8080, hostPort: 19000 + i }] });
  const t0 = Date.now();
  await Promise.all(names.map((n, i) => podrun.createPod(pod(n, { terminationGracePeriodSeconds: 0, containers: [container(i)] }))));
  // The bridge's namespace: the harness's sandbox (rootful) or the network host (rootless).
  const holder = asRoot
    ? Number(process.env.PODRUN_NETWORK_NAMESPACE_PID)
    : (JSON.parse(fs.readFileSync(path.join(env.root, 'network', 'host', 'sandbox.json'), 'utf8')) as { pid: number }).pid;
  const links = fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8');
  const veths = () => {
    try {
      return (fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8').match(/veth\w+:/g) ?? []).length;
    } catch {
      return 0; // the network host has ended: its veths with it
    }
  };
  t.match(links, /podrun0:/, 'the bridge is there');
  const nft = ['/usr/sbin/nft', '/sbin/nft'].find((f) => fs.existsSync(f));
  const nftTable = () => spawnSync('nsenter', ['-t', String(holder), '-n', nft!, 'list', 'table', 'ip', 'podrun'], { encoding: 'utf8' });
  t.comment(`${N} pods created in ${Date.now() - t0} ms`);
  const pods = await Promise.all(names.map((n) => podrun.waitFor(n, isRunning, { timeoutMs: 30_000 })));
  const ips = pods.map((p) => p.status?.podIP);
  t.equal(ips.filter(Boolean).length, N, 'every pod has an address');
  t.equal(new Set(ips).size, N, 'all distinct');
  t.equal(veths(), N, 'one veth per pod');
  const ipam = path.join(env.root, 'network', 'ipam');
  t.equal(fs.readdirSync(ipam).filter((f) => /^\d/.test(f)).length, N, 'one record per address');
  if (asRoot && nft) t.equal((nftTable().stdout.match(/19\d\d\d : 10\.88\./g) ?? []).length, N, 'one DNAT element per published port');

  await Promise.all(names.map((n) => podrun.deletePod(n, { gracePeriodSeconds: 0 })));
  for (let i = 0; i < 200 && veths() > 0; i++) await sleep(25);
  t.equal(veths(), 0, 'no veth remains');
  t.same(fs.readdirSync(ipam).filter((f) => /^\d/.test(f)), [], 'no address record remains');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'no pod folder remains');
  // The table lingers a moment after the last pod (the next pod would make it again).
  if (asRoot && nft) t.ok(await until(() => nftTable().status !== 0), 'no nftables table (so no rule) remains');
});
