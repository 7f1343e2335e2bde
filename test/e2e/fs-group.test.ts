// fsGroup on volumes, as the kubelet's SetVolumeOwnership (bin/podrun, defaults only): emptyDir,
// configMap, secret and projected volumes carry the group, group access and, on folders, setgid,
// so that a file a container makes there belongs to the group; the group is among the process's
// own; hostPath volumes are left as they are. The documentation's security-context example.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, missingE2e } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('fsGroup: volumes owned by the group, setgid folders, new files in the group', async (t) => {
  const env = await e2e(t);
  const host = fs.mkdtempSync(path.join(env.dir, 'host-'));
  const hostGid = fs.statSync(host).gid;
  const yaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  a.txt: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  - name: cfg
    configMap:
      name: cfg
  - name: host
    hostPath:
      path: ${host}
  containers:
  - name: sec-ctx-demo
    image: busybox:e2e
    command: ["sh", "-c", "sleep 1h"]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    - name: cfg
      mountPath: /cfg
    - name: host
      mountPath: /host
`;
  env.ok(['apply', '-f', env.file('p.yaml', yaml)]);
  await env.until('security-context-demo', (p) => p.status?.phase === 'Running', 30_000);
  const sh = (cmd: string) => env.ok(['exec', 'security-context-demo', '--', 'sh', '-c', cmd]);
  t.equal(sh('id -u; id -g; id -G'), '1000\n3000\n3000 2000\n', 'fsGroup is one of the groups of the process');
  t.match(sh('stat -c "%a %g" /data/demo'), /^2777 2000\n$/, 'the emptyDir: setgid, group 2000');
  t.equal(sh('echo hello > /data/demo/testfile && stat -c "%g" /data/demo/testfile'), '2000\n', 'a new file inherits the group');
  t.match(sh('stat -L -c "%g %a" /cfg/a.txt'), /^2000 644\n$/, 'configMap files: group 2000, read for the group');
  // (Rootless, the container sees the host folder's group through the id mapping: compare outside.)
  t.equal(fs.statSync(host).gid, hostGid, 'hostPath is left alone');
  t.not(sh('stat -c "%g" /host'), '2000\n', 'and does not show the fsGroup inside');
});
