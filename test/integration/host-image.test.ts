// The built-in `host` image: the host's system directories, read-only, with private scratch.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDone, logs, missingFeature, pod, setup } from './harness';

const missing = missingFeature() ?? (fs.existsSync('/bin/sh') ? undefined : 'the host has no /bin/sh');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('image host: host programs, read-only /usr, private writable /tmp', async (t) => {
  const env = await setup(t, { image: false });
  const marker = `podrun-host-image-${process.pid}-${Date.now()}`;
  const script = [
    'echo shell=ok',
    'uname -s',
    'touch /usr/podrun-should-fail 2>/dev/null && echo usr=writable || echo usr=readonly',
    `echo private > /tmp/${marker} && echo tmp=writable`,
    `cat /tmp/${marker}`,
    'ls -a /tmp | wc -l',
  ].join('; ');
  await env.podrun.createPod(pod('hosted', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'host', command: ['/bin/sh', '-c', script] }] }));
  const done = await env.podrun.waitFor('hosted', isDone, { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Succeeded', 'the pod succeeds');
  const out = await logs(env.podrun, 'hosted');
  t.equal(out[0], 'shell=ok', "the host's /bin/sh runs");
  t.equal(out[1], 'Linux', "host programs (uname) run");
  t.equal(out[2], 'usr=readonly', '/usr is read-only');
  t.equal(out[3], 'tmp=writable', '/tmp is writable');
  t.equal(out[4], 'private', 'and what is written there reads back');
  t.equal(out[5], '3', '/tmp starts empty (., .., our file): it is not the host /tmp');
  t.notOk(fs.existsSync(path.join(os.tmpdir(), marker)) || fs.existsSync(path.join('/tmp', marker)), "the file is not in the host's /tmp");
  t.notOk(fs.existsSync('/usr/podrun-should-fail'), 'nothing was written to the host /usr');
});
