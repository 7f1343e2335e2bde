// The one-node scheduler through bin/podrun with defaults only: `get nodes` shows this host; a
// pod that cannot be placed stays Pending with PodScheduled=False and a FailedScheduling event
// in kube-scheduler's words; it runs once it fits (resources freed, gates removed).
import * as os from 'node:os';
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { servePids, signalServes } from '../integration/cli-harness';
import { e2e, missingE2e, podYaml, SERVE, sleep } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const pod = (name: string, extra: string, resources = '') => podYaml(name, { c: SERVE }, extra, resources);
const cpu = (n: string) => `    resources: {requests: {cpu: "${n}"}}\n`;
const scheduled = (p: Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'PodScheduled');

t.test('get nodes and describe node show this host', async (t) => {
  const env = await e2e(t);
  const table = env.ok(['get', 'nodes']);
  t.match(table, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
  t.match(table, new RegExp(`\\n${os.hostname()}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.35\\.0-podrun-`));
  const node = JSON.parse(env.ok(['get', 'node', os.hostname(), '-o', 'json'])) as { metadata: { labels: Record<string, string> }; status: { capacity: Record<string, string>; allocatable: Record<string, string> } };
  t.equal(node.metadata.labels['kubernetes.io/hostname'], os.hostname());
  t.equal(node.metadata.labels['kubernetes.io/os'], 'linux');
  t.equal(node.status.capacity.cpu, String(os.cpus().length), 'capacity from the machine');
  t.equal(node.status.capacity.pods, '65533', 'as many pods as the pod network (10.88.0.0/16) has addresses');
  t.ok(node.status.allocatable.memory, 'allocatable memory');
  env.ok(['apply', '-f', env.file('a.yaml', pod('a', '', cpu('100m')))]);
  await env.until('a', (p) => p.status?.phase === 'Running', 30_000);
  const text = env.ok(['describe', 'node']);
  t.match(text, /Non-terminated Pods:\s+\(1 in total\)/);
  t.match(text, /default\s+a\s+100m \(\d+%\)/, 'the pod and its request');
  t.match(text, /Allocated resources:[\s\S]*cpu\s+100m \(\d+%\)/);
});

t.test('nodeSelector that does not match, and 100 CPUs: Pending with FailedScheduling', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('sel.yaml', pod('sel', '  nodeSelector: {disktype: ssd}\n'))]);
  env.ok(['apply', '-f', env.file('big.yaml', pod('big', '', cpu('100')))]);
  const sel = env.pod('sel');
  t.equal(sel?.status?.phase, 'Pending');
  t.same(
    { status: scheduled(sel)?.status, reason: scheduled(sel)?.reason, message: scheduled(sel)?.message },
    {
      status: 'False',
      reason: 'Unschedulable',
      message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    },
  );
  t.notOk(sel?.spec?.nodeName, 'not bound');
  t.match(scheduled(env.pod('big'))?.message ?? '', /^0\/1 nodes are available: 1 Insufficient cpu\./);
  const events = env.ok(['get', 'events']);
  t.match(events, /Warning\s+FailedScheduling\s+pod\/sel\s+0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/);
  t.match(events, /Warning\s+FailedScheduling\s+pod\/big\s+0\/1 nodes are available: 1 Insufficient cpu/);
  t.match(env.ok(['get', 'pods']), /big\s+0\/1\s+Pending\s+0\s/);
  t.match(env.ok(['describe', 'pod', 'big']), /PodScheduled\s+False/);
  // The engine goes away (as after a reboot of podrun serve): a new one finds the pending pods.
  signalServes(env.root, 'SIGTERM');
  for (let i = 0; i < 100 && servePids(env.root).length; i++) await sleep(50);
  t.match(scheduled(env.pod('big'))?.message ?? '', /Insufficient cpu/, 'a new engine still has the pending pod and its reason');
  t.equal(env.ok(['delete', 'pod', 'big', 'sel']), 'pod "big" deleted\npod "sel" deleted\n', 'pending pods delete at once');
  t.equal(env.run(['get', 'pod', 'big']).status, 1);
});

t.test('a pending pod runs once resources are freed; scheduling gates hold a pod until removed', async (t) => {
  const env = await e2e(t);
  const cores = os.cpus().length;
  env.ok(['apply', '-f', env.file('first.yaml', pod('first', '', cpu(`${cores * 600}m`)))]);
  env.ok(['apply', '-f', env.file('second.yaml', pod('second', '', cpu(`${cores * 600}m`)))]);
  t.match(scheduled(env.pod('second'))?.message ?? '', /Insufficient cpu/, 'second waits for first');
  env.ok(['delete', 'pod', 'first']);
  t.ok(await env.until('second', (p) => p.status?.phase === 'Running', 30_000), 'second runs once first is gone');

  const gated = (gates: string) => pod('gated', `  schedulingGates: [${gates}]\n`);
  env.ok(['apply', '-f', env.file('gated.yaml', gated('{name: example.com/wait}'))]);
  t.same({ reason: scheduled(env.pod('gated'))?.reason, message: scheduled(env.pod('gated'))?.message }, { reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' });
  t.notMatch(env.ok(['get', 'events']), /FailedScheduling\s+pod\/gated/, 'no FailedScheduling for a gated pod');
  t.equal(env.ok(['apply', '-f', env.file('gated.yaml', gated(''))]), 'pod/gated configured\n', 'the gate removed');
  t.ok(await env.until('gated', (p) => p.status?.phase === 'Running', 30_000), 'then it is scheduled and runs');
});
