// Each container's oom_score_adj by its pod's QoS class, as the kubelet sets it (bin/podrun,
// defaults only): best effort 1000, burstable between (lower the more memory it requests),
// guaranteed -997 where the kernel lets the score go down (it takes CAP_SYS_RESOURCE; without
// it the inherited score stays, as containerd's restrict_oom_score_adj keeps it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('oom_score_adj by QoS class', async (t) => {
  const env = await e2e(t);
  const res = (r: string) => `    resources:\n${r}`;
  env.ok(['apply', '-f', env.file('be.yaml', podYaml('best-effort', { c: SERVE }))]);
  env.ok(['apply', '-f', env.file('bu.yaml', podYaml('burstable', { c: SERVE }, '', res('      requests:\n        memory: 256Mi\n')))]);
  env.ok(['apply', '-f', env.file('gu.yaml', podYaml('guaranteed', { c: SERVE }, '', res('      requests:\n        memory: 64Mi\n        cpu: 100m\n      limits:\n        memory: 64Mi\n        cpu: 100m\n')))]);
  for (const p of ['best-effort', 'burstable', 'guaranteed']) await env.until(p, (x) => x.status?.phase === 'Running', 30_000);
  const score = (p: string) => Number(env.ok(['exec', p, '--', 'cat', '/proc/1/oom_score_adj']).trim());
  t.equal(score('best-effort'), 1000, 'best effort: 1000');
  t.equal(score('burstable'), Math.trunc(1000 - (1000 * 256 * 1024 * 1024) / os.totalmem()), 'burstable: 1000 less its thousandths of the memory');
  const g = score('guaranteed');
  t.ok(g === -997 || g === Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim()) || g === 0, `guaranteed: -997, or the inherited score where it may not go down (${g})`);
  env.ok(['delete', 'pod', 'best-effort', 'burstable', 'guaranteed']);
});
