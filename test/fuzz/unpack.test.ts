// Fuzz: the image unpacker (test/fuzz/targets/unpack.js), a few seconds: hostile tar entries,
// plain, gzip or zstd, mutated; each archive is refused or unpacked inside its root, and the
// canary beside the root stays as it was.
import t from 'tap';
import { fuzzTest } from './fuzz-tap';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const target = require('./targets/unpack.js') as unknown;

t.test('fuzz: hostile and mutated layers', async (t) => {
  await fuzzTest(t, target, { runs: 150, budgetMs: 4000 });
});
