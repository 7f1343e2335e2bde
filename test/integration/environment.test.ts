// What a container sees of its pod: env from values, field and resource references, ConfigMaps
// and Secrets (envFrom with prefix), $(VAR) expansion; the downwardAPI volume; subPathExpr.
import t from 'tap';
import { isDone, logs, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('env, downwardAPI volume and subPathExpr', async (t) => {
  const { podrun } = await setup(t);
  await podrun.apply([
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { MODE: 'fast', LEVEL: '3' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { TOKEN: Buffer.from('s3cret').toString('base64') } },
  ]);
  const created = await podrun.createPod(
    pod(
      'envpod',
      {
        restartPolicy: 'Never',
        containers: [
          {
            ...payload('c', 'env', 'POD', '--then', 'env', 'NS', '--then', 'env', 'UID', '--then', 'env', 'APP', '--then', 'env', 'GREETING', '--then', 'env', 'ESCAPED', '--then', 'env', 'CFG_MODE', '--then', 'env', 'TOKEN', '--then', 'env', 'MEM', '--then', 'cat', '/info/labels', '--then', 'echo', '--then', 'cat', '/info/cpu', '--then', 'echo', '--then', 'write', '/per-pod/x', 'ok', '--then', 'cat', '/all/envpod/x'),
            env: [
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'GREETING', value: 'hello $(POD)' },
              { name: 'ESCAPED', value: '$$(POD) $(NOPE)' },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'TOKEN' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            ],
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
            resources: { limits: { memory: '64Mi', cpu: '500m' } },
            volumeMounts: [
              { name: 'info', mountPath: '/info' },
              { name: 'scratch', mountPath: '/per-pod', subPathExpr: '$(POD)' },
              { name: 'scratch', mountPath: '/all' },
            ],
          },
        ],
        volumes: [
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
              ],
            },
          },
          { name: 'scratch', emptyDir: {} },
        ],
      },
      { metadata: { name: 'envpod', labels: { app: 'demo', tier: 'web' } } },
    ),
  );
  const p = await podrun.waitFor('envpod', isDone, { timeoutMs: 20_000 });
  t.equal(p.status?.phase, 'Succeeded', JSON.stringify(p.status?.containerStatuses?.[0]?.state));
  const lines = await logs(podrun, 'envpod');
  t.same(lines, [
    'envpod',
    'default',
    created.metadata!.uid!,
    'demo',
    'hello envpod',
    '$(POD) $(NOPE)',
    'fast',
    's3cret',
    '64',
    'app="demo"',
    'tier="web"',
    '500',
    'ok',
  ]);
});
