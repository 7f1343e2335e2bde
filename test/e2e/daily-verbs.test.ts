// The daily verbs through bin/podrun with defaults only: logs (and -f), exec with its exit code,
// delete with the pod's own grace period, and nothing left behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE, sleep } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('logs, logs -f, exec, delete', async (t) => {
  const env = await e2e(t);
  const loop = ['sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done'];
  env.ok(['apply', '-f', env.file('p.yaml', podYaml('p', { talk: loop, quiet: SERVE }))]);
  t.ok(await env.until('p', (p) => p.status?.phase === 'Running', 30_000), 'Running');
  const follow = env.start(['logs', 'p', '-c', 'talk', '-f']);
  for (let i = 0; i < 100 && !follow.output().includes('line 5'); i++) await sleep(100);
  t.match(follow.output(), /^line 0\nline 1\n/, 'logs -f streams from the first line');
  await follow.stop();
  t.match(env.ok(['logs', 'p', '-c', 'talk', '--tail', '1']), /^line \d+\n$/, '--tail 1 is one line');

  const r = env.run(['exec', 'p', '-c', 'quiet', '--', 'sh', '-c', 'hostname; echo err >&2; exit 3']);
  t.equal(r.status, 3, "exec exits with the command's code");
  t.equal(r.stdout, 'p\n', 'in the pod (its hostname)');
  t.equal(r.stderr, 'err\ncommand terminated with exit code 3\n', "stderr apart, and kubectl's last line");

  t.equal(env.ok(['delete', 'pod', 'p']), 'pod "p" deleted\n');
  t.equal(env.run(['get', 'pod', 'p']).status, 1, 'gone');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'nothing left in the state root');
});
