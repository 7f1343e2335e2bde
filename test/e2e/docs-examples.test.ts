// Pod examples of the Kubernetes documentation (kubernetes/website content/en/examples/pods/),
// as a user brings them: only the image is changed to the test's busybox. bin/podrun, defaults.
import t from 'tap';
import { e2e, IMAGE, missingE2e } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

// pods/inject/envars-file-container.yaml: `\'` in a double-quoted string (kubectl's YAML reads
// it as '), and env from a file an init container wrote (fileKeyRef, EnvFiles).
const ENVFILE = `apiVersion: v1
kind: Pod
metadata:
  name: envfile-test-pod
spec:
  initContainers:
    - name: setup-envfile
      image:  ${IMAGE}
      command: ['sh', '-c', "echo \\"DB_ADDRESS=\\'address\\'\\nREST_ENDPOINT=\\'endpoint\\'\\" > /data/config.env"]
      volumeMounts:
        - name: config
          mountPath: /data
  containers:
    - name: use-envfile
      image: ${IMAGE}
      command: [ "/bin/sh", "-c", "env" ]
      env:
        - name: DB_ADDRESS
          valueFrom:
            fileKeyRef:
              path: config.env
              volumeName: config
              key: DB_ADDRESS
              optional: false
  restartPolicy: Never
  volumes:
    - name: config
      emptyDir: {}`;

t.test('envars-file-container.yaml', async (t) => {
  const env = await e2e(t);
  t.equal(env.ok(['apply', '-f', env.file('envfile.yaml', ENVFILE)]), 'pod/envfile-test-pod created\n');
  const p = await env.until('envfile-test-pod', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', 30_000);
  t.equal(p?.status?.phase, 'Succeeded');
  t.match(env.ok(['logs', 'envfile-test-pod']), /^DB_ADDRESS=address$/m, 'the value from the env file, unquoted');

  const missingKey = ENVFILE.replace('name: envfile-test-pod', 'name: nokey').replace('key: DB_ADDRESS', 'key: NOPE');
  env.ok(['apply', '-f', env.file('nokey.yaml', missingKey)]);
  const w = await env.until('nokey', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 30_000);
  t.match(w?.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /couldn't find key NOPE in env file config\.env of volume config/, 'a missing key: CreateContainerConfigError');
});
