// `rollout status` in kubectl's words, for each kind it watches: the Deployment, DaemonSet and
// StatefulSet status viewers, from the objects' generation and status.
import t from 'tap';
import type { KubeObject } from '../../src/api/manifest';
import { rolloutState } from '../../src/rollout';

const obj = (kind: string, spec: object, status: object | undefined, generation = 2): KubeObject => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'x', namespace: 'default', generation }, spec, ...(status ? { status } : {}) }) as KubeObject;

t.test('Deployment', async (t) => {
  t.same(rolloutState(obj('Deployment', { replicas: 3 }, { observedGeneration: 1 })), { done: false, message: 'Waiting for deployment spec update to be observed...' });
  t.equal(rolloutState(obj('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 })).message, 'Waiting for deployment "x" rollout to finish: 1 out of 3 new replicas have been updated...');
  t.equal(rolloutState(obj('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).message, 'Waiting for deployment "x" rollout to finish: 1 old replicas are pending termination...');
  t.equal(rolloutState(obj('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message, 'Waiting for deployment "x" rollout to finish: 2 of 3 updated replicas are available...');
  t.same(rolloutState(obj('Deployment', { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })), { done: true, message: 'deployment "x" successfully rolled out' });
  t.throws(() => rolloutState(obj('Deployment', {}, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })), { message: 'deployment "x" exceeded its progress deadline' });
});

t.test('DaemonSet', async (t) => {
  const rolling = { updateStrategy: { type: 'RollingUpdate' } };
  t.equal(rolloutState(obj('DaemonSet', rolling, undefined)).message, 'Waiting for daemon set spec update to be observed...');
  t.equal(rolloutState(obj('DaemonSet', rolling, { observedGeneration: 2, desiredNumberScheduled: 1 })).message, 'Waiting for daemon set "x" rollout to finish: 0 out of 1 new pods have been updated...');
  t.equal(rolloutState(obj('DaemonSet', rolling, { observedGeneration: 2, desiredNumberScheduled: 1, updatedNumberScheduled: 1 })).message, 'Waiting for daemon set "x" rollout to finish: 0 of 1 updated pods are available...');
  t.same(rolloutState(obj('DaemonSet', rolling, { observedGeneration: 2, desiredNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1 })), { done: true, message: 'daemon set "x" successfully rolled out' });
  t.throws(() => rolloutState(obj('DaemonSet', { updateStrategy: { type: 'OnDelete' } }, {})), { message: 'rollout status is only available for RollingUpdate strategy type' });
});

t.test('StatefulSet', async (t) => {
  const partitioned = (partition: number) => ({ replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } });
  t.equal(rolloutState(obj('StatefulSet', partitioned(0), { observedGeneration: 0 })).message, 'Waiting for statefulset spec update to be observed...');
  t.equal(rolloutState(obj('StatefulSet', partitioned(0), { observedGeneration: 2, readyReplicas: 1 })).message, 'Waiting for 2 pods to be ready...');
  t.equal(rolloutState(obj('StatefulSet', partitioned(1), { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 })).message, 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...');
  t.same(rolloutState(obj('StatefulSet', partitioned(0), { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 })), { done: true, message: 'partitioned roll out complete: 3 new pods have been updated...' });
  const plain = { replicas: 3, updateStrategy: { type: 'RollingUpdate' } };
  t.equal(rolloutState(obj('StatefulSet', plain, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1, currentRevision: 'x-1', updateRevision: 'x-2' })).message, 'waiting for statefulset rolling update to complete 1 pods at revision x-2...');
  t.same(rolloutState(obj('StatefulSet', plain, { observedGeneration: 2, readyReplicas: 3, currentReplicas: 3, currentRevision: 'x-2', updateRevision: 'x-2' })), { done: true, message: 'statefulset rolling update complete 3 pods at revision x-2...' });
  t.throws(() => rolloutState(obj('StatefulSet', { updateStrategy: { type: 'OnDelete' } }, {})), { message: 'rollout status is only available for RollingUpdate strategy type' });
});
