// The pure parts of run and cp: kubectl run's flag readings and generated pod, kubectl cp's
// file specs, and the check every name from a container's copy stream passes.
import t from 'tap';
import { parseRunEnv, parseRunLabels, restartPolicy, runPod } from '../../src/cli/commands/run';
import { parseFileSpec } from '../../src/cli/commands/cp';
import { entryParts } from '../../src/runtime/copy';

t.test('run: restart policy, labels and env as kubectl reads them', async (t) => {
  t.equal(restartPolicy(undefined, false), 'Always');
  t.equal(restartPolicy(undefined, true), 'OnFailure');
  t.equal(restartPolicy('Never', true), 'Never');
  t.throws(() => restartPolicy('never', false), { message: 'invalid restart policy: never, valid values are: Always, OnFailure, Never' });
  t.same(parseRunLabels('app=web,tier=front'), { app: 'web', tier: 'front' });
  t.equal(parseRunLabels(''), undefined);
  t.throws(() => parseRunLabels('app'), { message: 'unexpected label spec: app' });
  t.throws(() => parseRunLabels('a=b=c'), { message: 'unexpected label spec: a=b=c' });
  t.throws(() => parseRunLabels('=x'), { message: 'unexpected empty label key' });
  t.same(parseRunEnv(['A=1', 'B=x=y', 'C=']), [
    { name: 'A', value: '1' },
    { name: 'B', value: 'x=y' },
    { name: 'C', value: '' },
  ]);
  t.throws(() => parseRunEnv(['A']), { message: 'invalid env: A' });
  t.throws(() => parseRunEnv(['1A=x']), { message: 'invalid env: 1A=x' });
});

t.test('run: the generated pod', async (t) => {
  const base = { name: 'w', image: 'img', args: [], command: false, env: [], restart: 'Always' as const, stdin: false, tty: false };
  t.same(runPod(base), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { creationTimestamp: null, labels: { run: 'w' }, name: 'w' },
    spec: { containers: [{ name: 'w', image: 'img', resources: {} }], dnsPolicy: 'ClusterFirst', restartPolicy: 'Always' },
    status: {},
  });
  const c = runPod({ ...base, args: ['sh', '-c', 'x'], command: true, stdin: true, tty: true, port: 80, labels: { a: 'b' }, namespace: 'ns' });
  t.same(c.metadata, { creationTimestamp: null, labels: { a: 'b' }, name: 'w', namespace: 'ns' });
  t.same(c.spec?.containers[0], { name: 'w', image: 'img', command: ['sh', '-c', 'x'], ports: [{ containerPort: 80 }], resources: {}, stdin: true, stdinOnce: true, tty: true });
  t.same(runPod({ ...base, args: ['a'] }).spec?.containers[0]?.args, ['a']);
});

t.test('cp: file specs', async (t) => {
  t.same(parseFileSpec('./local'), { path: './local' });
  t.same(parseFileSpec('web:/etc/hosts'), { pod: 'web', path: '/etc/hosts' });
  t.same(parseFileSpec('ns/web:tmp'), { namespace: 'ns', pod: 'web', path: 'tmp' });
  t.throws(() => parseFileSpec('web:'), { message: 'filepath can not be empty' });
  t.throws(() => parseFileSpec(':/x'), { message: 'filespec must match the canonical format: [[namespace/]pod:]file/path' });
  t.throws(() => parseFileSpec('a/b/c:/x'), { message: 'filespec must match the canonical format: [[namespace/]pod:]file/path' });
});

t.test("cp: names from the container's stream", async (t) => {
  t.same(entryParts(''), []);
  t.same(entryParts('a/b c/d'), ['a', 'b c', 'd']);
  for (const bad of ['..', 'a/../b', '/etc', 'a//b', 'a/', './a', 'a/.', 'a\0b']) t.throws(() => entryParts(bad), { code: 'Invalid' }, JSON.stringify(bad));
});
