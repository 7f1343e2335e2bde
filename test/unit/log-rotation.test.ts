// Reading a rotated log: LOG.1, LOG.2, ... then LOG; a follower crosses over when the file it
// holds is rotated away under it, losing and repeating nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { readLog, rotatedLogs } from '../../src/runtime/logs';

const rec = (text: string) => `2026-01-01T00:00:00.000000000Z stdout F ${text}\n`;

t.test('rotated files first, oldest first, by number', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-logrot-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, '0.log');
  fs.writeFileSync(`${log}.9`, rec('a'));
  fs.writeFileSync(`${log}.10`, rec('b'));
  fs.writeFileSync(log, rec('c'));
  fs.writeFileSync(`${log}.x`, rec('not a rotation'));
  t.same(rotatedLogs(log).map((f) => path.basename(f)), ['0.log.9', '0.log.10']);
  const lines: string[] = [];
  for await (const l of readLog(log, { follow: false, finished: () => true })) lines.push(l.text);
  t.same(lines, ['a', 'b', 'c']);
});

t.test('a follower crosses a rotation', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-logrot-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, '0.log');
  fs.writeFileSync(log, rec('one'));
  let finished = false;
  const lines: string[] = [];
  const reading = (async () => {
    for await (const l of readLog(log, { follow: true, finished: () => finished })) lines.push(l.text);
  })();
  while (lines.length < 1) await new Promise((r) => setTimeout(r, 5));
  // The shim's rotation: what was written last goes to the old file, then it is renamed.
  fs.appendFileSync(log, rec('two'));
  fs.renameSync(log, `${log}.1`);
  fs.writeFileSync(log, rec('three'));
  fs.appendFileSync(log, rec('four'));
  // The shim's exit record: the change in the folder that wakes the follower to find it done.
  finished = true;
  fs.writeFileSync(path.join(dir, '0.exit.json'), '{}');
  await reading;
  t.same(lines, ['one', 'two', 'three', 'four']);
});
