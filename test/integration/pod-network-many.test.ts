// 50 pods created at once get 50 distinct addresses; after deleting them all, no veth and no
// address record remain. Root only, in the harness's sandbox network namespace.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asRoot, isRunning, missingBusybox, missingFeature, payload, pod, setup, sleep } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? (asRoot ? undefined : 'rootless pods have loopback only until the per-user network host exists');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const N = 50;

t.test(`${N} pods at once: distinct addresses, nothing left after delete`, async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const holder = Number(process.env.PODRUN_NETWORK_NAMESPACE_PID);
  const veths = () => (fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8').match(/veth\w+:/g) ?? []).length;
  const names = Array.from({ length: N }, (_, i) => `many-${i}`);
  const t0 = Date.now();
  await Promise.all(names.map((n) => podrun.createPod(pod(n, { terminationGracePeriodSeconds: 0, containers: [payload('c', 'sleep', '600')] }))));
  t.comment(`${N} pods created in ${Date.now() - t0} ms`);
  const pods = await Promise.all(names.map((n) => podrun.waitFor(n, isRunning, { timeoutMs: 30_000 })));
  const ips = pods.map((p) => p.status?.podIP);
  t.equal(ips.filter(Boolean).length, N, 'every pod has an address');
  t.equal(new Set(ips).size, N, 'all distinct');
  t.equal(veths(), N, 'one veth per pod');
  const ipam = path.join(env.root, 'network', 'ipam');
  t.equal(fs.readdirSync(ipam).filter((f) => /^\d/.test(f)).length, N, 'one record per address');

  await Promise.all(names.map((n) => podrun.deletePod(n, { gracePeriodSeconds: 0 })));
  for (let i = 0; i < 200 && veths() > 0; i++) await sleep(25);
  t.equal(veths(), 0, 'no veth remains');
  t.same(fs.readdirSync(ipam).filter((f) => /^\d/.test(f)), [], 'no address record remains');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'no pod folder remains');
});
