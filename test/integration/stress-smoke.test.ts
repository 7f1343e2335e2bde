// `npm run stress` kept from rotting: its leak check, a few create+delete cycles of the 2-container
// pod with an emptyDir and a hostPort against a `podrun serve` started the CLI's way, as this
// user (root: in the harness's sandbox network namespace; otherwise rootless). Every counted
// resource must be back where it was; the full run (1000 cycles, concurrency, engine kills) is
// the tool's, outside CI.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asRoot, coveredBySubidRun, missingBusybox, missingFeature, REPO } from './harness';

const STRESS = path.join(REPO, 'bench', 'stress.js');
const missing = coveredBySubidRun() ?? missingFeature() ?? missingBusybox() ?? (fs.existsSync(path.join(REPO, 'dist', 'index.js')) ? undefined : 'dist/ is missing: the stress tool runs the built podrun (npm run build)');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

interface Row {
  name: string;
  before: string;
  after: string;
  delta: string;
  ok: boolean;
}

t.test('the stress leak check: a few cycles leave every count where it was', async (t) => {
  const r = spawnSync(process.execPath, [STRESS, '--mode', asRoot ? 'root' : 'rootless', '--only', 'leaks', '--cycles', '6', '--warmup', '2', '--json'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, `stress exits 0 (stderr: ${r.stderr.slice(-1500)})`);
  const out = JSON.parse(r.stdout) as { mode: string; ok: boolean; error?: string; leaks: { rows: Row[]; cycles: number } };
  t.notOk(out.error, 'no error');
  t.equal(out.leaks.cycles, 6);
  const rows = new Map(out.leaks.rows.map((row) => [row.name, row]));
  // What must be seen in every mode: a tool that stops counting would pass with nothing to compare.
  for (const name of ['engine processes (podrun serve)', 'shim processes', 'container processes (below shims)', 'host mounts under the roots', 'engine open fds', 'links in the pod network', 'address records (IPAM files)', 'pod directories', 'state root entries', 'data root entries']) {
    const row = rows.get(name);
    t.ok(row && row.before !== '-', `${name} is counted`);
    t.equal(row?.delta, '0', `${name}: ${row?.before} before, ${row?.after} after`);
  }
  t.equal(rows.get('engine processes (podrun serve)')?.after, '1', 'one podrun serve ran the cycles');
  t.ok(Number(rows.get('links in the pod network')?.before) >= 2, 'the pod network is there (lo and the bridge at least)');
  if (asRoot) t.equal(rows.get('nftables ruleset lines')?.delta, '0', 'nftables: the hostPort rules went with each pod');
  t.ok(out.ok, 'the tool judges the run ok');
});
