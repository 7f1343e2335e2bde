import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { describePod, describeProbe, formatRFC1123Z, qosClass } from '../../src/cli/describe';

// describe prints local times; the expected text is in UTC.
process.env.TZ = 'UTC';
const NOW = Date.parse('2024-05-01T12:00:00Z');

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { tier: 'fe', app: 'web' }, creationTimestamp: '2024-05-01T11:50:00Z' },
  spec: {
    nodeName: 'host1',
    initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
    containers: [
      {
        name: 'app',
        image: 'busybox:1.36',
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: {
    phase: 'Running',
    hostIP: '192.168.1.2',
    podIP: '10.88.0.5',
    podIPs: [{ ip: '10.88.0.5' }],
    startTime: '2024-05-01T11:50:01Z',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    initContainerStatuses: [
      {
        name: 'init',
        image: 'busybox',
        imageID: 'sha256:aa',
        ready: true,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2024-05-01T11:50:01Z', finishedAt: '2024-05-01T11:50:02Z' } },
      },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'busybox:1.36',
        imageID: 'sha256:bb',
        containerID: 'podrun://2',
        ready: true,
        restartCount: 1,
        state: { running: { startedAt: '2024-05-01T11:51:00Z' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2024-05-01T11:50:03Z', finishedAt: '2024-05-01T11:50:59Z' } },
      },
    ],
  },
};

const EXPECTED = `Name:         web
Namespace:    default
Node:         host1/192.168.1.2
Start Time:   Wed, 01 May 2024 11:50:01 +0000
Labels:       app=web
              tier=fe
Annotations:  <none>
Status:       Running
IP:           10.88.0.5
IPs:
  IP:  10.88.0.5
Init Containers:
  init:
    Container ID:  
    Image:         busybox
    Image ID:      sha256:aa
    Port:          <none>
    Host Port:     <none>
    Command:
      sh
      -c
      true
    State:          Terminated
      Reason:       Completed
      Exit Code:    0
      Started:      Wed, 01 May 2024 11:50:01 +0000
      Finished:     Wed, 01 May 2024 11:50:02 +0000
    Ready:          True
    Restart Count:  0
    Seccomp:        RuntimeDefault
    Environment:    <none>
    Mounts:         <none>
Containers:
  app:
    Container ID:   podrun://2
    Image:          busybox:1.36
    Image ID:       sha256:bb
    Port:           <none>
    Host Port:      <none>
    State:          Running
      Started:      Wed, 01 May 2024 11:51:00 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Wed, 01 May 2024 11:50:03 +0000
      Finished:     Wed, 01 May 2024 11:50:59 +0000
    Ready:          True
    Restart Count:  1
    Seccomp:        RuntimeDefault
    Environment:
      MODE:  prod
      POD:   web (v1:metadata.name)
    Mounts:
      /data from data (rw)
Conditions:
  Type          Status
  Initialized   True 
  Ready         True 
Volumes:
  data:
    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:      
    SizeLimit:   <unset>
QoS Class:       BestEffort
Node-Selectors:  <none>
Tolerations:     <none>
Events:          <none>
`;

t.test("the whole text, in kubectl's layout", async (t) => {
  t.equal(describePod(pod, undefined, NOW), EXPECTED);
});

t.test('events: their own table, repeated ones with their count', async (t) => {
  const text = describePod(
    pod,
    [
      { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container ', source: 'kubelet', firstTimestamp: '2024-05-01T11:50:30Z', lastTimestamp: '2024-05-01T11:59:00Z', count: 4 },
      { type: 'Normal', reason: 'Started', message: 'Started container app', source: 'kubelet', firstTimestamp: '2024-05-01T11:50:01Z' },
    ],
    NOW,
  );
  t.match(
    text,
    [
      'Events:',
      '  Type     Reason   Age                  From     Message',
      '  ----     ------   ----                 ----     -------',
      '  Normal   Started  9m59s                kubelet  Started container app',
      '  Warning  BackOff  60s (x4 over 9m30s)  kubelet  Back-off restarting failed container',
      '',
    ].join('\n'),
  );
  t.match(text, /Tolerations:     <none>\nEvents:\n/, 'the fields above keep their own alignment');
});

t.test('terminating pods, annotations, a pod without status', async (t) => {
  const p: Pod = {
    metadata: { name: 'x', deletionTimestamp: '2024-05-01T12:00:30Z', deletionGracePeriodSeconds: 30, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', b: 'two', a: 'one' } },
    spec: { containers: [{ name: 'c', image: 'i' }] },
  };
  const text = describePod(p, undefined, NOW);
  t.match(text, 'Status:                    Terminating (lasts 30s)\nTermination Grace Period:  30s\n');
  t.match(text, 'Annotations:               a: one\n                           b: two\n');
  t.notMatch(text, 'last-applied');
  t.match(
    text,
    '  c:\n    Image:        i\n    Port:         <none>\n    Host Port:    <none>\n    Seccomp:      RuntimeDefault\n    Environment:  <none>\n    Mounts:       <none>\nVolumes:          <none>\n',
    'no status: no state lines',
  );
});

t.test('pieces', async (t) => {
  t.equal(formatRFC1123Z('2006-01-02T15:04:05Z'), 'Mon, 02 Jan 2006 15:04:05 +0000');
  t.equal(formatRFC1123Z(undefined), '<unknown>');
  t.equal(describeProbe({ exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 5 }), 'exec [cat /tmp/ok] delay=0s timeout=1s period=5s #success=1 #failure=3');
  t.equal(describeProbe({ tcpSocket: { port: 80 } }), 'tcp-socket :80 delay=0s timeout=1s period=10s #success=1 #failure=3');
  const withRes = (limits?: Record<string, string>, requests?: Record<string, string>): Pod => ({
    spec: { containers: [{ name: 'a', resources: { limits, requests } }] },
  });
  t.equal(qosClass(withRes()), 'BestEffort');
  t.equal(qosClass(withRes({ cpu: '1', memory: '1Gi' })), 'Guaranteed');
  t.equal(qosClass(withRes({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })), 'Guaranteed');
  t.equal(qosClass(withRes({ cpu: '1', memory: '1Gi' }, { cpu: '500m' })), 'Burstable');
  t.equal(qosClass(withRes(undefined, { memory: '64Mi' })), 'Burstable');
});

t.test('seccomp: the pod-level profile as kubectl shows it, and each container profile after defaults', async (t) => {
  const p: Pod = {
    metadata: { name: 's' },
    spec: {
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } },
      containers: [
        { name: 'a', image: 'i' },
        { name: 'b', image: 'i', securityContext: { seccompProfile: { type: 'Unconfined' } } },
        { name: 'c', image: 'i', securityContext: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } } },
      ],
    },
    status: { phase: 'Pending' },
  };
  const text = describePod(p, undefined, NOW);
  t.match(text, /\nSeccompProfile:\s+Localhost\nLocalhostProfile:\s+profiles\/audit\.json\nIP:/);
  t.same([...text.matchAll(/^ {4}Seccomp:\s+(.*)$/gm)].map((m) => m[1]), ['Localhost (profiles/audit.json)', 'Unconfined', 'RuntimeDefault']);
  const privileged = describePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'i', securityContext: { privileged: true } }] } }, undefined, NOW);
  t.match(privileged, /^ {4}Seccomp:\s+Unconfined$/m, 'privileged without a profile runs unconfined');
  t.notMatch(privileged, /SeccompProfile:/, 'no pod-level line when the pod names none');
});
