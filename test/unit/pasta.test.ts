import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { masqueradeScript, pastaArgs, tunNotice, tunUnusable } from '../../src/network/pasta';

t.test('the network host masquerades what leaves the pod CIDR, and only that', async (t) => {
  const script = masqueradeScript('10.88.0.0/16');
  t.match(script, /^add table ip podrun-outbound\n/, 'its own table');
  t.match(script, /flush chain ip podrun-outbound postrouting\n/, 'rules rewritten, so a second run is the same');
  t.match(script, /add rule ip podrun-outbound postrouting ip saddr 10\.88\.0\.0\/16 ip daddr != 10\.88\.0\.0\/16 masquerade\n$/, 'pod to pod keeps its address');
});

t.test('pasta: tap configured, no port forwarded either way, quiet, as this user', async (t) => {
  const args = pastaArgs('/run/x/netns');
  t.ok(args.includes('--config-net'));
  for (const opt of ['-t', '-u', '-T', '-U']) t.equal(args[args.indexOf(opt) + 1], 'none', `${opt} none`);
  t.ok(args.includes('-q'));
  t.same(args.slice(args.indexOf('--runas'), args.indexOf('--runas') + 2), ['--runas', '0:0'], 'not nobody');
  t.same(args.slice(-2), ['--netns', '/run/x/netns'], 'the bound namespace file');
  t.notOk(args.includes('--no-map-gw'), 'the gateway stays mapped to the host loopback');
});

t.test('tun: an unopenable device gives its errno and a notice with the fix', async (t) => {
  t.equal(tunUnusable(path.join(os.tmpdir(), 'podrun-no-such-tun')), 'ENOENT');
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-tun-')), 'tun');
  fs.writeFileSync(f, '');
  t.equal(tunUnusable(f), undefined, 'an openable file is usable');
  fs.rmSync(path.dirname(f), { recursive: true });
  t.match(tunNotice('EACCES'), /^rootless pods have no outbound network: \/dev\/net\/tun cannot be opened by this user \(EACCES\).*chmod 0666 \/dev\/net\/tun/);
});
