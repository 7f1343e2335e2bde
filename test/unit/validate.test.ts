import t from 'tap';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1';
import { ValidationError } from '../../src/errors';
import { parseManifests, type KubeObject } from '../../src/api/manifest';
import { objectErrors, podErrors, supportedKinds, validateManifestSet, validateObject, validatePod } from '../../src/api/validate';

type Obj = Record<string, unknown> & KubeObject;
// Tests build deliberately wrong shapes, so their objects are loosely typed.
type Loose = any;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** A valid pod; each test breaks one thing. */
function basePod(): Loose {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{ name: 'web', image: 'nginx:1.25', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  };
}

/** The first error for the pod after `mutate`, or '' when it is valid. */
function podError(mutate: (p: Loose) => void): string {
  const p = basePod();
  mutate(p);
  return objectErrors(p as Obj)[0]?.message ?? '';
}

t.test('the base pod is valid', async (t) => {
  t.equal(podError(() => {}), '');
  t.doesNotThrow(() => validateObject(basePod()));
  t.doesNotThrow(() => validatePod(basePod() as Pod));
});

t.test('unsupported kinds and versions', async (t) => {
  t.same(supportedKinds(), ['Pod', 'ConfigMap', 'Secret']);
  t.throws(() => validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }), {
    message: 'kind: Unsupported value: "Deployment": supported values: "Pod", "ConfigMap", "Secret"',
    field: 'kind',
    code: 'Invalid',
  });
  t.throws(() => validateObject({ apiVersion: 'apps/v1', kind: 'Pod' }), {
    message: 'apiVersion: Unsupported value: "apps/v1": supported values: "v1"',
  });
  t.throws(() => validateObject({ apiVersion: 'v1', kind: 'Job' }, 2), {
    message: '[2].kind: Unsupported value: "Job": supported values: "Pod", "ConfigMap", "Secret"',
    field: '[2].kind',
  });
});

t.test('structure: unknown fields', async (t) => {
  t.equal(
    podError((p) => (p.spec.containers[0].imagee = 'x')),
    'spec.containers[0].imagee: unknown field "imagee"',
  );
  t.equal(podError((p) => (p.foo = 1)), 'foo: unknown field "foo"');
  t.equal(podError((p) => (p.metadata.nme = 'x')), 'metadata.nme: unknown field "nme"');
  t.equal(podError((p) => (p.spec.volumes[0].emptyDir.size = '1Gi')), 'spec.volumes[0].emptyDir.size: unknown field "size"');
  t.equal(
    podError((p) => (p.spec.containers[0].livenessProbe = { httpGet: { port: 80, pth: '/' } })),
    'spec.containers[0].livenessProbe.httpGet.pth: unknown field "pth"',
  );
  t.equal(
    podError((p) => (p.spec.containers[0].securityContext = { capabilities: { add: ['NET_ADMIN'], remove: [] } })),
    'spec.containers[0].securityContext.capabilities.remove: unknown field "remove"',
  );
  t.equal(
    podError((p) => (p.spec.volumes[0] = { name: 'data', configMap: { name: 'c', items: [{ key: 'a', path: 'a', perm: 1 }] } })),
    'spec.volumes[0].configMap.items[0].perm: unknown field "perm"',
  );
  // "__proto__"-like keys are fields like any other.
  t.equal(podError((p) => (p.spec.constructor = 1)), 'spec.constructor: unknown field "constructor"');
});

t.test('structure: wrong types', async (t) => {
  t.equal(
    podError((p) => (p.spec.containers[0].ports = [{ containerPort: 'abc' }])),
    'spec.containers[0].ports[0].containerPort: Invalid value: "abc": must be an integer',
  );
  t.equal(
    podError((p) => (p.spec.containers[0].ports = [{ containerPort: 80.5 }])),
    'spec.containers[0].ports[0].containerPort: Invalid value: 80.5: must be an integer',
  );
  t.equal(
    podError((p) => (p.spec.containers[0].env = [{ name: 'PORT', value: 8080 }])),
    'spec.containers[0].env[0].value: Invalid value: 8080: must be a string',
  );
  t.equal(podError((p) => (p.metadata.labels.app = true)), 'metadata.labels[app]: Invalid value: true: must be a string');
  t.equal(podError((p) => (p.spec.containers[0].tty = 'yes')), 'spec.containers[0].tty: Invalid value: "yes": must be a boolean');
  t.equal(podError((p) => (p.spec.containers = { name: 'web' })), 'spec.containers: Invalid value: {"name":"web"}: must be an array');
  t.equal(podError((p) => (p.spec.containers[0].command = 'sleep 1')), 'spec.containers[0].command: Invalid value: "sleep 1": must be an array');
  t.equal(podError((p) => (p.spec = [])), 'spec: Invalid value: []: must be an object');
  t.equal(podError((p) => (p.spec.containers[0] = null)), 'spec.containers[0]: Invalid value: null: must be an object');
  t.equal(podError((p) => (p.spec.affinity = 'any')), 'spec.affinity: Invalid value: "any": must be an object');
  t.equal(
    podError((p) => (p.spec.containers[0].livenessProbe = { tcpSocket: { port: true } })),
    'spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: true: must be an integer or string',
  );
  t.equal(
    podError((p) => (p.spec.containers[0].resources = { limits: { cpu: [] } })),
    'spec.containers[0].resources.limits[cpu]: Invalid value: []: must be a string or number',
  );
  t.equal(
    podError((p) => (p.spec.containers[0].resources = { limits: { cpu: 'lots' } })),
    "spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": must match the regex '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
  t.equal(
    podError((p) => (p.spec.volumes[0].emptyDir.sizeLimit = '1 Gi')),
    "spec.volumes[0].emptyDir.sizeLimit: Invalid value: \"1 Gi\": must match the regex '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
  const long = 'x'.repeat(200);
  const msg = podError((p) => (p.spec.containers[0].tty = long));
  t.ok(msg.length < 200 && msg.includes('...'), 'long values are cut');
});

t.test('structure: int-or-string, quantities, nulls and opaque parts are accepted', async (t) => {
  t.equal(
    podError((p) => {
      const c = p.spec.containers[0];
      c.ports = [{ containerPort: 8080, name: 'http' }];
      c.livenessProbe = { httpGet: { port: 'http', path: '/' } };
      c.readinessProbe = { tcpSocket: { port: 8080 } };
      c.resources = { limits: { cpu: 1, memory: '64Mi' }, requests: { cpu: 0.5, memory: 1e6 } };
      p.metadata.creationTimestamp = null;
      p.metadata.annotations = null;
      p.spec.affinity = { nodeAffinity: { anything: [1, 2, 3] } };
      p.spec.topologySpreadConstraints = [{ maxSkew: 1, whatever: true }];
      p.spec.volumes.push({ name: 'nfs', nfs: { server: 'h', path: '/' } });
      p.spec.volumes.push({ name: 'eph', ephemeral: { volumeClaimTemplate: { spec: {} } } });
      p.status = { phase: 'Running', anything: 1 };
    }),
    '',
  );
});

t.test('metadata', async (t) => {
  t.equal(podError((p) => delete p.metadata.name), 'metadata.name: Required value');
  t.equal(podError((p) => delete p.metadata), 'metadata.name: Required value');
  t.equal(podError((p) => (p.metadata.name = 'Foo')), `metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`);
  t.equal(podError((p) => (p.metadata.name = 'a.b-c.d')), '', 'pod names are subdomains');
  t.match(podError((p) => (p.metadata.name = 'a'.repeat(254))), /^metadata\.name: Invalid value: "a+\.\.\.: must be no more than 253 characters$/);
  t.equal(podError((p) => (p.metadata.namespace = 'a.b')), `metadata.namespace: Invalid value: "a.b": ${LABEL_MSG}`);
  t.match(podError((p) => (p.metadata.labels = { 'bad key': 'v' })), /^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/);
  t.match(podError((p) => (p.metadata.labels = { k: 'bad value' })), /^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string or consist of/);
  t.equal(podError((p) => (p.metadata.labels = { 'example.com/app': '', 'a_b.c-d': 'X_y.z' })), '');
  t.match(podError((p) => (p.metadata.labels = { 'Bad_/x': 'v' })), /^metadata\.labels: Invalid value: "Bad_\/x": prefix part a lowercase RFC 1123 subdomain/);
  t.match(podError((p) => (p.metadata.annotations = { 'a/b/c': 'v' })), /^metadata\.annotations: Invalid value: "a\/b\/c": a qualified name must consist of/);
  t.equal(podError((p) => (p.metadata.annotations = { 'Example.COM/Key': 'any value at all' })), '', 'annotation keys ignore case');
  t.equal(podError((p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) })), 'metadata.annotations: Too long: must have at most 262144 bytes');
  t.equal(podError((p) => (p.metadata.generateName = 'Web-')), `metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`);
  t.equal(podError((p) => (p.metadata.generateName = 'web-')), '');
});

t.test('containers: required, names, images', async (t) => {
  t.equal(podError((p) => (p.spec.containers = [])), 'spec.containers: Required value');
  t.equal(podError((p) => delete p.spec.containers), 'spec.containers: Required value');
  t.equal(podError((p) => delete p.spec), 'spec.containers: Required value');
  t.equal(
    podError((p) => p.spec.containers.push({ name: 'side' })),
    'spec.containers[1].image: Required value',
  );
  t.equal(podError((p) => (p.spec.containers[0].image = ' nginx')), 'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace');
  t.equal(podError((p) => delete p.spec.containers[0].name), 'spec.containers[0].name: Required value');
  t.equal(podError((p) => (p.spec.containers[0].name = 'Web')), `spec.containers[0].name: Invalid value: "Web": ${LABEL_MSG}`);
  t.equal(podError((p) => (p.spec.containers[0].name = 'a.b')), `spec.containers[0].name: Invalid value: "a.b": ${LABEL_MSG}`);
  t.equal(
    podError((p) => (p.spec.containers[0].name = 'a'.repeat(64))),
    `spec.containers[0].name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
  );
  t.equal(podError((p) => p.spec.containers.push({ name: 'web', image: 'x' })), 'spec.containers[1].name: Duplicate value: "web"');
  t.equal(podError((p) => (p.spec.initContainers = [{ name: 'web', image: 'x' }])), 'spec.initContainers[0].name: Duplicate value: "web"');
  t.equal(
    podError((p) => (p.spec.initContainers = [{ name: 'init', image: 'x' }, { name: 'init', image: 'x' }])),
    'spec.initContainers[1].name: Duplicate value: "init"',
  );
  t.equal(
    podError((p) => {
      p.spec.initContainers = [{ name: 'init', image: 'x' }];
      p.spec.ephemeralContainers = [{ name: 'init', image: 'x' }];
    }),
    'spec.ephemeralContainers[0].name: Duplicate value: "init"',
  );
  t.equal(podError((p) => (p.spec.containers[0].imagePullPolicy = 'Sometimes')), 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"');
  t.equal(
    podError((p) => (p.spec.containers[0].terminationMessagePolicy = 'Logs')),
    'spec.containers[0].terminationMessagePolicy: Unsupported value: "Logs": supported values: "File", "FallbackToLogsOnError"',
  );
});

t.test('restart policies', async (t) => {
  t.equal(
    podError((p) => (p.spec.restartPolicy = 'Sometimes')),
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  );
  for (const rp of ['Always', 'OnFailure', 'Never']) t.equal(podError((p) => (p.spec.restartPolicy = rp)), '', rp);
  t.equal(
    podError((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', restartPolicy: 'OnFailure' }])),
    'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
  );
  // Kubernetes 1.35 (ContainerRestartRules, beta): app containers may carry their own policy and rules.
  t.equal(podError((p) => (p.spec.containers[0].restartPolicy = 'Never')), '');
  t.equal(podError((p) => (p.spec.containers[0].restartPolicy = 'Sometimes')), 'spec.containers[0].restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  t.equal(
    podError((p) => Object.assign(p.spec.containers[0], { restartPolicy: 'Never', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }] })),
    '',
  );
  t.equal(
    podError((p) => Object.assign(p.spec.containers[0], { restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }] })),
    'spec.containers[0].restartPolicy: Required value: must be set when restartPolicyRules are',
  );
  t.equal(
    podError((p) => Object.assign(p.spec.containers[0], { restartPolicy: 'Never', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'Maybe', values: [300] } }] })),
    'spec.containers[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Maybe": supported values: "In", "NotIn"',
  );
});

t.test('init containers and sidecars: hooks and probes', async (t) => {
  const probe = { exec: { command: ['true'] } };
  for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
    const value = f === 'lifecycle' ? { postStart: probe } : probe;
    t.equal(
      podError((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', [f]: value }])),
      `spec.initContainers[0].${f}: Forbidden: may not be set for init containers without restartPolicy=Always`,
    );
    t.equal(podError((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', restartPolicy: 'Always', [f]: value }])), '', `sidecar ${f}`);
  }
  t.equal(
    podError((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', restartPolicy: 'Always', livenessProbe: {} }])),
    'spec.initContainers[0].livenessProbe: Required value: must specify a handler type',
  );
});

t.test('ports', async (t) => {
  const port = (ports: unknown[]): string => podError((p) => (p.spec.containers[0].ports = ports));
  t.equal(port([{ containerPort: 80, name: 'http', protocol: 'TCP', hostPort: 8080 }]), '');
  t.equal(port([{ name: 'http' }]), 'spec.containers[0].ports[0].containerPort: Required value');
  t.equal(port([{ containerPort: 0 }]), 'spec.containers[0].ports[0].containerPort: Required value');
  t.equal(port([{ containerPort: 70000 }]), 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
  t.equal(port([{ containerPort: -1 }]), 'spec.containers[0].ports[0].containerPort: Invalid value: -1: must be between 1 and 65535, inclusive');
  t.equal(port([{ containerPort: 80, hostPort: 65536 }]), 'spec.containers[0].ports[0].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive');
  t.equal(port([{ containerPort: 80, protocol: 'HTTP' }]), 'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"');
  t.equal(
    port([
      { containerPort: 80, name: 'http' },
      { containerPort: 81, name: 'http' },
    ]),
    'spec.containers[0].ports[1].name: Duplicate value: "http"',
  );
  t.equal(port([{ containerPort: 80, name: 'HTTP' }]), 'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  t.equal(port([{ containerPort: 80, name: '8080' }]), 'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)');
  t.equal(port([{ containerPort: 80, name: 'a--b' }]), 'spec.containers[0].ports[0].name: Invalid value: "a--b": must not contain consecutive hyphens');
  t.equal(port([{ containerPort: 80, name: '-ab' }]), 'spec.containers[0].ports[0].name: Invalid value: "-ab": must not begin or end with a hyphen');
  t.equal(port([{ containerPort: 80, name: 'abcdefghijklmnop' }]), 'spec.containers[0].ports[0].name: Invalid value: "abcdefghijklmnop": must be no more than 15 characters');
  t.equal(
    podError((p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      p.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] });
    }),
    'spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"',
  );
  t.equal(
    podError((p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      p.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080, protocol: 'UDP' }] });
    }),
    '',
    'TCP and UDP on one port do not clash',
  );
  t.equal(
    podError((p) => {
      p.spec.hostNetwork = true;
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
    }),
    'spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true',
  );
});

t.test('env and envFrom', async (t) => {
  const env = (e: unknown[]): string => podError((p) => (p.spec.containers[0].env = e));
  t.equal(env([{ name: 'A', value: '1' }, { name: 'my.var-1' }, { name: '1_weird but ok' }]), '');
  t.equal(env([{ value: '1' }]), 'spec.containers[0].env[0].name: Required value');
  t.equal(
    env([{ name: 'A=B' }]),
    "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
  );
  t.match(env([{ name: 'tab\there' }]), /^spec\.containers\[0\]\.env\[0\]\.name: Invalid value: "tab\\there": a valid environment/);
  t.equal(
    env([{ name: 'A', valueFrom: {} }]),
    'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`',
  );
  t.equal(
    env([{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
  );
  t.equal(
    env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } }]),
    'spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time',
  );
  t.equal(env([{ name: 'A', valueFrom: { configMapKeyRef: { key: 'k' } } }]), 'spec.containers[0].env[0].valueFrom.configMapKeyRef.name: Required value');
  t.equal(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 's' } } }]), 'spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value');
  t.match(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'a/b' } } }]), /^spec\.containers\[0\]\.env\[0\]\.valueFrom\.secretKeyRef\.key: Invalid value: "a\/b": a valid config key must consist of/);
  t.equal(
    env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }]),
    'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.bogus": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
  );
  t.equal(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }]), '');
  t.equal(env([{ name: 'A', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }]), '');
  t.equal(env([{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }]), '');
  t.equal(
    env([{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]),
    'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
  );
  const envFrom = (e: unknown[]): string => podError((p) => (p.spec.containers[0].envFrom = e));
  t.equal(envFrom([{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }, { secretRef: { name: 's', optional: true } }]), '');
  t.equal(envFrom([{ prefix: 'X' }]), 'spec.containers[0].envFrom[0]: Invalid value: "": must specify one of: `configMapRef` or `secretRef`');
  t.equal(
    envFrom([{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }]),
    'spec.containers[0].envFrom[0]: Invalid value: "": may not have more than one field specified at a time',
  );
  t.equal(envFrom([{ configMapRef: {} }]), 'spec.containers[0].envFrom[0].configMapRef.name: Required value');
  t.match(envFrom([{ prefix: 'A=', configMapRef: { name: 'c' } }]), /^spec\.containers\[0\]\.envFrom\[0\]\.prefix: Invalid value: "A=": a valid environment variable name/);
});

t.test('volumes', async (t) => {
  const vols = (v: unknown[], mounts: unknown[] = []): string =>
    podError((p) => {
      p.spec.volumes = v;
      p.spec.containers[0].volumeMounts = mounts;
    });
  t.equal(
    vols([
      { name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'b', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'c', configMap: { name: 'cfg', defaultMode: 0o644, items: [{ key: 'k', path: 'dir/k', mode: 0o600 }], optional: true } },
      { name: 'd', secret: { secretName: 's' } },
      { name: 'e', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'f', persistentVolumeClaim: { claimName: 'pvc' } },
      {
        name: 'g',
        projected: {
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } },
            { secret: { name: 's', items: [{ key: 'b', path: 'b' }] } },
            { downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'web', resource: 'limits.cpu' } }] } },
            { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          ],
        },
      },
      { name: 'h', image: { reference: 'busybox', pullPolicy: 'IfNotPresent' } },
    ]),
    '',
  );
  t.equal(vols([{ name: 'x', emptyDir: {} }, { name: 'x', emptyDir: {} }]), 'spec.volumes[1].name: Duplicate value: "x"');
  t.equal(vols([{ emptyDir: {} }]), 'spec.volumes[0].name: Required value');
  t.equal(vols([{ name: 'X', emptyDir: {} }]), `spec.volumes[0].name: Invalid value: "X": ${LABEL_MSG}`);
  t.equal(vols([{ name: 'x' }]), 'spec.volumes[0]: Required value: must specify a volume type');
  t.equal(vols([{ name: 'x', emptyDir: {}, hostPath: { path: '/' } }]), 'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type');
  t.equal(vols([{ name: 'x', emptyDir: { medium: 'Disk' } }]), 'spec.volumes[0].emptyDir.medium: Unsupported value: "Disk": supported values: "", "Memory"');
  t.equal(vols([{ name: 'x', emptyDir: { sizeLimit: '-1Gi' } }]), 'spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity');
  t.equal(vols([{ name: 'x', hostPath: {} }]), 'spec.volumes[0].hostPath.path: Required value');
  t.equal(vols([{ name: 'x', hostPath: { path: '/a/../etc' } }]), "spec.volumes[0].hostPath.path: Invalid value: \"/a/../etc\": must not contain '..'");
  t.equal(
    vols([{ name: 'x', hostPath: { path: '/a', type: 'Dir' } }]),
    'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
  );
  t.equal(vols([{ name: 'x', configMap: {} }]), 'spec.volumes[0].configMap.name: Required value');
  t.equal(vols([{ name: 'x', secret: {} }]), 'spec.volumes[0].secret.secretName: Required value');
  t.equal(vols([{ name: 'x', persistentVolumeClaim: {} }]), 'spec.volumes[0].persistentVolumeClaim.claimName: Required value');
  t.equal(vols([{ name: 'x', image: {} }]), 'spec.volumes[0].image.reference: Required value');
  t.equal(vols([{ name: 'x', secret: { secretName: 's', defaultMode: 0o1000 } }]), 'spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive');
  t.equal(vols([{ name: 'x', configMap: { name: 'c', items: [{ path: 'p' }] } }]), 'spec.volumes[0].configMap.items[0].key: Required value');
  t.equal(vols([{ name: 'x', configMap: { name: 'c', items: [{ key: 'k' }] } }]), 'spec.volumes[0].configMap.items[0].path: Required value');
  t.equal(vols([{ name: 'x', configMap: { name: 'c', items: [{ key: 'k', path: '/abs' }] } }]), 'spec.volumes[0].configMap.items[0].path: Invalid value: "/abs": must be a relative path');
  t.equal(vols([{ name: 'x', configMap: { name: 'c', items: [{ key: 'k', path: 'a/../../b' }] } }]), "spec.volumes[0].configMap.items[0].path: Invalid value: \"a/../../b\": must not contain '..'");
  t.equal(vols([{ name: 'x', configMap: { name: 'c', items: [{ key: 'k', path: '..data' }] } }]), "spec.volumes[0].configMap.items[0].path: Invalid value: \"..data\": must not start with '..'");
  t.equal(vols([{ name: 'x', downwardAPI: { items: [{ path: 'p' }] } }]), 'spec.volumes[0].downwardAPI.items[0]: Required value: one of fieldRef and resourceFieldRef is required');
  t.equal(
    vols([{ name: 'x', downwardAPI: { items: [{ path: 'p', fieldRef: { fieldPath: 'status.podIP' } }] } }]),
    'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
  );
  t.equal(
    vols([{ name: 'x', downwardAPI: { items: [{ path: 'p', resourceFieldRef: { resource: 'limits.cpu' } }] } }]),
    'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: Required value',
  );
  t.equal(
    vols([{ name: 'x', projected: { sources: [{ configMap: { name: 'a', items: [{ key: 'k', path: 'same' }] } }, { secret: { name: 'b', items: [{ key: 'k', path: 'same' }] } }] } }]),
    'spec.volumes[0].projected.sources[1].secret.items[0].path: Invalid value: "same": conflicting duplicate paths',
  );
  t.equal(
    vols([{ name: 'x', projected: { sources: [{ configMap: { name: 'a' }, secret: { name: 'b' } }] } }]),
    'spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source',
  );
  t.equal(
    vols([{ name: 'x', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 60 } }] } }]),
    'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
  );
  // A volume that fails is not there for mounts to use.
  t.equal(vols([{ name: 'x' }, { name: 'y', emptyDir: {} }], [{ name: 'y', mountPath: '/y' }]), 'spec.volumes[0]: Required value: must specify a volume type');
});

t.test('volume mounts and devices', async (t) => {
  const mounts = (m: unknown[], extra: (p: Loose) => void = () => {}): string =>
    podError((p) => {
      p.spec.containers[0].volumeMounts = m;
      extra(p);
    });
  t.equal(mounts([{ name: 'data', mountPath: '/data', subPath: 'a/b', readOnly: true, recursiveReadOnly: 'Enabled', mountPropagation: 'None' }]), '');
  t.equal(mounts([{ name: 'nope', mountPath: '/x' }]), 'spec.containers[0].volumeMounts[0].name: Not found: "nope"');
  t.equal(mounts([{ mountPath: '/x' }]), 'spec.containers[0].volumeMounts[0].name: Required value');
  t.equal(mounts([{ name: 'data' }]), 'spec.containers[0].volumeMounts[0].mountPath: Required value');
  t.equal(
    mounts([
      { name: 'data', mountPath: '/data' },
      { name: 'data', mountPath: '/data' },
    ]),
    'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
  );
  t.equal(mounts([{ name: 'data', mountPath: '/d', subPath: '/abs' }]), 'spec.containers[0].volumeMounts[0].subPath: Invalid value: "/abs": must be a relative path');
  t.equal(mounts([{ name: 'data', mountPath: '/d', subPath: 'a/../b' }]), "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"a/../b\": must not contain '..'");
  t.equal(mounts([{ name: 'data', mountPath: '/d', subPath: '..' }]), "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"..\": must not contain '..'");
  t.equal(mounts([{ name: 'data', mountPath: '/d', subPath: 'a..b/..c' }]), '', "'..' only as a whole element");
  t.equal(
    mounts([{ name: 'data', mountPath: '/d', subPath: 'a', subPathExpr: '$(POD)' }]),
    'spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD)": subPathExpr and subPath are mutually exclusive',
  );
  t.equal(
    mounts([{ name: 'data', mountPath: '/d', mountPropagation: 'Shared' }]),
    'spec.containers[0].volumeMounts[0].mountPropagation: Unsupported value: "Shared": supported values: "Bidirectional", "HostToContainer", "None"',
  );
  t.equal(
    mounts([{ name: 'data', mountPath: '/d', mountPropagation: 'Bidirectional' }]),
    'spec.containers[0].volumeMounts[0].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers',
  );
  t.equal(mounts([{ name: 'data', mountPath: '/d', mountPropagation: 'Bidirectional' }], (p) => (p.spec.containers[0].securityContext = { privileged: true })), '');
  t.equal(
    mounts([{ name: 'data', mountPath: '/d', recursiveReadOnly: 'Enabled' }]),
    'spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when readOnly is true',
  );
  t.equal(
    mounts([{ name: 'data', mountPath: '/d', recursiveReadOnly: 'Always', readOnly: true }]),
    'spec.containers[0].volumeMounts[0].recursiveReadOnly: Unsupported value: "Always": supported values: "Disabled", "IfPossible", "Enabled"',
  );
  const devices = (d: unknown[]): string =>
    podError((p) => {
      p.spec.volumes.push({ name: 'blk', persistentVolumeClaim: { claimName: 'c' } }, { name: 'tmp', emptyDir: {} });
      p.spec.containers[0].volumeDevices = d;
    });
  t.equal(devices([{ name: 'blk', devicePath: '/dev/xvda' }]), '');
  t.equal(
    devices([{ name: 'tmp', devicePath: '/dev/xvda' }]),
    'spec.containers[0].volumeDevices[0].name: Invalid value: "tmp": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
  );
  t.equal(devices([{ name: 'nope', devicePath: '/dev/x' }]), 'spec.containers[0].volumeDevices[0].name: Not found: "nope"');
  t.equal(devices([{ name: 'blk' }]), 'spec.containers[0].volumeDevices[0].devicePath: Required value');
  t.equal(devices([{ name: 'blk', devicePath: '/data' }]), 'spec.containers[0].volumeMounts[0].mountPath: Invalid value: "/data": must not already exist as a path in volumeDevices');
  t.equal(devices([{ name: 'data', devicePath: '/dev/x' }]), 'spec.containers[0].volumeMounts[0].name: Invalid value: "data": must not already exist in volumeDevices');
});

t.test('probes and lifecycle hooks', async (t) => {
  const probe = (kind: string, pr: unknown): string => podError((p) => (p.spec.containers[0][kind] = pr));
  t.equal(probe('livenessProbe', { httpGet: { port: 8080, path: '/healthz', scheme: 'HTTPS', httpHeaders: [{ name: 'X-Token', value: 'v' }] }, periodSeconds: 5 }), '');
  t.equal(probe('readinessProbe', { grpc: { port: 9000 }, successThreshold: 3 }), '');
  t.equal(probe('startupProbe', { tcpSocket: { port: 'http' }, failureThreshold: 30 }), '');
  t.equal(probe('livenessProbe', {}), 'spec.containers[0].livenessProbe: Required value: must specify a handler type');
  t.equal(probe('livenessProbe', { periodSeconds: 3 }), 'spec.containers[0].livenessProbe: Required value: must specify a handler type');
  t.equal(
    probe('readinessProbe', { exec: { command: ['true'] }, httpGet: { port: 80 } }),
    'spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
  );
  t.equal(probe('livenessProbe', { exec: {} }), 'spec.containers[0].livenessProbe.exec.command: Required value');
  t.equal(probe('livenessProbe', { exec: { command: [] } }), 'spec.containers[0].livenessProbe.exec.command: Required value');
  t.equal(probe('livenessProbe', { httpGet: { path: '/' } }), 'spec.containers[0].livenessProbe.httpGet.port: Required value');
  t.equal(probe('livenessProbe', { httpGet: { port: 0 } }), 'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive');
  t.equal(probe('livenessProbe', { httpGet: { port: 'HTTP' } }), 'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  t.equal(probe('livenessProbe', { httpGet: { port: 80, scheme: 'FTP' } }), 'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"');
  t.match(probe('livenessProbe', { httpGet: { port: 80, httpHeaders: [{ name: 'a b', value: '' }] } }), /^spec\.containers\[0\]\.livenessProbe\.httpGet\.httpHeaders\[0\]: Invalid value: "a b": a valid HTTP header must consist of alphanumeric characters or '-'/);
  t.equal(probe('livenessProbe', { grpc: { port: 70000 } }), 'spec.containers[0].livenessProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive');
  t.equal(probe('livenessProbe', { tcpSocket: { port: 80 }, periodSeconds: -1 }), 'spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0');
  t.equal(probe('livenessProbe', { tcpSocket: { port: 80 }, successThreshold: 2 }), 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1');
  t.equal(probe('startupProbe', { tcpSocket: { port: 80 }, successThreshold: 2 }), 'spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1');
  t.equal(probe('livenessProbe', { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 0 }), 'spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0');
  t.equal(
    probe('readinessProbe', { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 5 }),
    'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes',
  );
  const hook = (lc: unknown, grace?: number): string =>
    podError((p) => {
      p.spec.containers[0].lifecycle = lc;
      if (grace !== undefined) p.spec.terminationGracePeriodSeconds = grace;
    });
  t.equal(hook({ postStart: { exec: { command: ['x'] } }, preStop: { sleep: { seconds: 5 } } }), '');
  t.equal(hook({ preStop: { httpGet: { port: 80, path: '/quit' } } }), '');
  t.equal(hook({ preStop: {} }), 'spec.containers[0].lifecycle.preStop: Required value: must specify a handler type');
  t.equal(
    hook({ postStart: { exec: { command: ['x'] }, sleep: { seconds: 1 } } }),
    'spec.containers[0].lifecycle.postStart.sleep: Forbidden: may not specify more than 1 handler type',
  );
  t.equal(hook({ preStop: { sleep: { seconds: 31 } } }), 'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)');
  t.equal(hook({ preStop: { sleep: { seconds: 31 } } }, 60), '');
  t.equal(hook({ preStop: { sleep: { seconds: -1 } } }), 'spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: -1: must be non-negative and less than terminationGracePeriodSeconds (30)');
});

t.test('resources', async (t) => {
  const res = (r: unknown): string => podError((p) => (p.spec.containers[0].resources = r));
  t.equal(res({ limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1G', 'example.com/gpu': 1 }, requests: { cpu: '500m', 'example.com/gpu': '1' } }), '');
  t.equal(res({ limits: { cpu: '1' }, requests: { cpu: '2' } }), 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1');
  t.equal(res({ limits: { memory: '64Mi' }, requests: { memory: '1Gi' } }), 'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 64Mi');
  t.equal(res({ limits: { cpu: '1' }, requests: { cpu: '1000m' } }), '', 'equal in value');
  t.equal(res({ requests: { cpu: '-1' } }), 'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0');
  t.equal(res({ limits: { gpu: '1' } }), 'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified');
  t.equal(res({ limits: { 'example.com/gpu': '2' }, requests: { 'example.com/gpu': '1' } }), 'spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2');
  t.equal(res({ requests: { 'example.com/gpu': '1' } }), 'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources');
  const resize = (rp: unknown): string => podError((p) => (p.spec.containers[0].resizePolicy = rp));
  t.equal(resize([{ resourceName: 'cpu', restartPolicy: 'NotRequired' }, { resourceName: 'memory', restartPolicy: 'RestartContainer' }]), '');
  t.equal(resize([{ resourceName: 'gpu', restartPolicy: 'NotRequired' }]), 'spec.containers[0].resizePolicy[0].resourceName: Unsupported value: "gpu": supported values: "cpu", "memory"');
  t.equal(resize([{ resourceName: 'cpu', restartPolicy: 'Never' }]), 'spec.containers[0].resizePolicy[0].restartPolicy: Unsupported value: "Never": supported values: "NotRequired", "RestartContainer"');
  t.equal(
    resize([
      { resourceName: 'cpu', restartPolicy: 'NotRequired' },
      { resourceName: 'cpu', restartPolicy: 'NotRequired' },
    ]),
    'spec.containers[0].resizePolicy[1]: Duplicate value: "cpu"',
  );
});

t.test('security contexts', async (t) => {
  const sc = (s: unknown): string => podError((p) => (p.spec.containers[0].securityContext = s));
  t.equal(sc({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }), '');
  t.equal(sc({ runAsUser: -1 }), 'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive');
  t.equal(sc({ procMount: 'Masked' }), 'spec.containers[0].securityContext.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"');
  t.equal(
    sc({ privileged: true, allowPrivilegeEscalation: false }),
    'spec.containers[0].securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
  );
  t.equal(sc({ seccompProfile: { type: 'Localhost' } }), 'spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost');
  t.equal(sc({ seccompProfile: { type: 'Strict' } }), 'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"');
  t.equal(sc({ appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'p' } }), 'spec.containers[0].securityContext.appArmorProfile.localhostProfile: Invalid value: "p": can only be set when AppArmor type is Localhost');
  const psc = (s: unknown, extra: (p: Loose) => void = () => {}): string =>
    podError((p) => {
      p.spec.securityContext = s;
      extra(p);
    });
  t.equal(psc({ fsGroup: 2000, supplementalGroups: [1, 2], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }], fsGroupChangePolicy: 'OnRootMismatch' }), '');
  t.equal(psc({ supplementalGroups: [1, -2] }), 'spec.securityContext.supplementalGroups[1]: Invalid value: -2: must be between 0 and 2147483647, inclusive');
  t.equal(psc({ fsGroupChangePolicy: 'Never' }), 'spec.securityContext.fsGroupChangePolicy: Unsupported value: "Never": supported values: "OnRootMismatch", "Always"');
  t.match(psc({ sysctls: [{ name: 'Bad Name', value: '1' }] }), /^spec\.securityContext\.sysctls\[0\]\.name: Invalid value: "Bad Name": must have at most 253 characters and match regex/);
  t.equal(
    psc({}, (p) => {
      p.spec.shareProcessNamespace = true;
      p.spec.hostPID = true;
    }),
    'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
  );
  t.equal(
    podError((p) => {
      p.spec.hostUsers = false;
      p.spec.hostNetwork = true;
    }),
    'spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false',
  );
});

t.test('ephemeral containers', async (t) => {
  const eph = (e: unknown): string => podError((p) => (p.spec.ephemeralContainers = [e]));
  t.equal(eph({ name: 'debug', image: 'busybox', targetContainerName: 'web', stdin: true, tty: true, volumeMounts: [{ name: 'data', mountPath: '/data' }] }), '');
  t.equal(eph({ name: 'debug', image: 'busybox', targetContainerName: 'nope' }), 'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"');
  for (const [f, v] of [
    ['ports', [{ containerPort: 80 }]],
    ['livenessProbe', { exec: { command: ['x'] } }],
    ['readinessProbe', { exec: { command: ['x'] } }],
    ['startupProbe', { exec: { command: ['x'] } }],
    ['lifecycle', {}],
    ['resources', {}],
    ['resizePolicy', []],
    ['restartPolicy', 'Always'],
  ] as const) {
    t.equal(eph({ name: 'debug', image: 'busybox', [f]: v }), `spec.ephemeralContainers[0].${f}: Forbidden: cannot be set for an Ephemeral Container`, f);
  }
  t.equal(
    eph({ name: 'debug', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] }),
    'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
  );
  t.equal(eph({ name: 'debug' }), 'spec.ephemeralContainers[0].image: Required value');
});

t.test('pod-wide settings', async (t) => {
  t.equal(podError((p) => (p.spec.terminationGracePeriodSeconds = -1)), '', 'negative is made 1 by the defaults, as the API server does');
  t.equal(podError((p) => (p.spec.terminationGracePeriodSeconds = 0)), '');
  t.equal(podError((p) => (p.spec.activeDeadlineSeconds = 0)), 'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive');
  t.equal(podError((p) => (p.spec.activeDeadlineSeconds = 1)), '');
  t.equal(
    podError((p) => (p.spec.dnsPolicy = 'Custom')),
    'spec.dnsPolicy: Unsupported value: "Custom": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
  );
  t.equal(podError((p) => (p.spec.dnsPolicy = 'None')), 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None');
  t.equal(
    podError((p) => {
      p.spec.dnsPolicy = 'None';
      p.spec.dnsConfig = { searches: ['a'] };
    }),
    'spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
  );
  t.equal(
    podError((p) => {
      p.spec.dnsPolicy = 'None';
      p.spec.dnsConfig = { nameservers: ['10.0.0.10', '::1'], searches: ['svc.cluster.local.'], options: [{ name: 'ndots', value: '2' }] };
    }),
    '',
  );
  t.equal(podError((p) => (p.spec.dnsConfig = { nameservers: ['dns.example'] })), 'spec.dnsConfig.nameservers[0]: Invalid value: "dns.example": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  t.equal(podError((p) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] })), 'spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","1.1.1.2","1.1.1.3","1.1.1.4"]: must not have more than 3 nameservers');
  t.equal(podError((p) => (p.spec.dnsConfig = { options: [{ value: 'x' }] })), 'spec.dnsConfig.options[0]: Required value: Option.Name must not be empty');
  t.equal(podError((p) => (p.spec.hostname = 'My_Host')), `spec.hostname: Invalid value: "My_Host": ${LABEL_MSG}`);
  t.equal(podError((p) => (p.spec.serviceAccountName = 'Bad')), `spec.serviceAccountName: Invalid value: "Bad": ${SUBDOMAIN_MSG}`);
  t.match(podError((p) => (p.spec.nodeSelector = { 'bad key': 'x' })), /^spec\.nodeSelector: Invalid value: "bad key": name part must/);
  t.equal(podError((p) => (p.spec.hostAliases = [{ ip: '127.0.0.1', hostnames: ['foo.local'] }])), '');
  t.equal(podError((p) => (p.spec.hostAliases = [{ ip: 'nope', hostnames: ['foo'] }])), 'spec.hostAliases[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  t.equal(podError((p) => (p.spec.os = { name: 'plan9' })), 'spec.os.name: Unsupported value: "plan9": supported values: "linux", "windows"');
  t.equal(podError((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { operator: 'Exists' }])), '');
  t.equal(podError((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Maybe' }])), 'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists", "Lt", "Gt"');
  t.equal(podError((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Gt', value: '100', effect: 'NoSchedule' }])), '', 'Gt with an integer (1.35)');
  t.equal(podError((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Lt', value: 'ten' }])), "spec.tolerations[0].value: Invalid value: \"ten\": value must be an integer when `operator` is 'Lt'");
  t.equal(podError((p) => (p.spec.tolerations = [{ key: 'k', effect: 'NoRun' }])), 'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
  t.equal(podError((p) => (p.spec.overhead = { cpu: '-1' })), 'spec.overhead[cpu]: Invalid value: "-1": must be greater than or equal to 0');
  t.equal(podError((p) => (p.spec.readinessGates = [{ conditionType: 'example.com/ready' }])), '');
  t.equal(podError((p) => (p.spec.preemptionPolicy = 'Sometimes')), 'spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"');
});

t.test('a pod using a wide range of v1 fields is accepted', async (t) => {
  const [pod] = parseManifests(`
apiVersion: v1
kind: Pod
metadata:
  name: full
  namespace: team-a
  labels: {app: full, tier: backend}
  annotations: {example.com/owner: someone}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: "123", controller: true}]
  finalizers: [example.com/cleanup]
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 10
  activeDeadlineSeconds: 600
  dnsPolicy: ClusterFirst
  hostname: full
  subdomain: svc
  setHostnameAsFQDN: false
  shareProcessNamespace: true
  enableServiceLinks: false
  automountServiceAccountToken: false
  serviceAccountName: default
  priorityClassName: high
  priority: 1000
  schedulerName: default-scheduler
  runtimeClassName: runc
  nodeSelector: {disk: ssd}
  imagePullSecrets: [{name: regcred}]
  hostAliases: [{ip: 10.0.0.1, hostnames: [db.local]}]
  readinessGates: [{conditionType: example.com/ready}]
  schedulingGates: [{name: example.com/wait}]
  os: {name: linux}
  hostUsers: false
  tolerations: [{key: node, operator: Equal, value: x, effect: NoExecute, tolerationSeconds: 30}]
  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]
  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
    runAsNonRoot: true
    fsGroup: 2000
    supplementalGroups: [3000]
    seccompProfile: {type: RuntimeDefault}
    sysctls: [{name: net.core.somaxconn, value: "1024"}]
  volumes:
  - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  - {name: logs, hostPath: {path: /var/log, type: DirectoryOrCreate}}
  - {name: cfg, configMap: {name: cfg, items: [{key: app.conf, path: app.conf}], defaultMode: 0440}}
  - {name: creds, secret: {secretName: creds, optional: true}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
  initContainers:
  - name: setup
    image: busybox
    command: [sh, -c, "echo $(GREETING) > /scratch/hello"]
    env: [{name: GREETING, value: hi}]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: proxy
    image: envoy:v1
    restartPolicy: Always
    startupProbe: {tcpSocket: {port: 9901}, periodSeconds: 1, failureThreshold: 30}
  containers:
  - name: app
    image: registry.local:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    imagePullPolicy: IfNotPresent
    command: [/app]
    args: [--port=$(PORT)]
    workingDir: /srv
    ports: [{name: http, containerPort: 8080, protocol: TCP}, {containerPort: 9090, protocol: UDP, hostPort: 9090, hostIP: 127.0.0.1}]
    env:
    - {name: PORT, value: "8080"}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: LEVEL, valueFrom: {configMapKeyRef: {name: cfg, key: level, optional: true}}}
    - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
    envFrom: [{prefix: APP_, configMapRef: {name: cfg}}, {secretRef: {name: creds, optional: true}}]
    resources: {limits: {cpu: "1", memory: 256Mi}, requests: {cpu: 250m, memory: 128Mi}}
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: cfg, mountPath: /etc/app, readOnly: true}
    - {name: logs, mountPath: /logs, subPathExpr: $(POD_NAME)}
    - {name: info, mountPath: /etc/podinfo, readOnly: true, recursiveReadOnly: IfPossible}
    livenessProbe: {httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}, initialDelaySeconds: 3, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3, successThreshold: 1, terminationGracePeriodSeconds: 5}
    readinessProbe: {grpc: {port: 9090, service: health}, successThreshold: 2}
    startupProbe: {exec: {command: [cat, /tmp/ready]}}
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo started"]}}
      preStop: {sleep: {seconds: 5}}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
      seccompProfile: {type: Localhost, localhostProfile: profiles/app.json}
    stdin: false
    stdinOnce: false
    tty: false
  ephemeralContainers:
  - {name: debugger, image: busybox, targetContainerName: app, stdin: true, tty: true}
status:
  phase: Running
`);
  t.same(objectErrors(pod).map((e) => e.message), []);
});

t.test('ConfigMap', async (t) => {
  const cm = (o: Loose): string => objectErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, ...o })[0]?.message ?? '';
  t.equal(cm({ data: { 'app.conf': 'x', KEY_1: 'y', '.hidden': 'z' }, binaryData: { bin: Buffer.from('hi').toString('base64') }, immutable: true }), '');
  t.equal(cm({ metadata: {} }), 'metadata.name: Required value');
  t.equal(cm({ metadata: { name: 'Cfg' } }), `metadata.name: Invalid value: "Cfg": ${SUBDOMAIN_MSG}`);
  t.equal(cm({ spec: {} }), 'spec: unknown field "spec"');
  t.equal(cm({ data: { a: 1 } }), 'data[a]: Invalid value: 1: must be a string');
  t.equal(
    cm({ data: { 'a/b': 'x' } }),
    "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  );
  t.equal(cm({ data: { '..': 'x' } }), 'data[..]: Invalid value: "..": must not be \'..\'');
  t.equal(cm({ data: { k: 'x' }, binaryData: { k: 'eA==' } }), 'data[k]: Invalid value: "k": duplicate of key present in binaryData');
  t.equal(cm({ binaryData: { k: 'not base64!' } }), 'binaryData[k]: Invalid value: "not base64!": must be base64-encoded');
  t.equal(cm({ data: { big: 'x'.repeat(1024 * 1024 + 1) } }), 'data: Too long: must have at most 1048576 bytes');
});

t.test('Secret', async (t) => {
  const sec = (o: Loose): string => objectErrors({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...o })[0]?.message ?? '';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  t.equal(sec({ type: 'Opaque', data: { password: b64('hunter2') }, stringData: { user: 'admin' } }), '');
  t.equal(sec({ data: { password: 'hunter2' } }), 'data[password]: Invalid value: "<secret contents redacted>": must be base64-encoded');
  t.equal(sec({ data: { p: 'aGk' } }), 'data[p]: Invalid value: "<secret contents redacted>": must be base64-encoded', 'padding is required');
  t.equal(sec({ data: { p: 'aGVs\nbG8=' } }), '', 'line breaks are ignored');
  t.match(sec({ stringData: { 'bad key': 'x' } }), /^stringData\[bad key\]: Invalid value: "bad key": a valid config key/);
  t.equal(sec({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }), 'data[tls.key]: Required value');
  t.equal(sec({ type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } }), '');
  t.equal(sec({ type: 'kubernetes.io/dockerconfigjson', data: {} }), 'data[.dockerconfigjson]: Required value');
  t.equal(
    sec({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': 'nope' } }),
    'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": must be a JSON object',
  );
  t.equal(sec({ type: 'kubernetes.io/basic-auth', stringData: {} }), 'data[username]: Required value');
  t.equal(sec({ type: 'kubernetes.io/basic-auth', stringData: { password: '' } }), '');
  t.equal(sec({ type: 'kubernetes.io/ssh-auth' }), 'data[ssh-privatekey]: Required value');
  t.equal(sec({ type: 'kubernetes.io/service-account-token' }), 'metadata.annotations[kubernetes.io/service-account.name]: Required value');
  t.equal(sec({ type: 'example.com/custom', data: {} }), '');
});

t.test('validatePod with references', async (t) => {
  const cfg: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { level: 'debug' } };
  const creds: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { token: 'dA==' } };
  const refs = { configMaps: new Map([['cfg', cfg]]), secrets: new Map([['creds', creds]]) };
  const withVolume = (v: unknown): Pod => {
    const p = basePod();
    p.spec.volumes.push({ name: 'v', ...(v as object) });
    return p;
  };
  t.doesNotThrow(() => validatePod(withVolume({ configMap: { name: 'cfg' } }), refs));
  t.throws(() => validatePod(withVolume({ configMap: { name: 'nope' } }), refs), { message: 'spec.volumes[1].configMap.name: Not found: "nope"' });
  t.doesNotThrow(() => validatePod(withVolume({ configMap: { name: 'nope', optional: true } }), refs));
  t.doesNotThrow(() => validatePod(withVolume({ configMap: { name: 'nope' } })), 'no refs, no check');
  t.throws(() => validatePod(withVolume({ configMap: { name: 'cfg', items: [{ key: 'other', path: 'o' }] } }), refs), {
    message: 'spec.volumes[1].configMap.items[0].key: Not found: "other"',
  });
  t.throws(() => validatePod(withVolume({ secret: { secretName: 'nope' } }), refs), { message: 'spec.volumes[1].secret.secretName: Not found: "nope"' });
  t.doesNotThrow(() => validatePod(withVolume({ secret: { secretName: 'creds', items: [{ key: 'token', path: 't' }] } }), refs));
  t.throws(() => validatePod(withVolume({ projected: { sources: [{ secret: { name: 'gone' } }] } }), refs), {
    message: 'spec.volumes[1].projected.sources[0].secret.name: Not found: "gone"',
  });
  const withEnv = (env: unknown[], envFrom: unknown[] = []): Pod => {
    const p = basePod();
    p.spec.containers[0].env = env;
    p.spec.containers[0].envFrom = envFrom;
    return p;
  };
  t.throws(() => validatePod(withEnv([{ name: 'L', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }]), refs), {
    message: 'spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Not found: "nope"',
  });
  t.throws(() => validatePod(withEnv([{ name: 'L', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }]), refs), {
    message: 'spec.containers[0].env[0].valueFrom.secretKeyRef.name: Not found: "x"',
  });
  t.doesNotThrow(() => validatePod(withEnv([{ name: 'L', valueFrom: { secretKeyRef: { name: 'x', key: 'k', optional: true } } }]), refs));
  t.throws(() => validatePod(withEnv([], [{ configMapRef: { name: 'x' } }]), refs), { message: 'spec.containers[0].envFrom[0].configMapRef.name: Not found: "x"' });
  // Shape errors come before rule and reference errors.
  const bad = withVolume({ configMap: { name: 'nope' } }) as Loose;
  bad.spec.bogus = 1;
  t.same(
    podErrors(bad, refs).map((e) => e.message),
    ['spec.bogus: unknown field "bogus"'],
  );
  const err = t.throws(() => validatePod(withVolume({ configMap: { name: 'nope' } }), refs)) as ValidationError;
  t.type(err, ValidationError);
  t.equal(err.field, 'spec.volumes[1].configMap.name');
  t.equal(err.detail, 'Not found: "nope"');
});

t.test('validateManifestSet', async (t) => {
  const text = (cfgName: string, ns = ''): string => `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes: [{name: cfg, configMap: {name: cfg}}]
  containers: [{name: web, image: nginx, volumeMounts: [{name: cfg, mountPath: /etc/cfg}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${cfgName}${ns ? `, namespace: ${ns}` : ''}}
data: {a: b}
`;
  t.doesNotThrow(() => validateManifestSet(parseManifests(text('cfg')), { requireRefs: true }));
  t.throws(() => validateManifestSet(parseManifests(text('other')), { requireRefs: true }), {
    message: '[0].spec.volumes[0].configMap.name: Not found: "cfg"',
  });
  t.throws(() => validateManifestSet(parseManifests(text('cfg', 'elsewhere')), { requireRefs: true }), {
    message: '[0].spec.volumes[0].configMap.name: Not found: "cfg"',
  });
  t.doesNotThrow(() => validateManifestSet(parseManifests(text('other'))), 'references are not required by default');
  t.doesNotThrow(() => validateManifestSet(parseManifests(text('other')), { requireRefs: false }));
  t.throws(() => validateManifestSet(parseManifests(`${text('cfg')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: a}]}\n`)), {
    message: '[2].spec.containers[0].image: Required value',
  });
  t.throws(() => validateManifestSet(parseManifests(`${text('cfg')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n`)), {
    message: '[2].metadata.name: Duplicate value: "cfg"',
  });
  t.doesNotThrow(() => validateManifestSet(parseManifests(`${text('cfg')}---\napiVersion: v1\nkind: Secret\nmetadata: {name: cfg}\n`)), 'same name, other kind');
  t.throws(() => validateManifestSet(parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n')), { message: 'spec.containers: Required value' }, 'a single object has no index');
  t.doesNotThrow(() => validateManifestSet([]));
});

t.test('errors are one line and carry the field', async (t) => {
  const err = t.throws(() => validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } })) as ValidationError;
  t.type(err, ValidationError);
  t.equal(err.code, 'Invalid');
  t.equal(err.field, 'spec.containers[0].image');
  t.equal(err.detail, 'Required value');
  t.notMatch(err.message, /\n/);
});
