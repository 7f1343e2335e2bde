// Each rootful state root's own bridge, range and table (network/root-identity.ts): slots are
// claimed lowest first in a registry per network namespace, kept across engines, taken back from
// roots that are gone, and given back by system reset.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { releaseRootNetwork, rootNetworkIdentity } from '../../src/network/root-identity';

t.test('slots: lowest free first, recorded, reclaimed from gone roots, released', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-identity-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const registry = path.join(base, 'registry');
  const root = (n: string) => {
    const d = path.join(base, n);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const [a, b, c] = [root('a'), root('b'), root('c')];
  t.same(rootNetworkIdentity(a, undefined, registry), { bridge: 'podrun0', cidr: '10.88.0.0/16', table: 'podrun' }, 'the first root: the usual names');
  t.same(rootNetworkIdentity(b, undefined, registry), { bridge: 'podrun1', cidr: '10.89.0.0/16', table: 'podrun1' }, 'a second: the next slot');
  t.same(rootNetworkIdentity(a, undefined, registry).bridge, 'podrun0', 'a root keeps its choice');
  t.ok(fs.existsSync(path.join(a, 'network', 'identity.json')), 'recorded in the root');
  fs.rmSync(a, { recursive: true });
  t.same(rootNetworkIdentity(c, undefined, registry).bridge, 'podrun0', "a gone root's slot is taken back");
  releaseRootNetwork(b, undefined, registry);
  t.same(rootNetworkIdentity(root('d'), undefined, registry).bridge, 'podrun1', 'a released slot is free again');
});

t.test("a namespace that ended frees its slots, though its roots remain; a root's choice counts in its own namespace", async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-identity-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  const registry = path.join(base, 'registry');
  const a = path.join(base, 'a');
  const b = path.join(base, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  // A holder process names a namespace (here our own, as a sandbox's holder would name its).
  const holder = spawn('sleep', ['100'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(rootNetworkIdentity(a, holder.pid, registry).bridge, 'podrun0');
  t.equal(rootNetworkIdentity(b, holder.pid, registry).bridge, 'podrun1', 'taken while its namespace lives');
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const c = path.join(base, 'c');
  fs.mkdirSync(c);
  t.equal(rootNetworkIdentity(c, undefined, registry).bridge, 'podrun0', 'the holder ended: the slot is free though root a remains');
  t.equal(rootNetworkIdentity(a, undefined, registry).bridge, 'podrun1', "a's recorded choice was for the namespace that ended: it claims anew");
});
