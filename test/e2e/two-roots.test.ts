// Two state roots in one network namespace (bin/podrun, defaults only): each has its own bridge,
// pod range and nftables table, recorded in its network/identity.json, so their pods never share
// an address; `system reset` of one removes its bridge, table, state and data roots and gives its
// range back, and the other's pods keep running. Rootless roots each have their own network
// host, so the same addresses are no clash there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { asRoot } from '../integration/harness';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('two roots, one network namespace', async (t) => {
  const [a, b] = [await e2e(t), await e2e(t)];
  a.ok(['apply', '-f', a.file('p.yaml', podYaml('web', { c: SERVE }))]);
  b.ok(['apply', '-f', b.file('p.yaml', podYaml('web', { c: SERVE }))]);
  const [pa, pb] = [await a.until('web', (p) => p.status?.phase === 'Running', 30_000), await b.until('web', (p) => p.status?.phase === 'Running', 30_000)];
  const identity = (root: string) => JSON.parse(fs.readFileSync(path.join(root, 'network', 'identity.json'), 'utf8')) as { bridge: string; cidr: string; table: string };
  if (!asRoot) {
    t.ok(pa?.status?.podIP && pb?.status?.podIP, 'both have addresses, each in its own network host');
    return;
  }
  const [ia, ib] = [identity(a.root), identity(b.root)];
  t.not(ia.bridge, ib.bridge, 'a bridge each');
  t.not(ia.cidr, ib.cidr, 'a pod range each');
  t.not(ia.table, ib.table, 'an nftables table each');
  const inRange = (ip: string | undefined, cidr: string) => !!ip && ip.split('.').slice(0, 2).join('.') === cidr.split('.').slice(0, 2).join('.');
  t.ok(inRange(pa?.status?.podIP, ia.cidr) && inRange(pb?.status?.podIP, ib.cidr), `addresses from each root's range (${pa?.status?.podIP}, ${pb?.status?.podIP})`);
  const holder = process.env.PODRUN_NETWORK_NAMESPACE_PID!;
  const links = () => fs.readFileSync(`/proc/${holder}/net/dev`, 'utf8');
  t.match(links(), new RegExp(`${ia.bridge}:`), "a's bridge");
  t.match(links(), new RegExp(`${ib.bridge}:`), "b's bridge");

  t.match(a.ok(['system', 'reset', '--force']), new RegExp(`removed bridge ${ia.bridge}\\n`));
  t.notOk(fs.existsSync(a.root), "a's state root is gone");
  t.notMatch(links(), new RegExp(`${ia.bridge}:`), "a's bridge is gone");
  t.match(links(), new RegExp(`${ib.bridge}:`), "b's bridge stays");
  t.equal(b.pod('web')?.status?.phase, 'Running', "b's pod runs on");
  t.equal(b.ok(['exec', 'web', '--', 'cat', '/etc/hostname']), 'web\n', 'and answers');
});
