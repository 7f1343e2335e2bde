// Fuzz: the pod shim's request protocol at the socket of a real pod's shim
// (test/fuzz/targets/shim.js), a few seconds: every op with fields of any type, truncated,
// no JSON, megabytes long, split across writes; each answered with one JSON line, the shim alive.
import t from 'tap';
import { fuzzTest } from './fuzz-tap';
import { missingBusybox, missingFeature } from '../integration/harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const target = require('./targets/shim.js') as unknown;

t.test('fuzz: requests of every op, malformed, oversized, split', async (t) => {
  await fuzzTest(t, target, { runs: 600, budgetMs: 4000 });
});
