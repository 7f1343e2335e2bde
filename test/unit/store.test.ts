// The object store (src/store): metadata it owns, generations, apply's answers, finalizers,
// the watch (every change once and in order, resumable, Expired when too old), and its log on
// disk (what a killed process wrote is all there; a torn line is skipped; compaction keeps all).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import type { KubeObject } from '../../src/api/manifest';
import { Store } from '../../src/store/store';
import type { Change } from '../../src/store/watch-hub';

function tempFile(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-store-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'store.jsonl');
}

const cm = (name: string, data: Record<string, string> = {}, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

t.test('create sets uid, resourceVersion, generation and creationTimestamp; update bumps the generation only for a new spec', async (t) => {
  const s = Store.open();
  const a = s.create(cm('a', { k: '1' }));
  t.match(a.metadata, { name: 'a', namespace: 'default', generation: 1, resourceVersion: '1' });
  t.match(a.metadata?.uid, /^[0-9a-f-]{36}$/);
  t.match(a.metadata?.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.throws(() => s.create(cm('a')), { code: 'AlreadyExists' });
  const b = s.update({ ...a, data: { k: '2' } });
  t.equal(b.metadata?.generation, 2, 'new data: a new generation');
  t.equal(b.metadata?.resourceVersion, '2');
  const c = s.update({ ...b, metadata: { ...b.metadata, labels: { x: 'y' } } });
  t.equal(c.metadata?.generation, 2, 'labels only: the same generation');
  t.equal(s.update(c), c, 'nothing changed: no new version');
  t.throws(() => s.update({ ...a, data: { k: '3' } }), { code: 'Conflict' }, 'a stale resourceVersion is a conflict');
  t.throws(() => s.update({ ...c, metadata: { ...c.metadata, uid: 'other' } }), { code: 'Conflict' });
  t.throws(() => s.update(cm('nope')), { code: 'NotFound' });
});

t.test("apply answers as kubectl does, and keeps what the system wrote", async (t) => {
  const s = Store.open();
  t.equal(s.apply(cm('a', { k: '1' })).action, 'created');
  t.equal(s.apply(cm('a', { k: '1' })).action, 'unchanged');
  const cur = s.get<KubeObject>('ConfigMap', 'default', 'a')!;
  s.update({ ...cur, metadata: { ...cur.metadata, annotations: { 'deployment.kubernetes.io/revision': '3' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u', controller: true }] } });
  t.equal(s.apply(cm('a', { k: '1' })).action, 'unchanged', "the system's annotation and owner stay");
  const { object, action } = s.apply(cm('a', { k: '2' }));
  t.equal(action, 'configured');
  t.equal(object.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
  t.equal(object.metadata?.ownerReferences?.[0]?.name, 'o');
});

t.test('an object with finalizers is marked for deletion and goes with its last finalizer', async (t) => {
  const s = Store.open();
  const seen: string[] = [];
  s.watch(() => true, (c) => seen.push(`${c.type} ${c.object.metadata?.deletionTimestamp ? 'deleting' : ''}`.trim()));
  const a = s.create({ ...cm('a'), metadata: { name: 'a', finalizers: ['foregroundDeletion'] } });
  s.delete('ConfigMap', 'default', 'a');
  const marked = s.get<KubeObject>('ConfigMap', 'default', 'a')!;
  t.ok(marked.metadata?.deletionTimestamp, 'still there, with a deletionTimestamp');
  t.equal(marked.metadata?.uid, a.metadata?.uid);
  s.update({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
  t.equal(s.get('ConfigMap', 'default', 'a'), undefined, 'gone with its last finalizer');
  t.same(seen, ['ADDED', 'MODIFIED deleting', 'DELETED deleting']);
});

t.test('watch: 1000 changes, each once and in order, pushed as written; resumable; Expired from before the store', async (t) => {
  const s = Store.open();
  const got: Change[] = [];
  s.watch((c) => c.object.kind === 'ConfigMap', (c) => got.push(c));
  let cur = s.create(cm('w', { n: '0' }));
  let late = 0;
  for (let i = 1; i < 1000; i++) {
    cur = s.update({ ...cur, data: { n: String(i) } });
    // Pushed, not found later: the watcher has it before the write returns.
    if (got.length !== i + 1) late++;
  }
  t.equal(late, 0, 'each change reached the watcher before its write returned');
  t.equal(got.length, 1000, 'every change');
  t.same(got.map((c) => Number((c.object as { data: { n: string } }).data.n)), [...Array(1000).keys()], 'in order, none twice');
  t.same(got.map((c) => c.rv), got.map((c) => c.rv).sort((a, b) => a - b), 'resourceVersions increase');

  const resumed: Change[] = [];
  const stop = s.watch(() => true, (c) => resumed.push(c), got[499]!.rv);
  t.equal(resumed.length, 500, 'resuming from the 500th replays the 500 after it');
  t.equal(resumed[0]!.rv, got[500]!.rv);
  stop();
  s.update({ ...cur, data: { n: 'x' } });
  t.equal(resumed.length, 500, 'a stopped watch hears no more');

  const file = tempFile(t);
  const d = Store.open(file);
  d.create(cm('a'));
  d.close();
  const again = Store.open(file);
  t.throws(() => again.watch(() => true, () => undefined, 0), { code: 'Expired' }, 'a resourceVersion from before this store is Expired');
  again.close();
});

t.test('the log: a killed writer loses nothing it wrote; resourceVersions never go back; a torn line is skipped', async (t) => {
  const file = tempFile(t);
  // A child (the built store, as podrun serve runs it) writes 300 objects and is killed (SIGKILL) after it said so.
  const script = `
    const { Store } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/store/store'))});
    const s = Store.open(${JSON.stringify(file)});
    for (let i = 0; i < 300; i++) s.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' + i }, data: { i: String(i) } });
    process.stdout.write(String(s.resourceVersion));
    process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  t.equal(r.signal, 'SIGKILL');
  const lastRv = Number(r.stdout);
  t.equal(lastRv, 300);
  const s = Store.open(file);
  t.equal(s.list('ConfigMap').length, 300, 'every object the killed process wrote');
  t.ok(s.resourceVersion >= lastRv, 'the counter is past every version handed out');
  const next = s.create(cm('after'));
  t.ok(Number(next.metadata?.resourceVersion) > lastRv, 'a new version is above the old ones');
  s.close();
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'owner-only');

  fs.appendFileSync(file, '{"rv": 99999, "put": {"kind": "ConfigMap", "metad');
  const torn = Store.open(file);
  t.equal(torn.list('ConfigMap').length, 301, 'a torn last line is skipped');
  torn.create(cm('after-torn'));
  torn.close();
  t.equal(Store.open(file).list('ConfigMap').length, 302, 'and what comes after it reads back');
});

t.test('compaction keeps every live object and drops the deleted', async (t) => {
  const file = tempFile(t);
  const s = Store.open(file);
  const big = 'x'.repeat(4096);
  for (let i = 0; i < 50; i++) s.create(cm(`keep${i}`, { big }));
  let cur = s.create(cm('churn', { big }));
  for (let i = 0; i < 2000; i++) cur = s.update({ ...cur, data: { big, i: String(i) } });
  for (let i = 0; i < 10; i++) s.delete('ConfigMap', 'default', `keep${i}`);
  s.close();
  t.ok(fs.statSync(file).size < 4 * 1024 * 1024 + 200_000, `compacted (${fs.statSync(file).size} bytes for ~8 MB written)`);
  const r = Store.open(file);
  t.equal(r.list('ConfigMap').length, 41);
  t.equal((r.get<{ data: { i: string } }>('ConfigMap', 'default', 'churn')!).data.i, '1999');
  r.close();
});
