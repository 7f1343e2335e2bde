// Log rotation as the kubelet does it, with its defaults (10 MiB a file, 5 files) and bin/podrun
// only: a container that writes 100 MB keeps at most 50 MiB of log, and `logs` still shows its
// last lines, reading across the rotated files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, IMAGE, missingE2e } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** Every file of the container's log: `0.log` and its rotated `0.log.N`. */
function logFiles(root: string, container: string): string[] {
  const pods = path.join(root, 'pods');
  const [id] = fs.readdirSync(pods);
  const dir = path.join(pods, id!, 'containers', container);
  return fs.readdirSync(dir).filter((f) => /^0\.log(\.\d+)?$/.test(f)).map((f) => path.join(dir, f));
}

t.test('a 100 MB writer keeps under 50 MiB of log; logs shows the last lines', async (t) => {
  const env = await e2e(t);
  const script = 'echo the start; i=0; while [ $i -lt 100 ]; do head -c 1000000 /dev/zero | tr "\\\\0" x; echo; i=$((i+1)); done; echo the end; sleep 3600';
  env.ok(['apply', '-f', env.file('w.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: writer\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: ${IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(script)}]\n`)]);
  let tail = '';
  for (let i = 0; i < 240 && tail !== 'the end\n'; i++) {
    tail = env.run(['logs', 'writer', '--tail', '1']).stdout;
    if (tail !== 'the end\n') await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(tail, 'the end\n', 'logs --tail 1 shows the last line');
  const files = logFiles(env.root, 'c');
  const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  t.ok(files.length <= 5, `at most 5 files (${files.length})`);
  t.ok(total <= 50 * 1024 * 1024, `at most 50 MiB in all (${(total / 2 ** 20).toFixed(1)} MiB)`);
  t.ok(total >= 40 * 1024 * 1024, 'and the cap is used: the newest 40-50 MiB are kept');
  for (const f of files) t.ok(fs.statSync(f).size <= 10 * 1024 * 1024, `${path.basename(f)} is at most 10 MiB`);
  const all = env.run(['logs', 'writer']).stdout;
  t.notMatch(all.slice(0, 100), /the start/, 'the oldest output is gone with the oldest file');
  t.match(all.slice(-200), /x\nthe end\n$/, 'logs reads across the rotated files to the end');
  t.ok(all.length >= 35 * 1e6, `logs reads every kept file (${(all.length / 1e6).toFixed(1)} MB)`);
});
