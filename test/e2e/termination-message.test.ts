// Termination messages through bin/podrun with defaults only: what the container writes to
// /dev/termination-log (whatever its uid) becomes state.terminated.message; with
// FallbackToLogsOnError an empty file after a failure gives the tail of the log instead.
import * as fs from 'node:fs';
import t from 'tap';
import { asRoot, subuidStart } from '../integration/harness';
import { e2e, IMAGE, missingE2e } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

// A uid other than 0 exists in the pod when podrun runs as root or maps a subordinate range.
const otherUid = asRoot || (subuidStart() !== undefined && fs.existsSync('/usr/bin/newuidmap'));

const pod = (name: string, script: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: ${IMAGE}
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;

const message = async (env: Awaited<ReturnType<typeof e2e>>, name: string) => {
  const p = await env.until(name, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 30_000);
  return p?.status?.containerStatuses?.[0]?.state?.terminated?.message;
};

t.test('the file the container writes is the message', async (t) => {
  const env = await e2e(t);
  const user = otherUid ? '    securityContext: {runAsUser: 1000, runAsGroup: 1000}\n' : '';
  env.ok(['apply', '-f', env.file('w.yaml', pod('writes', 'echo -n "all done as $(id -u)" > /dev/termination-log', user))]);
  t.equal(await message(env, 'writes'), `all done as ${otherUid ? 1000 : 0}`, otherUid ? 'written by uid 1000' : 'written by uid 0 (one id mapped)');
  env.ok(['apply', '-f', env.file('p.yaml', pod('path', 'echo -n custom > /tmp/msg', '    terminationMessagePath: /tmp/msg\n'))]);
  t.equal(await message(env, 'path'), 'custom', 'a terminationMessagePath of its own');
  env.ok(['apply', '-f', env.file('big.yaml', pod('big', 'head -c 10000 /dev/zero | tr "\\\\0" x > /dev/termination-log'))]);
  t.equal((await message(env, 'big'))?.length, 4096, 'at most 4096 bytes');
});

t.test('FallbackToLogsOnError: the log tail when the file is empty and the container failed', async (t) => {
  const env = await e2e(t);
  const script = 'i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done; exit 3';
  env.ok(['apply', '-f', env.file('f.yaml', pod('fallback', script, '    terminationMessagePolicy: FallbackToLogsOnError\n'))]);
  const m = await message(env, 'fallback');
  const lines = (m ?? '').trimEnd().split('\n');
  t.equal(lines.length, 80, 'the last 80 lines');
  t.equal(lines[0], 'line 21');
  t.equal(lines[79], 'line 100');
  env.ok(['apply', '-f', env.file('n.yaml', pod('nofallback', script))]);
  t.equal(await message(env, 'nofallback'), undefined, 'the default policy (File) gives no message for an empty file');
  env.ok(['apply', '-f', env.file('ok.yaml', pod('succeeded', 'echo fine', '    terminationMessagePolicy: FallbackToLogsOnError\n'))]);
  t.equal(await message(env, 'succeeded'), undefined, 'nor does a success');
});
