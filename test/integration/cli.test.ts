// The CLI (bin/podrun) against a private root: bad manifests give exit 1 and one line on
// stderr naming the field, with nothing created; a good pod goes through apply, get, logs,
// exec and delete. The CLI starts `podrun serve` for the root; teardown stops it.
import t from 'tap';
import { cliEnv, missingCli } from './cli-harness';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BAD_CASES, good } from './fixtures/bad-manifests';
import { asRoot, IMAGE, sleep } from './harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}



t.test('bad manifests: exit 1, one line on stderr naming the object and field; the good object beside it applies', async (t) => {
  const env = await cliEnv(t);
  for (const [k, c] of BAD_CASES.entries()) {
    const file = path.join(env.dir, 'bad.yaml');
    fs.writeFileSync(file, `${good}---\n${c.yaml}`);
    const r = env.run(['apply', '-f', file]);
    t.equal(r.status, 1, `${c.what}: exit code 1`);
    // Less the machine's notices (rootless: no outbound network), said once by the first pod's apply.
    const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Warning: '));
    t.equal(lines.length, 1, `${c.what}: a single line on stderr (${JSON.stringify(r.stderr)})`);
    t.match(lines[0] ?? '', /^error: Pod "bad" is invalid: /, `${c.what}: it names the object`);
    t.match(lines[0] ?? '', c.field, `${c.what}: it names the field`);
    t.equal(r.stdout, k === 0 ? 'pod/fine created\n' : 'pod/fine unchanged\n', `${c.what}: the good pod is applied`);
    const pods = path.join(env.root, 'pods');
    t.equal(fs.readdirSync(pods).length, 1, `${c.what}: only its folder under pods/`);
  }
  const get = env.run(['get', 'pods', '-o', 'name']);
  t.equal(get.stdout.trim(), 'pod/fine', 'get pods lists the good one only');
});

t.test('privileged: refused without root at apply and by a server dry run, exit 1 and nothing made; a root dry run passes', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'priv.yaml');
  fs.writeFileSync(file, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: main\n    image: ${IMAGE}\n    securityContext:\n      privileged: true\n`);
  const dry = env.run(['apply', '-f', file, '--dry-run=server']);
  if (asRoot) {
    t.equal(dry.status, 0, 'as root the dry run passes');
    t.equal(dry.stdout, 'pod/priv created (server dry run)\n');
    return;
  }
  const refused = /^error: Pod "priv" is invalid: spec\.containers\[0\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/m;
  t.equal(dry.status, 1, 'the server dry run: exit 1');
  t.match(dry.stderr, refused, 'naming the field, as apply does');
  const r = env.run(['apply', '-f', file]);
  t.equal(r.status, 1, 'apply: exit 1');
  t.match(r.stderr, refused);
  t.equal(env.run(['get', 'pods', '-o', 'name']).stdout, '', 'no pod made');
});

t.test('multi-document apply: a bad document and an unknown kind are reported by name, the others apply, exit 1', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'mixed.yaml');
  const bad = BAD_CASES[0]!.yaml;
  fs.writeFileSync(file, ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n', bad, 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n', good].join('---\n'));
  const r = env.run(['apply', '-f', file]);
  t.equal(r.status, 1, 'exit code 1');
  t.equal(r.stdout, 'configmap/settings created\npod/fine created\n', 'one line per object applied, in kubectl words');
  t.match(r.stderr, /^error: Pod "bad" is invalid: spec\.containers\[1\]\.image: Required value$/m, 'the bad object by name');
  t.match(r.stderr, /^error: resource mapping not found for name: "w" namespace: "": no matches for kind "Widget" in version "example.com\/v1"$/m, 'the unknown kind as kubectl says it');
  t.match(r.stderr, /^ensure CRDs are installed first$/m);
  const again = env.run(['apply', '-f', file]);
  t.equal(again.stdout, 'configmap/settings unchanged\npod/fine unchanged\n', 'applied again: unchanged');
  t.equal(again.status, 1);
});

t.test('apply, get, logs, exec, delete', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'pod.yaml');
  fs.writeFileSync(file, `apiVersion: v1
kind: Pod
metadata:
  name: clipod
spec:
  containers:
  - name: main
    image: ${IMAGE}
    command: ["/payload", "echo", "hello from clipod", "--then", "sleep", "3600"]
`);
  const applied = env.run(['apply', '-f', file]);
  t.equal(applied.status, 0, `apply exits 0 (${applied.stderr.trim()})`);
  t.match(applied.stdout, /pod\/clipod created/, 'apply says created');
  let phase = '';
  for (let i = 0; i < 100 && phase !== 'Running'; i++) {
    phase = env.run(['get', 'pod', 'clipod', '-o', 'jsonpath={.status.phase}']).stdout.trim();
    if (phase !== 'Running') await sleep(100);
  }
  t.equal(phase, 'Running', 'get -o jsonpath shows the phase');
  const table = env.run(['get', 'pods']);
  t.match(table.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/, 'get pods prints a table header');
  t.match(table.stdout, /clipod\s+1\/1\s+Running\s+0\s+/, 'and the pod');
  let logs = '';
  for (let i = 0; i < 50 && !logs.includes('hello'); i++) {
    logs = env.run(['logs', 'clipod']).stdout;
    if (!logs.includes('hello')) await sleep(100);
  }
  t.equal(logs, 'hello from clipod\n', 'logs');
  const ex = env.run(['exec', 'clipod', '--', '/payload', 'hostname']);
  t.equal(ex.stdout, 'clipod\n', 'exec runs in the pod');
  const code = env.run(['exec', 'clipod', '--', '/payload', 'exit', '9']);
  t.equal(code.status, 9, "exec exits with the command's code");
  const del = env.run(['delete', 'pod', 'clipod', '--grace-period=0', '--force']);
  t.equal(del.status, 0, `delete exits 0 (${del.stderr.trim()})`);
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'pods/ is empty after delete');
  const gone = env.run(['get', 'pod', 'clipod']);
  t.equal(gone.status, 1, 'get of a deleted pod exits 1');
  t.match(gone.stderr, /not found/, 'saying not found');
});
