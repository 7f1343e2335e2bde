// The pure parts of probes: ports, Go-style messages, HTTP request building, gRPC framing and
// the hand-written protobuf of grpc.health.v1.
import t from 'tap';
import { ValidationError } from '../../src/errors';
import {
  buildHTTPRequest,
  canonicalHeaderKey,
  decodeHealthCheckResponse,
  dialErrorMessage,
  encodeHealthCheckRequest,
  expandProbeCommand,
  goDuration,
  goQuote,
  grpcFrame,
  grpcUnframe,
  joinHostPort,
  podRef,
  probeEventMessage,
  probeURL,
  requestTarget,
  resolvePort,
} from '../../src/kubelet/probes';

t.test('resolvePort: numbers, names, the kubelet errors', async (t) => {
  const ports = [{ name: 'http', containerPort: 8080 }, { containerPort: 9000 }];
  t.equal(resolvePort(81, ports, 'f'), 81);
  t.equal(resolvePort('http', ports, 'f'), 8080);
  t.throws(() => resolvePort('grpc', ports, 'spec.containers[0].livenessProbe.httpGet.port'), new ValidationError('spec.containers[0].livenessProbe.httpGet.port', 'port "grpc" not found'));
  // A number written as a string is a name to the kubelet (ResolveContainerPort no longer falls back to Atoi).
  t.throws(() => resolvePort('8080', ports, 'f'), { detail: 'port "8080" not found' });
  t.throws(() => resolvePort(0, ports, 'f'), { detail: 'invalid port number: 0' });
  t.throws(() => resolvePort(65536, ports, 'f'), { detail: 'invalid port number: 65536' });
});

t.test('Go formatting', async (t) => {
  t.equal(goQuote('sleep 10'), '"sleep 10"');
  t.equal(goQuote('a "b" \\ c\n\t\x01'), '"a \\"b\\" \\\\ c\\n\\t\\x01"');
  t.equal(goQuote('héllo'), '"héllo"');
  t.same([0, 500, 1000, 1500, 60_000, 90_000, 3_600_000].map(goDuration), ['0s', '500ms', '1s', '1.5s', '1m0s', '1m30s', '1h0m0s']);
  t.equal(joinHostPort('10.0.0.1', 80), '10.0.0.1:80');
  t.equal(joinHostPort('::1', 80), '[::1]:80');
  t.equal(podRef('web', 'default', 'u-1'), 'web_default(u-1)');
});

t.test('URLs and request targets as the kubelet builds them', async (t) => {
  t.equal(probeURL('http', '127.0.0.1', 8080, '/healthz'), 'http://127.0.0.1:8080/healthz');
  t.equal(probeURL('http', '127.0.0.1', 8080, ''), 'http://127.0.0.1:8080');
  t.equal(probeURL('https', '::1', 443, 'ready?x=1'), 'https://[::1]:443/ready?x=1');
  t.equal(requestTarget(''), '/');
  t.equal(requestTarget('/a?b=c#frag'), '/a?b=c');
  t.equal(requestTarget('?q'), '/?q');
});

t.test('dial errors as Go prints them', async (t) => {
  t.equal(dialErrorMessage('127.0.0.1:81', { code: 'ECONNREFUSED', errno: 111, syscall: 'connect' }), 'dial tcp 127.0.0.1:81: connect: connection refused');
  t.equal(dialErrorMessage('10.0.0.1:80', { code: 'ETIMEDOUT', errno: 110, syscall: 'connect', timedOut: true }), 'dial tcp 10.0.0.1:80: i/o timeout');
  t.equal(dialErrorMessage('[::1]:80', { code: 'ENETUNREACH', errno: 101, syscall: 'connect' }), 'dial tcp [::1]:80: connect: network is unreachable');
  t.equal(dialErrorMessage('10.0.0.1:80', { code: 'EHOSTUNREACH', errno: 113, syscall: 'connect' }), 'dial tcp 10.0.0.1:80: connect: no route to host');
});

t.test('headers and the request of an httpGet action', async (t) => {
  t.equal(canonicalHeaderKey('x-custom-header'), 'X-Custom-Header');
  t.equal(canonicalHeaderKey('HOST'), 'Host');
  const r = buildHTTPRequest(
    { port: 'web', path: '/healthz', scheme: 'HTTPS', httpHeaders: [{ name: 'host', value: 'example.test' }, { name: 'x-a', value: '1' }, { name: 'X-A', value: '2' }] },
    { ports: [{ name: 'web', containerPort: 8443 }], podIP: '10.88.0.5' },
    'probe',
    'spec.containers[0].readinessProbe.httpGet',
  );
  t.same(
    { scheme: r.scheme, host: r.host, port: r.port, path: r.path, hostHeader: r.hostHeader, headers: [...r.headers] },
    {
      scheme: 'https',
      host: '10.88.0.5',
      port: 8443,
      path: '/healthz',
      hostHeader: 'example.test',
      headers: [['X-A', ['1', '2']], ['User-Agent', ['kube-probe/1.30']], ['Accept', ['*/*']]],
    },
  );
  const hook = buildHTTPRequest({ port: 80, host: '10.0.0.9', httpHeaders: [{ name: 'Accept', value: '' }, { name: 'User-Agent', value: 'mine' }] }, { ports: [] }, 'lifecycle', 'f');
  t.same([hook.scheme, hook.host, [...hook.headers]], ['http', '10.0.0.9', [['User-Agent', ['mine']]]], 'an empty Accept removes it; a given User-Agent stays');
  t.equal(buildHTTPRequest({ port: 80 }, { ports: [] }, 'lifecycle', 'f').headers.get('User-Agent')?.[0], 'kube-lifecycle/1.30');
  t.equal(buildHTTPRequest({ port: 80 }, { ports: [] }, 'probe', 'f').host, '127.0.0.1', 'no pod IP: the pod loopback');
});

t.test('grpc.health.v1 protobuf and gRPC framing', async (t) => {
  t.same([...encodeHealthCheckRequest('')], [], 'an empty service is an empty message (proto3)');
  t.same([...encodeHealthCheckRequest('svc')], [0x0a, 3, 0x73, 0x76, 0x63]);
  const long = encodeHealthCheckRequest('x'.repeat(200));
  t.same([...long.subarray(0, 3)], [0x0a, 0xc8, 0x01], 'lengths over 127 are varints');
  t.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), 1, 'SERVING');
  t.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x02])), 2, 'NOT_SERVING');
  t.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0, 'an absent status is UNKNOWN');
  t.equal(decodeHealthCheckResponse(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x08, 0x01, 0x1d, 1, 2, 3, 4])), 1, 'unknown fields are skipped');
  t.throws(() => decodeHealthCheckResponse(Buffer.from([0x08, 0x80])), /truncated/);
  const framed = grpcFrame(Buffer.from([0x08, 0x01]));
  t.same([...framed], [0, 0, 0, 0, 2, 0x08, 0x01]);
  t.same(grpcUnframe(Buffer.concat([framed, grpcFrame(Buffer.alloc(0))])).map((b) => [...b]), [[0x08, 0x01], []]);
  t.throws(() => grpcUnframe(Buffer.from([0, 0, 0, 0, 5, 1])), /truncated/);
  t.throws(() => grpcUnframe(Buffer.from([1, 0, 0, 0, 0])), /compressed/);
});

t.test('exec probe commands expand $(VAR) from static env only', async (t) => {
  t.same(
    expandProbeCommand(['sh', '-c', 'test $(A) = $(B)$(C) $$(A)'], [{ name: 'A', value: 'x' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    ['sh', '-c', 'test x = $(C) $(A)'],
  );
});

t.test('event messages of probe results', async (t) => {
  t.equal(probeEventMessage('Liveness', { result: 'success', output: 'ok' }), undefined);
  t.same(probeEventMessage('Readiness', { result: 'success', warning: true, output: 'Probe terminated redirects, Response body: x' }), {
    reason: 'ProbeWarning',
    message: 'Readiness probe warning: Probe terminated redirects, Response body: x',
  });
  t.same(probeEventMessage('Liveness', { result: 'failure', output: 'HTTP probe failed with statuscode: 500' }), { reason: 'Unhealthy', message: 'Liveness probe failed: HTTP probe failed with statuscode: 500' });
  t.same(probeEventMessage('Startup', { result: 'unknown', output: 'port "x" not found' }), { reason: 'Unhealthy', message: 'Startup probe errored and resulted in unknown state: port "x" not found' });
});
