// Fields podrun takes but does not carry out are said, never dropped in silence (bin/podrun,
// defaults only): a `Warning:` line at apply and a NotEnforced event for security profiles and
// mount propagation; readiness gates hold Ready as a kubelet does when no controller sets the
// condition.
import t from 'tap';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('AppArmor profiles, mount propagation: a Warning line at apply, and an event (seccomp is applied: none)', async (t) => {
  const env = await e2e(t);
  const yaml = podYaml(
    'prof',
    { c: SERVE },
    '  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n  volumes:\n  - name: v\n    emptyDir: {}\n',
    '    securityContext:\n      appArmorProfile:\n        type: RuntimeDefault\n    volumeMounts:\n    - name: v\n      mountPath: /v\n      mountPropagation: HostToContainer\n',
  );
  const r = env.run(['apply', '-f', env.file('p.yaml', yaml)]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'pod/prof created\n');
  // The machine's notices (rootless: no outbound network) come once per root, beside these.
  t.same(r.stderr.trim().split('\n').filter((l) => l.startsWith('Warning: spec.')), [
    'Warning: spec.containers[0].securityContext.appArmorProfile: RuntimeDefault is not applied: podrun does not load AppArmor profiles',
    'Warning: spec.containers[0].volumeMounts[0].mountPropagation: HostToContainer is not applied: the mount is private (None)',
  ]);
  await env.until('prof', (p) => p.status?.phase === 'Running', 30_000);
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=prof']);
  t.match(events, /Warning\s+NotEnforced\s+pod\/prof\s+spec\.containers\[0\]\.securityContext\.appArmorProfile: RuntimeDefault is not applied/);
  t.notMatch(events, /seccompProfile/, 'seccomp profiles are applied');
  t.equal(env.run(['apply', '-f', env.file('p.yaml', yaml)]).stderr.split('\n').filter((l) => l.startsWith('Warning:')).length, 2, 'said again on every apply, as the API server does');
});

t.test('a readiness gate no controller sets keeps the pod from Ready', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('g.yaml', podYaml('gated', { c: SERVE }, '  readinessGates:\n  - conditionType: www.example.com/feature-1\n'))]);
  const p = await env.until('gated', (p) => p.status?.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True') === true, 30_000);
  const ready = p.status!.conditions!.find((c) => c.type === 'Ready')!;
  t.same([ready.status, ready.reason, ready.message], ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "www.example.com/feature-1" does not exist.']);
  // kubectl's READY counts containers; -o wide shows the gates.
  t.match(env.ok(['get', 'pod', 'gated']), /gated\s+1\/1\s+Running/);
  t.match(env.ok(['get', 'pod', 'gated', '-o', 'wide']), /READINESS GATES\n.*\s0\/1\n$/);
});
