// Read-only mounts are read-only all the way down (bin/podrun, defaults only): a hostPath with a
// mount inside it, mounted readOnly with recursiveReadOnly: Enabled, cannot be written even in
// the inner mount, and containerStatuses[].volumeMounts reports recursiveReadOnly: Enabled. The
// inner mount needs root to make; without root the status alone is checked.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { asRoot } from '../integration/harness';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('recursiveReadOnly: Enabled', async (t) => {
  const env = await e2e(t);
  const host = fs.mkdtempSync(path.join(env.dir, 'rro-'));
  const inner = path.join(host, 'inner');
  fs.mkdirSync(inner);
  if (asRoot) {
    t.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', inner]).status, 0, 'a mount inside the volume');
    t.teardown(() => void spawnSync('umount', ['-l', inner]));
  }
  const mounts = `    volumeMounts:\n    - name: h\n      mountPath: /h\n      readOnly: true\n      recursiveReadOnly: Enabled\n    - name: w\n      mountPath: /w\n`;
  env.ok(['apply', '-f', env.file('r.yaml', podYaml('rro', { c: SERVE }, `  volumes:\n  - name: h\n    hostPath:\n      path: ${host}\n  - name: w\n    emptyDir: {}\n`, mounts))]);
  const p = await env.until('rro', (p) => p.status?.phase === 'Running', 30_000);
  t.same(p?.status?.containerStatuses?.[0]?.volumeMounts, [
    { name: 'h', mountPath: '/h', readOnly: true, recursiveReadOnly: 'Enabled' },
    { name: 'w', mountPath: '/w' },
  ]);
  const write = (file: string) => env.run(['exec', 'rro', '--', 'sh', '-c', `echo x > ${file}`]);
  t.not(write('/h/f').status, 0, 'the volume is read-only');
  if (asRoot) {
    const r = write('/h/inner/f');
    t.not(r.status, 0, 'and so is the mount inside it');
    t.match(r.stderr, /Read-only file system/);
  }
  t.equal(write('/w/f').status, 0, 'a writable mount is writable');
});
