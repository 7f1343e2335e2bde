// Projected volumes through bin/podrun with defaults only: a configMap, a secret, the downward
// API and a serviceAccountToken merged into one read-only directory, with defaultMode and an
// item's own mode; the token is an unsigned placeholder, and the pod's events say so.
import t from 'tap';
import { e2e, IMAGE, missingE2e, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {color: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {user: admin}
---
apiVersion: v1
kind: Pod
metadata:
  name: proj
  labels: {app: proj}
spec:
  containers:
  - name: c
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
    volumeMounts: [{name: all, mountPath: /projected}]
  volumes:
  - name: all
    projected:
      defaultMode: 0440
      sources:
      - configMap:
          name: cfg
          items: [{key: color, path: config/color, mode: 0400}]
      - secret: {name: creds}
      - downwardAPI:
          items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
      - serviceAccountToken: {path: token, audience: api, expirationSeconds: 600}
`;

t.test('a projected volume of four sources', async (t) => {
  const env = await e2e(t);
  t.equal(env.ok(['apply', '-f', env.file('p.yaml', MANIFEST)]), 'configmap/cfg created\nsecret/creds created\npod/proj created\n');
  t.ok(await env.until('proj', (p) => p.status?.phase === 'Running', 30_000), 'Running');
  const read = (f: string) => env.ok(['exec', 'proj', '--', 'cat', `/projected/${f}`]);
  t.equal(read('config/color'), 'blue', 'a configMap item at its path');
  t.equal(read('user'), 'admin', 'every key of the secret');
  t.equal(read('labels'), 'app="proj"', 'the downward API');
  const token = read('token');
  const [head, body, sig] = token.split('.');
  t.same(JSON.parse(Buffer.from(head!, 'base64url').toString()), { alg: 'none', typ: 'JWT' }, 'an unsigned JWT');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { aud: string[]; sub: string; exp: number; iat: number };
  t.same(claims.aud, ['api']);
  t.equal(claims.sub, 'system:serviceaccount:default:default');
  t.equal(claims.exp - claims.iat, 600);
  t.equal(sig, '', 'with no signature');
  t.equal(env.ok(['exec', 'proj', '--', 'stat', '-c', '%a', '/projected/config/color', '/projected/user']), '400\n440\n', "an item's mode, else defaultMode");
  t.not(env.run(['exec', 'proj', '--', 'touch', '/projected/x']).status, 0, 'read-only');
  t.match(env.ok(['get', 'events', '--field-selector', 'involvedObject.name=proj']), /Warning\s+UnsignedServiceAccountToken\s+pod\/proj\s+spec\.volumes\[0\]\.projected\.sources\[3\]\.serviceAccountToken: token holds an unsigned placeholder token/);
});
