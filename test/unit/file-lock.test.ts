// The shared file lock: a second process waits (without polling) and gets the lock when the
// holder lets go, or when the holder dies without letting go.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { acquireLock, releaseLock } from '../../src/state/file-lock';

const DIST = path.resolve(__dirname, '../../dist/state/file-lock');

function holder(file: string, then: 'release' | 'die'): Promise<ReturnType<typeof spawn>> {
  const script = `
    const { acquireLock, releaseLock } = require(${JSON.stringify(DIST)});
    acquireLock(${JSON.stringify(file)}).then((fd) => {
      process.stdout.write('held\\n');
      process.stdin.once('data', () => { ${then === 'release' ? `releaseLock(${JSON.stringify(file)}, fd); setTimeout(() => process.exit(0), 2000);` : "process.kill(process.pid, 'SIGKILL');"} });
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout!.once('data', () => resolve(child)));
}

for (const how of ['release', 'die'] as const) {
  t.test(`a waiter gets the lock when the holder ${how === 'release' ? 'lets go' : 'dies'}`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-lock-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'x.lock');
    const child = await holder(file, how);
    let got = false;
    const waiting = acquireLock(file).then((fd) => {
      got = true;
      return fd;
    });
    await new Promise((r) => setTimeout(r, 200));
    t.notOk(got, 'waits while held');
    child.stdin!.write('go\n');
    const fd = await waiting;
    t.ok(got, 'then has it');
    t.equal(fs.readFileSync(file, 'utf8'), String(process.pid), 'and says so');
    releaseLock(file, fd);
    child.kill();
  });
}
