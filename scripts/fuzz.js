#!/usr/bin/env node
// `npm run fuzz -- [--runs N] [--target NAME]... [--seed S] [--budget SECONDS]`: runs the fuzz
// targets of test/fuzz/targets (against the built dist/ and build/) and prints, per target, the
// inputs run, the findings (crashes, hangs, writes outside, untyped errors), the time and the
// rate; the first findings are printed with the seed that replays them. Exit status 1 when
// anything was found. Targets that start a pod do so as the running user; as root, in a
// sandbox network namespace (test/support/sandbox-netns.js).
'use strict';

const path = require('node:path');
const { runTarget } = require('../test/fuzz/fuzz-lib');

const TARGETS = ['manifest', 'unpack', 'registry', 'shim', 'seccomp'];

function parse(argv) {
  const o = { runs: 10000, targets: [], seed: undefined, budget: Infinity };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--runs') o.runs = Number(value());
    else if (flag === '--target') o.targets.push(...value().split(','));
    else if (flag === '--seed') o.seed = Number(value());
    else if (flag === '--budget') o.budget = Number(value()) * 1000;
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run fuzz -- [--runs N] [--target manifest|unpack|registry|shim|seccomp]... [--seed S] [--budget SECONDS]');
      process.exit(0);
    } else {
      console.error(`fuzz: unknown argument ${argv[i]}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) {
    console.error('fuzz: --runs must be a positive integer');
    process.exit(2);
  }
  for (const t of o.targets) {
    if (!TARGETS.includes(t)) {
      console.error(`fuzz: unknown target ${t}: one of ${TARGETS.join(', ')}`);
      process.exit(2);
    }
  }
  if (o.targets.length === 0) o.targets = TARGETS;
  return o;
}

async function main() {
  const o = parse(process.argv.slice(2));
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  let found = 0;
  console.log(`${'TARGET'.padEnd(10)} ${'INPUTS'.padStart(10)} ${'FINDINGS'.padStart(9)} ${'TIME'.padStart(9)} ${'INPUTS/S'.padStart(9)}  SEED`);
  for (const name of o.targets) {
    const target = require(path.join(__dirname, '..', 'test', 'fuzz', 'targets', name));
    const r = await runTarget(target, { runs: o.runs, seed: o.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)), budgetMs: o.budget, log: (l) => console.error(l) });
    found += r.crashes + (r.error ? 1 : 0);
    console.log(`${r.name.padEnd(10)} ${String(r.inputs).padStart(10)} ${String(r.crashes).padStart(9)} ${`${(r.ms / 1000).toFixed(1)}s`.padStart(9)} ${r.rate.toFixed(0).padStart(9)}  ${r.seed}`);
    for (const f of r.found) console.log(`  finding: ${f.error.split('\n')[0]}\n    input: ${f.input}\n    ${f.error.split('\n').slice(1).join('\n    ')}`);
    if (r.error) console.log(`  the runner failed: ${r.error}`);
  }
  process.exit(found ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
