import t from 'tap';
import { hostId, parseSubIds, planIdMap } from '../../src/runtime/idmap';

t.test('parseSubIds finds the user by name or uid', async (t) => {
  const text = 'bench:100000:65536\n# comment\n1500:300000:65536\nnetuser:165536:65536\n';
  t.same(parseSubIds(text, 'netuser', 1002), { start: 165536, count: 65536 });
  t.same(parseSubIds(text, 'podruntest', 1500), { start: 300000, count: 65536 });
  t.equal(parseSubIds(text, 'nobody', 65534), undefined);
  t.equal(parseSubIds('x:1:0\n', 'x', 1), undefined, 'an empty range is no range');
});

t.test('planIdMap chooses single or subid', async (t) => {
  const base = { uid: 1000, gid: 1000, user: 'u', subuid: { start: 100000, count: 65536 }, subgid: { start: 100000, count: 65536 }, helpers: true };
  const full = planIdMap({ ...base, mode: 'auto' });
  t.equal(full.kind, 'subid');
  t.same(full.uid, [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 65536 },
  ]);
  t.equal(full.setgroups, true);
  t.equal(hostId(full.uid, 1000), 100999, 'container uid 1000 is subuid start + 999');
  t.equal(hostId(full.uid, 0), 1000);
  t.equal(hostId(full.uid, 70000), undefined);

  const single = planIdMap({ ...base, mode: 'single' });
  t.equal(single.kind, 'single');
  t.equal(single.setgroups, false);
  t.same(single.uid, [{ inside: 0, outside: 1000, count: 1 }]);

  const noHelpers = planIdMap({ ...base, helpers: false, mode: 'auto' });
  t.equal(noHelpers.kind, 'single');
  t.match(noHelpers.notice, /uidmap/, 'says which package would enable the full range');
  t.throws(() => planIdMap({ ...base, helpers: false, mode: 'subid' }), /newuidmap/);
  t.throws(() => planIdMap({ ...base, subuid: undefined, mode: 'subid' }), /no range for u/);
});
