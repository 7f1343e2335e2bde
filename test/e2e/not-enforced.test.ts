// Fields podrun takes but does not carry out are said, never dropped in silence (bin/podrun,
// defaults only): a `Warning:` line at apply and a NotEnforced event for security profiles and,
// rootless, mount propagation; as root mount propagation is carried out (host mounts made later
// reach a HostToContainer mount, a Bidirectional one's mounts reach the host); readiness gates
// hold Ready as a kubelet does when no controller sets the condition.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const rootless = process.getuid!() !== 0;

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
  const warnings = [
    'Warning: spec.containers[0].securityContext.appArmorProfile: RuntimeDefault is not applied: podrun does not load AppArmor profiles',
    ...(rootless ? ["Warning: spec.containers[0].volumeMounts[0].mountPropagation: HostToContainer is not applied: a rootless pod's mounts are private (None)"] : []),
  ];
  t.same(r.stderr.trim().split('\n').filter((l) => l.startsWith('Warning: spec.')), warnings, rootless ? 'rootless: propagation is not applied, and said' : 'as root: propagation is applied, nothing said of it');
  await env.until('prof', (p) => p.status?.phase === 'Running', 30_000);
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=prof']);
  t.match(events, /Warning\s+NotEnforced\s+pod\/prof\s+spec\.containers\[0\]\.securityContext\.appArmorProfile: RuntimeDefault is not applied/);
  t.notMatch(events, /seccompProfile/, 'seccomp profiles are applied');
  t.equal(env.run(['apply', '-f', env.file('p.yaml', yaml)]).stderr.split('\n').filter((l) => l.startsWith('Warning: spec.')).length, warnings.length, 'said again on every apply, as the API server does');
});

t.test('mountPropagation as root: HostToContainer sees what the host mounts later; Bidirectional mounts reach the host', { skip: rootless ? 'rootless: not applied (said, above)' : false }, async (t) => {
  const env = await e2e(t);
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  const src = path.join(env.dir, 'shared');
  fs.mkdirSync(path.join(src, 'later'), { recursive: true });
  fs.mkdirSync(path.join(src, 'back'), { recursive: true });
  // A shared mount point of its own, as the kubelet's docs ask of a Bidirectional source.
  t.equal(sh(`mount --bind ${src} ${src} && mount --make-rshared ${src}`).status, 0);
  t.teardown(() => void sh(`umount -R ${src}`));
  const mounts = (mode: string) => `    volumeMounts:\n    - name: h\n      mountPath: /h\n      mountPropagation: ${mode}\n`;
  const volume = `  volumes:\n  - name: h\n    hostPath:\n      path: ${src}\n`;
  env.ok(['apply', '-f', env.file('slave.yaml', podYaml('slave', { c: SERVE }, volume, mounts('HostToContainer')))]);
  env.ok(['apply', '-f', env.file('both.yaml', podYaml('both', { c: SERVE }, volume, `    securityContext:\n      privileged: true\n${mounts('Bidirectional')}`))]);
  env.ok(['wait', '--for=condition=Ready', 'pod/slave', 'pod/both', '--timeout=60s']);
  t.equal(sh(`mount -t tmpfs tmpfs ${src}/later && echo later > ${src}/later/f`).status, 0, 'a mount on the host after the pods started');
  t.equal(env.ok(['exec', 'slave', '--', 'cat', '/h/later/f']), 'later\n', 'HostToContainer: reaches the container');
  env.ok(['exec', 'both', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /h/back && echo from-pod > /h/back/g']);
  t.equal(fs.readFileSync(path.join(src, 'back', 'g'), 'utf8'), 'from-pod\n', "Bidirectional: the container's mount reaches the host");
  env.ok(['delete', 'pod', 'slave', 'both', '--grace-period=0']);
  t.equal(sh(`umount ${src}/back && umount ${src}/later`).status, 0, "the host's mounts are the host's to remove");
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
