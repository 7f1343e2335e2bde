// The network from the CLI: pod IPs in `get pods -o wide`, `port-forward` as kubectl's (until
// interrupted), and `system reset` (refused without --force; then nothing of the root remains).
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CLI, cliEnv, missingCli, servePids } from './cli-harness';
import { IMAGE, sleep } from './harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end('GET / HTTP/1.0\r\n\r\n'));
    let b = '';
    s.on('data', (d) => (b += d));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    s.on('close', () => resolve(b.split('\r\n\r\n')[1] ?? b));
  });
}

t.test('get -o wide shows the pod IP; port-forward; system reset', async (t) => {
  const env = await cliEnv(t, 'podrun-clinet-');
  const file = path.join(env.dir, 'web.yaml');
  fs.writeFileSync(file, `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: ${IMAGE}
    command: ["/payload", "serve-http", "8080", "hello over port-forward"]
`);
  t.equal(env.run(['apply', '-f', file]).status, 0, 'apply');
  t.equal(env.run(['wait', 'pod/web', '--for=condition=Ready', '--timeout=20s']).status, 0, 'the pod is ready');
  const wide = env.run(['get', 'pods', '-o', 'wide']).stdout;
  t.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m, 'the wide header has IP');
  t.match(wide, /^web\s+1\/1\s+Running\s+0\s+\S+\s+10\.88\.\d+\.\d+\s/m, 'and the pod has its address');

  const pf = spawn(process.execPath, [CLI, '--root', env.root, '--data-root', env.dataRoot, 'port-forward', 'pod/web', ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  pf.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 200 && !/Forwarding from/.test(out); i++) await sleep(25);
  const m = /^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$/m.exec(out);
  t.ok(m, `kubectl's line: ${JSON.stringify(out)}`);
  const local = Number(m?.[1]);
  let body = '';
  for (let i = 0; i < 20 && body !== 'hello over port-forward'; i++) {
    body = await get(local);
    if (body !== 'hello over port-forward') await sleep(100);
  }
  t.equal(body, 'hello over port-forward', 'the local port reaches the container');
  for (let i = 0; i < 40 && !/Handling connection for/.test(out); i++) await sleep(25);
  t.match(out, new RegExp(`Handling connection for ${local}`), 'and says so');
  pf.kill('SIGINT');
  const code = await new Promise<number | null>((r) => pf.on('exit', (c) => r(c)));
  t.equal(code, 0, 'an interrupted port-forward exits 0');

  const refused = env.run(['system', 'reset']);
  t.equal(refused.status, 1, 'system reset without --force: exit 1');
  t.match(refused.stderr, /^error: .*--force\n$/, 'one line saying why');
  t.equal(env.run(['get', 'pods', '-o', 'name']).stdout.trim(), 'pod/web', 'and nothing was removed');

  const reset = env.run(['system', 'reset', '--force']);
  t.equal(reset.status, 0, 'system reset --force');
  t.match(reset.stdout, /^removed 1 pod\(s\)$/m, 'it lists what it removed');
  for (let i = 0; i < 100 && servePids(env.root).length; i++) await sleep(50);
  t.same(servePids(env.root), [], 'the serve has ended');
  t.notOk(fs.existsSync(env.root), 'the state root is gone');
  t.notOk(fs.existsSync(env.dataRoot), 'the data root is gone');
});
