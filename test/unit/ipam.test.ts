import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatIPv4, Ipam, parseCidr } from '../../src/network/ipam';

function tmp(t: Parameters<Parameters<typeof t.test>[1]>[0]): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-ipam-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('CIDR parsing', async (t) => {
  t.same(parseCidr('10.88.0.0/16'), { base: (10 << 24 | 88 << 16) >>> 0, prefix: 16 });
  t.equal(formatIPv4(parseCidr('10.88.7.9/24').base), '10.88.7.0', 'host bits cleared');
  t.throws(() => parseCidr('10.88.0.0'), /must be an IPv4 network/);
  t.throws(() => parseCidr('300.1.1.1/24'), /must be an IPv4 network/);
  t.throws(() => parseCidr('10.0.0.0/31'), /must be an IPv4 network/);
});

t.test('allocate, release, exhaustion, reuse', async (t) => {
  const ipam = new Ipam(tmp(t), '10.99.0.0/29'); // hosts .2 to .6
  const got = [1, 2, 3, 4, 5].map((i) => ipam.allocate(`pod${i}`));
  t.same(got.map((a) => a.ip), ['10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5', '10.99.0.6']);
  t.equal(got[0].gateway, '10.99.0.1');
  t.equal(got[0].prefix, 29);
  t.throws(() => ipam.allocate('pod6'), /no free address in 10\.99\.0\.0\/29/);
  ipam.release('10.99.0.4', 'someone-else');
  t.throws(() => ipam.allocate('pod6'), /no free address/, 'only the owner releases');
  ipam.release('10.99.0.4', 'pod3');
  t.equal(ipam.allocate('pod6').ip, '10.99.0.4', 'a released address comes back');
});

t.test('reconcile frees the addresses of pods that are gone', async (t) => {
  const ipam = new Ipam(tmp(t), '10.99.1.0/24');
  ipam.allocate('alive');
  ipam.allocate('dead');
  t.same(ipam.reconcile((o) => o === 'alive'), ['10.99.1.3']);
  t.same([...ipam.list().values()], ['alive']);
});

t.test('releaseAll frees every address of one owner: the recorded one and one an engine killed before recording allocated', async (t) => {
  const ipam = new Ipam(tmp(t), '10.99.2.0/24');
  ipam.allocate('pod'); // the engine died here, before the pod's network record
  ipam.allocate('other');
  ipam.allocate('pod'); // the next engine's sandbox for the same pod
  t.same(ipam.releaseAll('pod').sort(), ['10.99.2.2', '10.99.2.4']);
  t.same([...ipam.list()], [['10.99.2.3', 'other']], "another pod's address stays");
});

t.test('50 allocations from 5 processes at once are distinct', async (t) => {
  const dir = tmp(t);
  const worker = path.join(__dirname, 'fixtures', 'ipam-worker.ts');
  const runs = [0, 1, 2, 3, 4].map(
    (w) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, worker, dir, '10.77.0.0/24', '10', `w${w}`], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`worker exited ${code}`))));
      }),
  );
  const all = (await Promise.all(runs)).flat();
  t.equal(all.length, 50);
  t.equal(new Set(all).size, 50, 'no address given twice');
  t.equal(new Ipam(dir, '10.77.0.0/24').list().size, 50, 'one record per address');
});
