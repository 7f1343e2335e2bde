// Ephemeral containers through bin/podrun with defaults only: `debug -- CMD` prints the
// command's output and exits with its code (however fast it ends); a long-running debugger is
// reached with exec and logs by its name.
import t from 'tap';
import { e2e, IMAGE, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('debug prints and exits with the code; a long-running debugger is reached with exec and logs', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('p.yaml', podYaml('app', { main: SERVE }))]);
  await env.until('app', (p) => p.status?.phase === 'Running', 30_000);

  const quick = env.run(['debug', 'app', '--image', IMAGE, '-c', 'quick', '--', 'sh', '-c', 'echo from the debugger; hostname; exit 7']);
  t.equal(quick.status, 7, "debug exits with the debug container's code");
  t.equal(quick.stdout, 'from the debugger\napp\n', 'and printed its output, even though it ended at once');

  const follow = env.start(['debug', 'app', '--image', IMAGE, '-c', 'dbg', '--target', 'main', '--', 'sh', '-c', 'echo ready; exec sleep 3600']);
  for (let i = 0; i < 200 && !follow.output().includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(follow.output(), /ready\n/, 'debug follows the running debugger');
  await follow.stop();
  t.equal(env.ok(['exec', 'app', '-c', 'dbg', '--', 'sh', '-c', 'echo in dbg; ps | grep -c "while true"']).split('\n')[0], 'in dbg', 'exec -c DEBUGGER');
  t.match(env.ok(['exec', 'app', '-c', 'dbg', '--', 'ps']), /trap/, "it sees the target container's processes");
  t.equal(env.ok(['logs', 'app', '-c', 'dbg']), 'ready\n', 'logs -c DEBUGGER');
  t.equal(env.ok(['logs', 'app', '-c', 'quick']), 'from the debugger\napp\n');
});
