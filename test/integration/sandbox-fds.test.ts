// A sandbox child waits for podrun's go-ahead before it execs the shim. While it waits it holds
// none of Node's descriptors but its own: a copy of a pipe's write end would keep a reader in
// Node from its EOF — a spawnSync's output on the main thread, another sandbox's ready pipe —
// while Node's main thread, blocked there, never lets the child go (50 pods started at once
// deadlocked that way).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { binaries, native } from '../../src/native';
import { reapChild } from '../../src/runtime/sandbox';
import { missingFeature, tempDir, until } from './harness';

const missing = missingFeature();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** The descriptors a process holds, by number. */
function fds(pid: number): number[] {
  return fs
    .readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .sort((a, b) => a - b);
}

t.test('a sandbox child waiting for its go-ahead holds only its own descriptors', async (t) => {
  const dir = tempDir(t, 'podrun-fds-');
  // What Node has open meanwhile: a file, and a pipe whose reader waits for EOF.
  const held = fs.openSync(path.join(dir, 'held'), 'w');
  const logFd = fs.openSync(path.join(dir, 'shim.log'), 'a');
  const h = await native.createSandbox({ shim: binaries.shim, argv: ['podrun-shim', dir], env: [], hostname: '', logFd, cloneFlags: 0, joinUserPidfd: -1, keepFds: [] });
  try {
    // Waiting in read(2) on its sync pipe: whatever it closes first is closed by now.
    t.ok(await until(() => fs.readFileSync(`/proc/${h.pid}/syscall`, 'utf8').startsWith('0 ')), 'the child waits for its go-ahead');
    const theirs = fds(h.pid);
    t.ok(theirs.length <= 7, `fds 0-2, its sync, ready and log pipes and the shim it execs only (${theirs.join(' ')})`);
    t.ok(theirs.some((fd) => fs.readlinkSync(`/proc/${h.pid}/fd/${fd}`) === fs.realpathSync(binaries.shim)), 'the shim, opened by the addon, to exec through');
    t.notOk(theirs.includes(held), `not the file Node holds (fd ${held})`);
    t.notOk(theirs.includes(h.syncFd), 'not Node\'s end of its sync pipe');
    t.notOk(theirs.includes(h.readyFd), 'not Node\'s end of its ready pipe');
  } finally {
    // Closing the sync pipe without a byte: the child exits without exec'ing.
    fs.closeSync(h.syncFd);
    fs.closeSync(h.readyFd);
    fs.closeSync(logFd);
    fs.closeSync(held);
    await reapChild(h.pidfd);
  }
});
