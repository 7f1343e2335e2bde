import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults, defaultPullPolicy } from '../../src/api/defaults';

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: {
      volumes: [
        { name: 'a', emptyDir: {} },
        { name: 'b', configMap: { name: 'cfg' } },
        { name: 'c', secret: { secretName: 's', defaultMode: 0o400 } },
        { name: 'd', hostPath: { path: '/x' } },
        { name: 'e', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
        { name: 'f', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } },
      ],
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 2 },
          lifecycle: { preStop: { httpGet: { port: 80, path: '/quit' } } },
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
      ],
      ephemeralContainers: [{ name: 'dbg', image: 'busybox@sha256:abc' }],
    },
  };
}

t.test('the API server defaults', async (t) => {
  const input = pod();
  const snapshot = structuredClone(input);
  const out = applyPodDefaults(input);
  t.same(input, snapshot, 'the input is not changed');
  t.not(out.spec, input.spec, 'a deep copy');

  t.equal(out.metadata?.namespace, 'default');
  const spec = out.spec!;
  t.equal(spec.restartPolicy, 'Always');
  t.equal(spec.terminationGracePeriodSeconds, 30);
  t.equal(spec.dnsPolicy, 'ClusterFirst');
  t.equal(spec.schedulerName, 'default-scheduler');
  t.same(spec.securityContext, {});
  t.equal(spec.enableServiceLinks, true);

  const c = spec.containers[0];
  t.equal(c.terminationMessagePath, '/dev/termination-log');
  t.equal(c.terminationMessagePolicy, 'File');
  t.equal(c.imagePullPolicy, 'Always');
  t.same(c.ports, [
    { containerPort: 80, protocol: 'TCP' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
  t.same(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  t.same(c.readinessProbe, { exec: { command: ['true'] }, timeoutSeconds: 1, periodSeconds: 2, successThreshold: 1, failureThreshold: 3 });
  t.same(c.lifecycle?.preStop?.httpGet, { port: 80, path: '/quit', scheme: 'HTTP' });
  t.same(c.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } }, 'requests default to limits');
  t.equal(c.env?.[0].valueFrom?.fieldRef?.apiVersion, 'v1');

  t.equal(spec.initContainers?.[0].imagePullPolicy, 'IfNotPresent');
  t.equal(spec.initContainers?.[0].terminationMessagePolicy, 'File');
  t.equal(spec.ephemeralContainers?.[0].imagePullPolicy, 'IfNotPresent');
  t.equal(spec.ephemeralContainers?.[0].terminationMessagePath, '/dev/termination-log');

  const v = spec.volumes!;
  t.same(v[0].emptyDir, {}, 'emptyDir stays as it is');
  t.equal(v[1].configMap?.defaultMode, 420);
  t.equal(v[2].secret?.defaultMode, 0o400, 'a given mode is kept');
  t.equal(v[3].hostPath?.type, '');
  t.equal(v[4].downwardAPI?.defaultMode, 420);
  t.equal(v[4].downwardAPI?.items?.[0].fieldRef?.apiVersion, 'v1');
  t.equal(v[5].projected?.defaultMode, 420);
  t.equal(v[5].projected?.sources?.[0].serviceAccountToken?.expirationSeconds, 3600);
});

t.test('given values are kept', async (t) => {
  const p = pod();
  p.metadata = { name: 'web', namespace: 'prod' };
  p.spec!.restartPolicy = 'Never';
  p.spec!.terminationGracePeriodSeconds = 0;
  p.spec!.enableServiceLinks = false;
  p.spec!.containers[0].imagePullPolicy = 'Never';
  const out = applyPodDefaults(p);
  t.equal(out.metadata?.namespace, 'prod');
  t.equal(out.spec?.restartPolicy, 'Never');
  t.equal(out.spec?.terminationGracePeriodSeconds, 0);
  t.equal(out.spec?.enableServiceLinks, false);
  t.equal(out.spec?.containers[0].imagePullPolicy, 'Never');
});

t.test('host network ports', async (t) => {
  const p = pod();
  p.spec!.hostNetwork = true;
  t.same(applyPodDefaults(p).spec?.containers[0].ports?.[0], { containerPort: 80, protocol: 'TCP', hostPort: 80 });
});

t.test('a pod without spec or metadata', async (t) => {
  const out = applyPodDefaults({});
  t.equal(out.metadata?.namespace, 'default');
  t.same(out.spec?.containers, []);
});

t.test('pull policy from the image reference', async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/nginx', 'Always'],
    ['registry.local:5000/nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/nginx:latest', 'Always'],
    ['nginx@sha256:abc', 'IfNotPresent'],
    ['nginx:latest@sha256:abc', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) t.equal(defaultPullPolicy(image), want, image);
});
