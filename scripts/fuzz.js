#!/usr/bin/env node
// `npm run fuzz -- [--runs N] [--target NAME]... [--seed S] [--budget SECONDS] [--jobs J]`: runs the fuzz
// targets of test/fuzz/targets (against the built dist/ and build/) and prints, per target, the
// inputs run, the findings (crashes, hangs, writes outside, untyped errors), the time and the
// rate; the first findings are printed with the seed that replays them. Exit status 1 when
// anything was found. Targets that start a pod do so as the running user; as root, in a
// sandbox network namespace (test/support/sandbox-netns.js). With --jobs J, J processes share
// the runs of each target, with seeds S, S+1, ...: the registry, shim and unpack targets mostly
// wait (idle timeouts, sockets, the file system), so more processes than cores still pay.
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');
const { runTarget } = require('../test/fuzz/fuzz-lib');

const TARGETS = ['manifest', 'unpack', 'registry', 'shim', 'seccomp'];

function parse(argv) {
  const o = { runs: 10000, targets: [], seed: undefined, budget: Infinity, jobs: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--runs') o.runs = Number(value());
    else if (flag === '--target') o.targets.push(...value().split(','));
    else if (flag === '--seed') o.seed = Number(value());
    else if (flag === '--budget') o.budget = Number(value()) * 1000;
    else if (flag === '--jobs') o.jobs = Number(value());
    else if (flag === '--json') o.json = true; // one result line per target, for the parent of --jobs
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run fuzz -- [--runs N] [--target manifest|unpack|registry|shim|seccomp]... [--seed S] [--budget SECONDS] [--jobs J]');
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
  if (!Number.isInteger(o.jobs) || o.jobs < 1) {
    console.error('fuzz: --jobs must be a positive integer');
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

/** One target in `jobs` processes: their inputs and findings added up, the time the slowest took. */
function runJobs(name, o, seed) {
  const share = Math.ceil(o.runs / o.jobs);
  const one = (i) =>
    new Promise((resolve) => {
      const args = [__filename, '--json', '--target', name, '--runs', String(share), '--seed', String(seed + i)];
      if (Number.isFinite(o.budget)) args.push('--budget', String(o.budget / 1000));
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()));
        } catch {
          resolve({ name, inputs: 0, crashes: 0, ms: 0, seed: seed + i, found: [], error: `job ${i} ended (${code}) without a result` });
        }
      });
    });
  return Promise.all(Array.from({ length: o.jobs }, (_, i) => one(i))).then((all) => {
    const inputs = all.reduce((n, r) => n + r.inputs, 0);
    const ms = Math.max(...all.map((r) => r.ms));
    return {
      name,
      inputs,
      crashes: all.reduce((n, r) => n + r.crashes, 0),
      ms,
      rate: inputs / Math.max(ms / 1000, 0.001),
      seed: o.jobs > 1 ? `${seed}..${seed + o.jobs - 1}` : seed,
      found: all.flatMap((r) => r.found.map((f) => ({ ...f, error: `(seed ${r.seed}) ${f.error}` }))),
      error: all.map((r) => r.error).filter(Boolean).join('; ') || undefined,
    };
  });
}

async function main() {
  const o = parse(process.argv.slice(2));
  require('../test/support/sandbox-netns.js').useSandboxNetns();
  let found = 0;
  if (!o.json) console.log(`${'TARGET'.padEnd(10)} ${'INPUTS'.padStart(10)} ${'FINDINGS'.padStart(9)} ${'TIME'.padStart(9)} ${'INPUTS/S'.padStart(9)}  SEED`);
  for (const name of o.targets) {
    const seed = o.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff));
    const r =
      o.jobs > 1
        ? await runJobs(name, o, seed)
        : await runTarget(require(path.join(__dirname, '..', 'test', 'fuzz', 'targets', name)), { runs: o.runs, seed, budgetMs: o.budget, log: (l) => console.error(l) });
    found += r.crashes + (r.error ? 1 : 0);
    if (o.json) {
      console.log(JSON.stringify(r));
      continue;
    }
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
