// One fuzz target as a tap test with a short budget: a fixed seed (PODRUN_FUZZ_SEED to replay
// another), the figures as a comment, and each finding as a failure with its input.
import type { Test } from 'tap';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runTarget } = require('./fuzz-lib.js') as {
  runTarget(target: unknown, o: { runs: number; seed: number; budgetMs: number }): Promise<{ name: string; inputs: number; crashes: number; ms: number; rate: number; seed: number; found: { input: string; error: string }[]; error?: string }>;
};

export async function fuzzTest(t: Test, target: unknown, o: { runs: number; budgetMs: number }): Promise<void> {
  const seed = Number(process.env.PODRUN_FUZZ_SEED ?? 20261207);
  const r = await runTarget(target, { ...o, seed });
  t.comment(`${r.name}: ${r.inputs} inputs, ${r.crashes} findings, ${r.ms} ms (${r.rate.toFixed(0)}/s), seed ${seed}`);
  t.ok(r.inputs > 0, 'inputs ran');
  t.equal(r.error, undefined, 'the runner ran to its end');
  for (const f of r.found) t.fail(`finding (replay: PODRUN_FUZZ_SEED=${seed} or npm run fuzz -- --target ${r.name} --seed ${seed} --runs ${o.runs}): ${f.error}\ninput: ${f.input}`);
  t.equal(r.crashes, 0, `no findings in ${r.inputs} inputs`);
}
