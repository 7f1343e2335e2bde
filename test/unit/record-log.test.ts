// The record log (state/record-log.ts): appends read back in order, a torn last line is skipped,
// a log past its limit is replaced by its compaction, and the file is owner-only.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { appendRecord, COMPACT_BYTES, readLastRecord, readRecords } from '../../src/state/record-log';

function tempFile(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-record-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'state.jsonl');
}

t.test('appends read back in order; the last record is the state', async (t) => {
  const file = tempFile(t);
  t.same(readRecords(file), [], 'a missing log has no records');
  t.equal(readLastRecord(file), undefined);
  appendRecord(file, { n: 1 }, () => []);
  appendRecord(file, { n: 2 }, () => []);
  t.same(readRecords(file), [{ n: 1 }, { n: 2 }]);
  t.same(readLastRecord(file), { n: 2 });
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'owner-only');
});

t.test('a line torn by a crash is skipped, and appending goes on after it', async (t) => {
  const file = tempFile(t);
  appendRecord(file, { n: 1 }, () => []);
  fs.appendFileSync(file, '{"n": 2, "tor');
  t.same(readLastRecord(file), { n: 1 }, 'the torn line does not count');
  fs.appendFileSync(file, '\n');
  appendRecord(file, { n: 3 }, () => []);
  t.same(readRecords(file), [{ n: 1 }, { n: 3 }]);
});

t.test('past its limit the log is replaced by its compaction', async (t) => {
  const file = tempFile(t);
  const big = 'x'.repeat(1000);
  let last = 0;
  for (let i = 1; i <= 200; i++) {
    appendRecord(file, { n: i, big }, () => [{ n: i, big }]);
    last = i;
  }
  t.ok(fs.statSync(file).size <= COMPACT_BYTES + 1100, `bounded (${fs.statSync(file).size} bytes)`);
  t.same((readLastRecord(file) as { n: number }).n, last, 'the latest record survives compaction');
  t.ok(readRecords(file).length < 200, 'older lines went');
  const small = tempFile(t);
  for (let i = 0; i < 10; i++) appendRecord(small, { i }, () => [{ i }], 30);
  t.ok(readRecords(small).length <= 3, 'a caller-given limit');
});
