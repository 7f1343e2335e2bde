// kill -9 of `podrun serve` in the middle of roll-outs and scale-ups, 20 times at random moments:
// after each, the next command starts serve again, which re-attaches to the pods and lets the
// controllers carry on; when the roll-out is done the pods are exactly what the Deployment
// asks for — its replicas, all of the newest template, each owned by a ReplicaSet that exists,
// no duplicate, no orphan, and no pod process left without a pod.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { cliEnv, missingCli, signalServes } from './cli-harness';
import { coveredByRootRun, IMAGE, readOr, sleep } from './harness';

const missing = missingCli() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const deployment = (version: number, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: ${IMAGE}
        command: ["/payload", "sleep", "3600"]
        env: [{name: VERSION, value: "v${version}"}]
`;

/** Shim processes of this root (their pod folder is under it). */
function shims(root: string): number {
  let n = 0;
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const argv = readOr(`/proc/${p}/cmdline`).split('\0');
    if (argv[0]?.endsWith('podrun-shim') && argv.some((a) => a.startsWith(path.join(root, 'pods')))) n++;
  }
  return n;
}

/** What a failing round had: each pod's phase, owner and conditions, each ReplicaSet's status, and serve's log. */
function explain(t: Test, root: string, pods: Pod[], sets: ReplicaSet[]): void {
  for (const p of pods) {
    const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.name;
    t.comment(`pod ${p.metadata?.name}: ${p.status?.phase} owner=${owner} rv=${p.metadata?.resourceVersion} ${JSON.stringify(p.status?.conditions?.map((c) => `${c.type}=${c.status}`))}`);
  }
  for (const s of sets) t.comment(`rs ${s.metadata?.name}: spec=${s.spec?.replicas} ${JSON.stringify(s.status)}`);
  t.comment(readOr(path.join(root, 'serve.log')).split('\n').slice(-80).join('\n'));
}

t.test('20 SIGKILLs of serve during roll-outs and scale-ups: the pods are exactly what the Deployment asks', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'app.yaml');
  let version = 1;
  let replicas = 3;
  fs.writeFileSync(file, deployment(version, replicas));
  t.equal(env.run(['apply', '-f', file]).status, 0);
  t.equal(env.run(['rollout', 'status', 'deploy/app', '--timeout=60s']).status, 0);
  const shimsBefore = shims(env.root);
  for (let round = 1; round <= 20; round++) {
    // Odd rounds roll out a new template, even rounds scale (up or down).
    if (round % 2) version++;
    else replicas = replicas === 3 ? 5 : 3;
    fs.writeFileSync(file, deployment(version, replicas));
    t.equal(env.run(['apply', '-f', file]).status, 0, `round ${round}: applied`);
    await sleep(Math.floor(Math.random() * 400));
    signalServes(env.root, 'SIGKILL');
    const done = env.run(['rollout', 'status', 'deploy/app', '--timeout=90s']);
    t.equal(done.status, 0, `round ${round}: the roll-out finished after the kill (${done.stderr.trim()})`);
    const pods = (JSON.parse(env.run(['get', 'pods', '-o', 'json']).stdout) as { items: Pod[] }).items.filter((p) => !p.metadata?.deletionTimestamp);
    const sets = (JSON.parse(env.run(['get', 'rs', '-o', 'json']).stdout) as { items: ReplicaSet[] }).items;
    const versions = pods.map((p) => p.spec?.containers[0]?.env?.[0]?.value);
    const owners = new Set(sets.map((s) => s.metadata?.uid));
    t.equal(pods.length, replicas, `round ${round}: ${replicas} pods (${pods.map((p) => p.metadata?.name).join(' ')})`);
    if (pods.length !== replicas) explain(t, env.root, pods, sets);
    t.ok(versions.every((v) => v === `v${version}`), `round ${round}: all of v${version} (${versions.join(' ')})`);
    t.ok(pods.every((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.controller && owners.has(r.uid))), `round ${round}: each owned by an existing ReplicaSet`);
    t.equal(new Set(pods.map((p) => p.metadata?.name)).size, pods.length, `round ${round}: no duplicate`);
    t.equal(sets.filter((s) => (s.spec?.replicas ?? 0) > 0).length, 1, `round ${round}: one ReplicaSet with replicas`);
  }
  // Terminating pods finish; then there is one shim per pod, as before the kills (plus the scale).
  for (let i = 0; i < 100 && shims(env.root) !== replicas; i++) await sleep(100);
  t.equal(shims(env.root), replicas, `one pod process per pod (${shimsBefore} before)`);
});
