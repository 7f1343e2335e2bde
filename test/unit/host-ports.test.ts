import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { hostPortsOf } from '../../src/network/host-ports';
import { parsePortSpec } from '../../src/runtime/port-forward';

const pod = (spec: Pod['spec']): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });

t.test('hostPortsOf: app containers and sidecars, with the field of each', async (t) => {
  const ports = hostPortsOf(
    pod({
      initContainers: [
        { name: 'init', image: 'i', ports: [{ containerPort: 1, hostPort: 10001 }] },
        { name: 'side', image: 'i', restartPolicy: 'Always', ports: [{ containerPort: 2, hostPort: 10002, protocol: 'UDP' }] },
      ],
      containers: [{ name: 'web', image: 'i', ports: [{ containerPort: 80 }, { containerPort: 8080, hostPort: 18080, hostIP: '127.0.0.1' }] }],
    }),
  );
  t.same(ports, [
    { protocol: 'TCP', hostIP: '127.0.0.1', hostPort: 18080, containerPort: 8080, field: 'spec.containers[0].ports[1].hostPort' },
    { protocol: 'UDP', hostIP: '', hostPort: 10002, containerPort: 2, field: 'spec.initContainers[1].ports[0].hostPort' },
  ], 'ports without hostPort and ports of run-once init containers publish nothing');
  t.same(hostPortsOf(pod({ hostNetwork: true, containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 80 }] }] })), [], 'hostNetwork: the ports are the host\'s already');
  t.throws(() => hostPortsOf(pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 9, hostPort: 9, protocol: 'SCTP' }] }] })), /^spec\.containers\[0\]\.ports\[0\]\.protocol: Unsupported value: "SCTP"/);
});

t.test("port-forward's port syntax is kubectl's", async (t) => {
  t.same(parsePortSpec('8080'), { local: 8080, remote: 8080 });
  t.same(parsePortSpec('18080:80'), { local: 18080, remote: 80 });
  t.same(parsePortSpec(':80'), { local: 0, remote: 80 }, 'any free local port');
  t.throws(() => parsePortSpec('http'), /invalid port syntax: http/);
  t.throws(() => parsePortSpec('70000:80'), /invalid port: 70000:80/);
  t.throws(() => parsePortSpec('80:0'), /the remote port must be 1-65535/);
});
