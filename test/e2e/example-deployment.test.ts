// examples/deployment.yaml as its header says to use it, through bin/podrun with defaults only:
// the Deployment rolls out (its readiness probe passing), scales, and the indexed Job completes
// with each task's output; deleting the file's objects leaves no pod behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, missingE2e } from './e2e-harness';
import { coveredBySubidRun, REPO } from '../integration/harness';

const missing = missingE2e() ?? (fs.existsSync('/usr/bin/python3') ? undefined : 'python3 is missing: the example serves with it') ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const EXAMPLE = path.join(REPO, 'examples', 'deployment.yaml');

t.test('the deployment example', async (t) => {
  const env = await e2e(t);
  t.equal(env.ok(['apply', '-f', EXAMPLE]), 'deployment.apps/hello created\njob.batch/squares created\n');
  t.match(env.ok(['rollout', 'status', 'deploy/hello', '--timeout=120s']), /deployment "hello" successfully rolled out\n$/);
  t.match(env.ok(['get', 'deploy', 'hello']), /\nhello\s+3\/3\s+3\s+3\s/);
  t.equal(env.ok(['scale', 'deploy/hello', '--replicas=5']), 'deployment.apps/hello scaled\n');
  t.equal(env.ok(['wait', '--for=jsonpath={.status.readyReplicas}=5', 'deploy/hello', '--timeout=120s']), 'deployment.apps/hello condition met\n');
  t.equal(env.ok(['wait', '--for=condition=complete', 'job/squares', '--timeout=120s']), 'job.batch/squares condition met\n');
  const pods = JSON.parse(env.ok(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=squares', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
  const out = pods.items.map((p) => env.ok(['logs', p.metadata.name]).trim()).sort();
  t.same(out, ['task 0: 0', 'task 1: 1', 'task 2: 4', 'task 3: 9']);
  t.equal(env.ok(['delete', '-f', EXAMPLE]), 'deployment.apps "hello" deleted\njob.batch "squares" deleted\n');
  // Their pods go in the background (kubectl's default cascade), within their grace period.
  for (let i = 0; i < 100 && env.ok(['get', 'pods', '-o', 'name']) !== ''; i++) await new Promise((r) => setTimeout(r, 200));
  t.equal(env.run(['get', 'pods']).stderr, 'No resources found in default namespace.\n', 'no pod left');
});
