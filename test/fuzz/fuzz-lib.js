// The fuzz runner shared by `npm run fuzz` (scripts/fuzz.js) and the short tap runs in
// test/fuzz/*.test.ts. A target is { name, setup(), input(fc, state), run(input, state), teardown(state) }:
// `run` returns normally for an input the code under test handled (accepted or refused with its
// typed error) and throws a FuzzFinding for one it did not (a crash, a hang, a write outside).
// Every input runs; findings are counted, not stopped at, and the first few are kept with the
// seed that replays them (fast-check's seed and path).
'use strict';

const fc = require('fast-check');

class FuzzFinding extends Error {
  constructor(message) {
    super(message);
    this.name = 'FuzzFinding';
  }
}

/** Rejects after `ms` unless `p` settles first: a hang is a finding. */
async function within(p, ms, what) {
  let timer;
  try {
    return await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new FuzzFinding(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `runs` inputs of one target (or until `budgetMs` has passed, whichever is first); the
 * figures: inputs, findings (crashes), time, rate, and the first findings with their inputs.
 */
async function runTarget(target, { runs = 1000, seed = Date.now() ^ (Math.random() * 0x7fffffff), budgetMs = Infinity, log = () => {} } = {}) {
  const state = await target.setup();
  const found = [];
  let inputs = 0;
  let crashes = 0;
  const started = Date.now();
  const deadline = started + budgetMs;
  const record = (input, e) => {
    if (found.length < 5) found.push({ input: preview(input), error: e && e.stack ? e.stack.split('\n').slice(0, 6).join('\n') : String(e) });
  };
  let details;
  try {
    const arb = target.input(fc, state);
    const property = fc.asyncProperty(arb, async (input) => {
      if (Date.now() > deadline) return true; // out of budget: the rest are skipped
      inputs++;
      try {
        await target.run(input, state);
      } catch (e) {
        record(input, e);
        crashes++;
      }
      if (inputs % 100000 === 0) log(`${target.name}: ${inputs} inputs, ${crashes} findings, ${Math.round(inputs / ((Date.now() - started) / 1000))}/s`);
      return true;
    });
    details = await fc.check(property, { numRuns: runs, seed, endOnFailure: true, interruptAfterTimeLimit: Number.isFinite(budgetMs) ? budgetMs + 1000 : undefined });
    const ms = Date.now() - started;
    return { name: target.name, inputs, crashes, ms, rate: inputs / Math.max(ms / 1000, 0.001), seed, found, error: details.failed ? String(details.error || details.errorInstance) : undefined };
  } finally {
    await target.teardown?.(state);
  }
}

function preview(input) {
  let s;
  try {
    s = typeof input === 'string' ? input : Buffer.isBuffer(input) ? `<${input.length} bytes> ${input.subarray(0, 64).toString('hex')}` : JSON.stringify(input, (_, v) => (Buffer.isBuffer(v) ? `<${v.length} bytes>` : v));
  } catch {
    s = String(input);
  }
  return s.length > 400 ? `${s.slice(0, 400)}... (${s.length} chars)` : s;
}

module.exports = { fc, FuzzFinding, within, runTarget };
