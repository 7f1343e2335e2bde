// The three parts of `npm run stress`, each against one state root whose engine is a
// `podrun serve` started the CLI's way (the Node API with engine: 'spawn'):
//  - leaks: create+delete cycles of a 2-container pod with an emptyDir and a hostPort, counted
//    before and after (probe.js);
//  - concurrent: N pods created at once, every one Running with its own address;
//  - kills: SIGKILL of the engine at random moments of create, exec, logs -f, delete and pull,
//    then the next CLI command starts a new engine, which must find everything again.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const probe = require('./probe');

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'podrun');
const IMAGE = 'stress:1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const isRunning = (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).length > 0 && p.status.containerStatuses.every((c) => !!c.state?.running);

/** A small deterministic generator (mulberry32), so a run can be repeated with --seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** bin/podrun against the run's roots, asynchronously (the event loop keeps serving followers and execs). */
function cli(ctx, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--root', ctx.root, '--data-root', ctx.dataRoot, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

/** Until `cond()` holds (a look every `everyMs`), or throw after `timeoutMs`. */
async function until(what, cond, timeoutMs = 60_000, everyMs = 50) {
  for (const end = Date.now() + timeoutMs; ; await sleep(everyMs)) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/**
 * The counts, once teardown has had its moment: after the nftables table's linger (the engine
 * removes it 1 s after the last pod with an address), looks until two agree, 4 s at most.
 */
async function settledSnapshot(ctx, want) {
  const same = (a, b) => Object.keys(a).every((k) => k === 'engine RSS KiB' || a[k] === b[k]);
  await sleep(1200);
  let last = probe.snapshot(ctx);
  for (const end = Date.now() + 3000; Date.now() < end; ) {
    await sleep(100);
    const s = probe.snapshot(ctx);
    if (want ? same(s, want) : same(s, last)) return s;
    last = s;
  }
  return last;
}

// ---------------------------------------------------------------- leaks

function leakPod(name, hostPort) {
  const mounts = [{ name: 'shared', mountPath: '/shared' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { stress: 'leak' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'shared', emptyDir: {} }],
      containers: [
        { name: 'web', image: IMAGE, command: ['/payload', 'write', '/shared/ready', 'yes', '--then', 'serve-http', '8080', 'stress'], ports: [{ containerPort: 8080, hostPort }], volumeMounts: mounts },
        { name: 'side', image: IMAGE, command: ['/payload', 'sleep', '100000'], volumeMounts: mounts },
      ],
    },
  };
}

/** One cycle: created, both containers running, deleted (gone when deletePod resolves). */
async function leakCycle(ctx, name, hostPort) {
  await ctx.podrun.createPod(leakPod(name, hostPort));
  await ctx.podrun.waitFor(name, isRunning, { timeoutMs: 60_000 });
  await ctx.podrun.deletePod(name, { gracePeriodSeconds: 0 });
}

const RSS_JUDGED_FROM = 100;

function median(xs) {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : undefined;
}

async function leaks(ctx, { cycles, warmup, warmupSeconds, log }) {
  const hostPort = await freePort();
  // Warm-up: the engine's watch history fills for 75 s (as the API server's), V8 sizes its heap.
  const judgeRss = cycles >= RSS_JUDGED_FROM;
  const warmUntil = Date.now() + (warmupSeconds ?? (judgeRss ? 90 : 0)) * 1000;
  let warmed = 0;
  for (; warmed < warmup || Date.now() < warmUntil; warmed++) await leakCycle(ctx, `warm-${warmed}`, hostPort);
  log(`  warm-up: ${warmed} cycles, engine RSS ${probe.vmRssKiB(probe.servePids(ctx.root)[0])} KiB`);
  const before = await settledSnapshot(ctx);
  const t0 = now();
  const step = Math.max(1, Math.floor(cycles / 10));
  const rss = [];
  for (let i = 0; i < cycles; i++) {
    await leakCycle(ctx, `leak-${i}`, hostPort);
    rss.push(probe.vmRssKiB(probe.servePids(ctx.root)[0]));
    if ((i + 1) % step === 0) log(`  leak cycles: ${i + 1}/${cycles} (${((now() - t0) / (i + 1)).toFixed(0)} ms a cycle, engine RSS ${rss[i]} KiB)`);
  }
  const ms = now() - t0;
  const after = await settledSnapshot(ctx, before);
  // The engine's memory is judged over a long run only: a few cycles are still its warm-up.
  // One reading lands anywhere on the sawtooth of V8's collections (a run measured +7.1% from
  // two single readings); the median of the first and of the last tenth of the cycles does not,
  // and a leak, which grows with every cycle, still shows between them.
  const tenth = Math.max(1, Math.floor(cycles / 10));
  const rssNote = judgeRss ? `median of the first and the last ${tenth} cycles` : undefined;
  if (judgeRss) {
    before['engine RSS KiB'] = median(rss.slice(0, tenth));
    after['engine RSS KiB'] = median(rss.slice(-tenth));
  }
  const rows = probe.leakRows(before, after, { judgeRss, rssNote });
  return { rows, cycles, warmup: warmed, msPerCycle: ms / cycles, ok: rows.every((r) => r.ok), before, after };
}

// ---------------------------------------------------------------- concurrent creations

async function concurrent(ctx, { count, log }) {
  // The pod network exists once a pod has run (bridge, gateway): one pod first, so the counts after compare.
  await leakCycle(ctx, 'many-warm', await freePort());
  const names = Array.from({ length: count }, (_, i) => `many-${i}`);
  const pod = (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { stress: 'many' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGE, command: ['/payload', 'sleep', '100000'] }] } });
  const t0 = now();
  const created = await Promise.allSettled(names.map((n) => ctx.podrun.createPod(pod(n))));
  const failures = created.filter((r) => r.status === 'rejected').map((r) => r.reason?.message ?? String(r.reason));
  let pods = [];
  let problem;
  try {
    await until(
      `${count} pods Running`,
      async () => {
        pods = (await ctx.podrun.listPods()).filter((p) => p.metadata.labels?.stress === 'many');
        const failed = pods.filter((p) => p.status?.phase === 'Failed');
        if (failed.length) throw new Error(`failed: ${failed.map((p) => `${p.metadata.name} (${p.status?.reason ?? p.status?.message ?? ''})`).join(', ')}`);
        return pods.length === count - failures.length && pods.every(isRunning);
      },
      300_000,
      100,
    );
  } catch (e) {
    problem = e.message;
  }
  const ms = now() - t0;
  const ips = pods.map((p) => p.status?.podIP).filter(Boolean);
  const collisions = ips.length - new Set(ips).size;
  const noIp = pods.length - ips.length;
  log(`  ${count} pods: ${pods.filter(isRunning).length} Running in ${(ms / 1000).toFixed(1)} s`);
  const deleted = await Promise.allSettled(names.map((n) => ctx.podrun.deletePod(n, { gracePeriodSeconds: 0 })));
  const deleteFailures = deleted.filter((r) => r.status === 'rejected' && !/not found/.test(r.reason?.message)).map((r) => r.reason.message);
  const allFailures = [...failures, ...(problem ? [problem] : []), ...deleteFailures.map((m) => `delete: ${m}`)];
  return { count, ms, failures: allFailures, collisions, noIp, ok: allFailures.length === 0 && collisions === 0 && noIp === 0 };
}

// ---------------------------------------------------------------- engine kills

const OPS = ['create', 'exec', 'logs -f', 'delete', 'pull'];

/** SIGKILL every serve of the root; resolves once they are gone. */
async function killEngine(ctx) {
  const pids = probe.servePids(ctx.root);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  await until('the killed engine to be gone', () => pids.every((pid) => { const s = probe.readOr(`/proc/${pid}/stat`); return !s || / [ZX] /.test(s.slice(s.lastIndexOf(')'))); }), 10_000, 10);
  return pids.length;
}

/** The next CLI command starts a new engine, which re-attaches to the pods' shims. */
async function reattach(ctx) {
  const r = await cli(ctx, ['get', 'pods', '-o', 'name']);
  if (r.code !== 0) throw new Error(`podrun get pods after the kill: ${r.stderr.trim()}`);
}

/** Numbers 1..n in order: how many are missing, doubled or out of order. */
function sequenceFaults(nums, first = 1) {
  let gaps = 0;
  let dups = 0;
  let disorder = 0;
  let want = first;
  for (const n of nums) {
    if (n === want) want++;
    else if (n > want) {
      gaps += n - want;
      want = n + 1;
    } else if (n === want - 1) dups++;
    else disorder++;
  }
  return { gaps, dups, disorder };
}

async function retry(what, fn, tries = 5) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw new Error(`${what}: ${e.message}`);
      await sleep(200 * i);
    }
  }
}

async function kills(ctx, { count, seed, registry, log }) {
  ctx.stopWatch = new AbortController();
  const rnd = random(seed);
  const p = ctx.podrun;
  const tally = Object.fromEntries(OPS.map((o) => [o, { kills: 0, pending: 0, retried: 0, lost: 0, notes: [] }]));
  const expected = []; // { name, code }
  const followers = []; // fault counts of each logs -f
  // The pod network exists once a pod has run: one pod first, so that the counts after compare.
  await leakCycle(ctx, 'kill-warm', await freePort());
  const baseline = await settledSnapshot(ctx);
  // Pod directory ids by name, to say whose address is still held, if one is.
  const names = new Map();
  const seen = (pod) => pod?.metadata?.uid && names.set(pod.metadata.uid.replace(/-/g, '').slice(0, 16), pod.metadata.name);
  const watching = (async () => {
    try {
      for await (const e of p.watch({ signal: ctx.stopWatch.signal })) seen(e.object);
    } catch {
      /* the run's end */
    }
  })();

  await p.createPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ticker' },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'tick', image: IMAGE, command: ['/bin/sh', '-c', 'i=1; while :; do echo $i; i=$((i+1)); sleep 0.02; done'] }] },
  });
  await p.waitFor('ticker', isRunning);
  const exitPod = (name, code, image = IMAGE, extra = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { stress: 'kill' } },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image, command: ['/payload', 'sleep', (rnd() * 0.6).toFixed(2), '--then', 'exit', String(code)], ...extra }] },
  });

  for (let i = 0; i < count; i++) {
    const op = OPS[i % OPS.length];
    const t = tally[op];
    const code = 1 + ((i * 7) % 250);
    let pending = true;
    let work;
    let after; // what to do once the new engine is there
    // A create the kill cut short: the new engine either has the pod or is asked again.
    const createdAfterKill = (pod) => async (err) => {
      if (!err) return;
      t.retried++;
      await retry(`create ${pod.metadata.name}`, async () => {
        try {
          await p.getPod(pod.metadata.name);
        } catch {
          await p.createPod(pod);
        }
      });
    };
    if (op === 'create') {
      const name = `exit-${i}`;
      expected.push({ name, code });
      const pod = exitPod(name, code);
      work = p.createPod(pod);
      after = createdAfterKill(pod);
    } else if (op === 'exec') {
      let started = false;
      const body = async () => {
        const s = await p.exec('ticker', ['/payload', 'sleep', (rnd() * 0.5).toFixed(2), '--then', 'echo', `exec-${i}`, '--then', 'exit', String(code)], { container: 'tick' });
        started = true;
        let out = '';
        s.stdout.setEncoding('utf8');
        s.stdout.on('data', (d) => (out += d));
        const { exitCode } = await s.exit;
        if (exitCode !== code || out !== `exec-${i}\n`) throw Object.assign(new Error(`exec ${i}: exit ${exitCode} (want ${code}), output ${JSON.stringify(out)}`), { lost: true });
      };
      work = body();
      after = async (err) => {
        if (!err) return;
        if (started || err.lost) {
          t.lost++;
          t.notes.push(err.message);
          return;
        }
        t.retried++;
        await retry(`exec ${i}`, body);
      };
    } else if (op === 'logs -f') {
      const ac = new AbortController();
      const nums = [];
      // Resolves at the follow's first line (it goes on until aborted in after()), or fails.
      work = new Promise((resolve, reject) => {
        (async () => {
          for await (const l of p.logs('ticker', { container: 'tick', follow: true, signal: ac.signal })) {
            nums.push(Number(l));
            if (nums.length === 1) resolve();
          }
        })().then(resolve, reject);
      });
      after = async (err) => {
        if (err) {
          t.retried++;
          t.notes.push(`follow did not start: ${err.message}`);
          return;
        }
        // Still following across the kill and the new engine: a moment more, then stop.
        const seen = nums.length;
        await until('the follower to get more lines', () => nums.length > seen + 10, 10_000, 20).catch((e) => {
          t.lost++;
          t.notes.push(`follower ${i}: ${e.message}`);
        });
        ac.abort();
        const f = sequenceFaults(nums, nums[0]);
        followers.push({ lines: nums.length, ...f });
        if (f.gaps || f.dups || f.disorder) {
          t.lost += f.gaps + f.dups + f.disorder;
          t.notes.push(`follower ${i}: ${JSON.stringify(f)}`);
        }
      };
    } else if (op === 'delete') {
      const name = `victim-${i}`;
      await p.createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { stress: 'kill' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGE, command: ['/payload', 'sleep', '100000'] }] } });
      const running = await p.waitFor(name, isRunning);
      work = p.deletePod(name, { gracePeriodSeconds: 0 });
      after = async (err) => {
        if (err) t.retried++;
        await retry(`delete ${name}`, async () => {
          try {
            await p.deletePod(name, { gracePeriodSeconds: 0 });
          } catch (e) {
            if (!/not found/.test(e.message)) throw e;
          }
        });
        const id = running.metadata.uid.replace(/-/g, '').slice(0, 16);
        if (probe.shimTree(ctx.root).shims.some((s) => s.argv.some((a) => a.includes(`${path.sep}pods${path.sep}${id}`)))) {
          t.lost++;
          t.notes.push(`${name}: its shim outlived the delete`);
        }
      };
    } else {
      const name = `pull-${i}`;
      expected.push({ name, code });
      const pod = exitPod(name, code, registry.ref(`t${i}`), { imagePullPolicy: 'Always' });
      work = p.createPod(pod);
      after = createdAfterKill(pod);
    }
    const outcome = work.then(
      () => undefined,
      (e) => e,
    );
    void outcome.then(() => (pending = false));
    // Each op's own span: creates and deletes answer in milliseconds, execs last up to 0.5 s, pulls seconds.
    await sleep(rnd() * { create: 30, exec: 500, 'logs -f': 300, delete: 30, pull: 1500 }[op]);
    // A follow is in flight until after() stops it; the others while their call has not answered.
    if (pending || op === 'logs -f') t.pending++;
    t.kills += (await killEngine(ctx)) > 0 ? 1 : 0;
    await reattach(ctx);
    await after(await outcome);
  }
  log(`  ${count} kills done; waiting for every exit`);

  // Every container that was to exit has its exit code.
  let pods = [];
  await until(
    'every exiting container to be terminated',
    async () => {
      pods = await p.listPods();
      return expected.every(({ name }) => pods.find((x) => x.metadata.name === name)?.status?.containerStatuses?.[0]?.state?.terminated);
    },
    180_000,
    200,
  ).catch((e) => log(`  ${e.message}`));
  const lostExits = [];
  for (const { name, code } of expected) {
    const got = pods.find((x) => x.metadata.name === name)?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
    if (got !== code) lostExits.push(`${name}: exit ${got} (want ${code})`);
  }

  // The ticker's whole log: 1, 2, 3, ... with nothing missing or twice.
  const lines = [];
  for await (const l of p.logs('ticker', { container: 'tick' })) lines.push(Number(l));
  const tickerFaults = sequenceFaults(lines, 1);
  const ticker = await p.getPod('ticker');

  // Orphans: a shim with no pod object, or a pod whose shim is gone and whose status says running.
  const podIds = new Map(pods.map((x) => [x.metadata.uid.replace(/-/g, '').slice(0, 16), x]));
  const orphans = [];
  for (const s of probe.shimTree(ctx.root).shims) {
    const m = s.argv.map((a) => /\/pods\/([0-9a-f]{16})(\/|$)/.exec(a)).find(Boolean);
    if (m && !podIds.has(m[1])) orphans.push(`shim ${s.pid} of pod dir ${m[1]} has no pod`);
  }
  for (const [id, x] of podIds) {
    const rec = probe.readOr(path.join(ctx.root, 'pods', id, 'sandbox.json'));
    const pid = rec ? JSON.parse(rec).pid : undefined;
    const alive = pid !== undefined && probe.readOr(`/proc/${pid}/cmdline`).includes(id);
    if (!alive && (x.status?.containerStatuses ?? []).some((c) => c.state?.running)) orphans.push(`pod ${x.metadata.name}: shim gone, status says running`);
  }
  if (!ticker.status?.containerStatuses?.[0]?.state?.running) orphans.push(`ticker is not running after the kills (${JSON.stringify(ticker.status?.containerStatuses?.[0]?.state)})`);

  // Then everything goes, and the host is as it was before the kills.
  await Promise.allSettled(pods.map((x) => p.deletePod(x.metadata.name, { gracePeriodSeconds: 0 })));
  for (let i = 0; i < count; i++) {
    if (OPS[i % OPS.length] !== 'pull') continue;
    try {
      ctx.podrun.images.remove(registry.ref(`t${i}`));
    } catch {
      /* never pulled */
    }
  }
  const after = await settledSnapshot(ctx, baseline);
  const comparable = ['shim processes', 'container processes (below shims)', 'host mounts under the roots', 'links in the pod network', 'nftables ruleset lines', 'iptables rules', 'address records (IPAM files)', 'pod directories'];
  const partial = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.partial')) partial.push(path.join(d, e.name));
    }
  };
  walk(ctx.dataRoot);
  const leftRows = probe.leakRows(
    Object.fromEntries(comparable.map((k) => [k, baseline[k]]).concat([['partial downloads in the data root', 0]])),
    Object.fromEntries(comparable.map((k) => [k, after[k]]).concat([['partial downloads in the data root', partial.length]])),
  );
  // Who holds an address still, when someone does: the pod directory id of its owner.
  const ipamDir = path.join(ctx.root, 'network', 'ipam');
  ctx.stopWatch.abort();
  await watching;
  const addresses = fs.existsSync(ipamDir)
    ? fs.readdirSync(ipamDir).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)).map((n) => {
        const id = probe.readOr(path.join(ipamDir, n)).trim();
        return `${n} held by ${id} (${names.get(id) ?? 'a pod never seen'})`;
      })
    : [];
  const lost = OPS.reduce((s, o) => s + tally[o].lost, 0);
  return {
    count,
    seed,
    tally,
    expected: expected.length,
    lostExits,
    tickerLines: lines.length,
    tickerFaults,
    followers,
    orphans,
    addresses,
    leftRows,
    ok: lost === 0 && lostExits.length === 0 && !tickerFaults.gaps && !tickerFaults.dups && !tickerFaults.disorder && orphans.length === 0 && leftRows.every((r) => r.ok),
  };
}

module.exports = { leaks, concurrent, kills, cli, until, IMAGE, sequenceFaults };
