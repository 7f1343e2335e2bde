// Probes and hooks run inside the pod: exec in the container, TCP/HTTP/gRPC from the pod's own
// network namespace (127.0.0.1 is the pod's loopback), with the kubelet's results and messages.
import t from 'tap';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import type { Pod } from 'kubernetes-types/core/v1';
import { runProbe, type ProbeTarget } from '../../src/kubelet/probes';
import { runHook } from '../../src/kubelet/hooks';
import { readAttempts } from '../../src/runtime/records';
import type { ExecIdentity } from '../../src/runtime/container-plan';
import { coveredBySubidRun, type Env, IMAGE, isRunning, missingBusybox, missingFeature, pod, podPaths, setup, sleep } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** What the kubelet would hand the prober for this container of a running pod. */
function targetOf(env: Env, p: Pod, container: string): ProbeTarget {
  const paths = podPaths(env, p);
  const attempts = readAttempts(paths, container);
  const a = attempts[attempts.length - 1];
  const identity = JSON.parse(fs.readFileSync(`${paths.containerDir(container)}/exec.json`, 'utf8')) as ExecIdentity;
  const { rootless, pid, startTime } = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as { rootless: boolean; pid: number; startTime: string };
  const spec = p.spec!.containers.find((c) => c.name === container)!;
  return {
    container: { process: { pid: a.start!.pid, startTime: String(a.start!.startTime) }, sandbox: { pid, startTime }, identity, rootless },
    ports: spec.ports ?? [],
    rootless,
    env: spec.env,
    names: { container, pod: `${p.metadata!.name}_${p.metadata!.namespace ?? 'default'}(${p.metadata!.uid})` },
  };
}

/** Waits until a TCP probe to the port succeeds (the server in the pod is listening). */
async function listening(target: ProbeTarget, port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await runProbe({ tcpSocket: { port } }, target, 1000)).result === 'success') return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port} in the pod`);
}

const servers = [
  '/payload serve-http 8080 hello &',
  '/payload serve-http-status 8081 500 &',
  '/payload serve-http-echo 8082 &',
  '/payload serve-http-redirect 8083 http://10.255.255.1:8080/elsewhere &',
  '/payload serve-http-redirect 8084 http://127.0.0.1:8080/ &',
  '/payload serve-tcp 8085 &',
  '/payload serve-http-redirect 8086 /again &',
  'exec sleep 3600',
].join(' ');

t.test('probes and hooks in the pod', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(
    pod('probed', {
      containers: [
        {
          name: 'srv',
          image: IMAGE,
          command: ['/bin/sh', '-c', servers],
          ports: [{ name: 'web', containerPort: 8080 }],
          env: [{ name: 'GREETING', value: 'hi there' }],
        },
      ],
    }),
  );
  const p = await env.podrun.waitFor('probed', isRunning, { timeoutMs: 20_000 });
  const target = targetOf(env, p, 'srv');
  for (const port of [8080, 8081, 8082, 8083, 8084, 8085, 8086]) await listening(target, port);

  await t.test('exec', async (t) => {
    t.same(await runProbe({ exec: { command: ['/bin/sh', '-c', 'echo ok; echo warn >&2'] } }, target, 5000), { result: 'success', output: 'ok\nwarn\n' }, 'exit 0 is success; stdout and stderr are the output');
    t.same(await runProbe({ exec: { command: ['/bin/sh', '-c', 'echo broken; exit 3'] } }, target, 5000), { result: 'failure', output: 'broken\n' }, 'a non-zero exit fails with the output');
    t.same(await runProbe({ exec: { command: ['/payload', 'echo', '$(GREETING)', '$(UNSET)'] } }, target, 5000), { result: 'success', output: 'hi there $(UNSET)\n' }, '$(VAR) expands from the container env');
    const start = Date.now();
    t.same(await runProbe({ exec: { command: ['/bin/sleep', '30'] } }, target, 500), { result: 'failure', output: 'command "/bin/sleep 30" timed out' }, 'a timeout fails with the kubelet message');
    t.ok(Date.now() - start < 5000, 'and does not wait for the command');
    const big = await runProbe({ exec: { command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo 0123456789; i=$((i+1)); done'] } }, target, 10_000);
    t.equal(big.output.length, 10 * 1024, 'output is capped at 10 KiB');
    t.equal(big.result, 'success', 'and the command still ran to its end');
    const nope = await runProbe({ exec: { command: ['/no/such/program'] } }, target, 5000);
    t.equal(nope.result, 'unknown', 'a program that cannot start is an error (unknown)');
  });

  await t.test('tcpSocket', async (t) => {
    t.same(await runProbe({ tcpSocket: { port: 8080 } }, target, 1000), { result: 'success', output: '' }, 'an open port');
    t.same(await runProbe({ tcpSocket: { port: 'web' } }, target, 1000), { result: 'success', output: '' }, 'a named port');
    t.same(await runProbe({ tcpSocket: { port: 81 } }, target, 1000), { result: 'failure', output: 'dial tcp 127.0.0.1:81: connect: connection refused' }, 'a closed port');
    t.same(await runProbe({ tcpSocket: { port: 'nope' } }, target, 1000), { result: 'unknown', output: 'port "nope" not found' }, 'an unknown port name');
    // A port open on the host's loopback is not open in the pod's.
    const host = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => host.once('listening', r));
    const hostPort = (host.address() as net.AddressInfo).port;
    t.teardown(() => host.close());
    t.same(await runProbe({ tcpSocket: { port: hostPort } }, target, 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${hostPort}: connect: connection refused` }, "the host's loopback is not the pod's");
    // Each dial clones a helper and passes a socket back: none of either may be left over.
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 20; i++) {
      await runProbe({ tcpSocket: { port: 8080 } }, target, 1000);
      await runProbe({ tcpSocket: { port: 81 } }, target, 1000);
      await runProbe({ httpGet: { port: 8080, path: '/' } }, target, 1000);
    }
    await sleep(100);
    t.ok(fds() <= before + 1, `no descriptors leak (${before} before, ${fds()} after 60 dials)`);
    const children = fs.readdirSync('/proc/self/task').flatMap((tid) => fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    const zombies = children.filter((pid) => / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ')')));
    t.same(zombies, [], 'no helper is left a zombie');
  });

  await t.test('httpGet', async (t) => {
    t.same(await runProbe({ httpGet: { port: 8080, path: '/healthz' } }, target, 2000), { result: 'success', output: 'hello' }, '200: success with the body');
    t.same(await runProbe({ httpGet: { port: 'web', path: '/' } }, target, 2000), { result: 'success', output: 'hello' }, 'a named port');
    t.same(await runProbe({ httpGet: { port: 8081, path: '/healthz' } }, target, 2000), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' }, '500: failure');
    t.same(
      await runProbe({ httpGet: { port: 8090, path: '/healthz' } }, target, 2000),
      { result: 'failure', output: 'Get "http://127.0.0.1:8090/healthz": dial tcp 127.0.0.1:8090: connect: connection refused' },
      'refused: the Go client error',
    );
    t.same(await runProbe({ httpGet: { port: 'nope', path: '/' } }, target, 2000), { result: 'unknown', output: 'port "nope" not found' }, 'an unknown port name');
    const echo = await runProbe({ httpGet: { port: 8082, path: '/x?y=1', httpHeaders: [{ name: 'host', value: 'example.test' }, { name: 'x-custom', value: 'v1' }] } }, target, 2000);
    t.equal(echo.result, 'success');
    t.match(echo.output, /^GET \/x\?y=1 HTTP\/1\.1\r\n/, 'path and query');
    t.match(echo.output, /\r\nHost: example\.test\r\n/, 'the Host header override');
    t.match(echo.output, /\r\nX-Custom: v1\r\n/, 'a custom header, canonicalised');
    t.match(echo.output, /\r\nUser-Agent: kube-probe\/1\.30\r\n/, 'the kubelet User-Agent');
    t.match(echo.output, /\r\nAccept: \*\/\*\r\n/, 'Accept */*');
    const plain = await runProbe({ httpGet: { port: 8082, path: '/' } }, target, 2000);
    t.match(plain.output, /\r\nHost: 127\.0\.0\.1:8082\r\n/, 'the default Host is host:port');
    t.same(
      await runProbe({ httpGet: { port: 8083, path: '/' } }, target, 2000),
      { result: 'success', warning: true, output: 'Probe terminated redirects, Response body: moved\n' },
      'a redirect to another host: success with a warning',
    );
    t.same(await runProbe({ httpGet: { port: 8084, path: '/' } }, target, 2000), { result: 'success', output: 'hello' }, 'a redirect to the same host is followed');
    t.same(
      await runProbe({ httpGet: { port: 8086, path: '/' } }, target, 5000),
      { result: 'failure', output: 'Get "http://127.0.0.1:8086/again": stopped after 10 redirects' },
      'ten redirects are the limit',
    );
    t.same(
      await runProbe({ httpGet: { port: 8080, path: '/', scheme: 'HTTPS' } }, target, 2000),
      { result: 'failure', output: 'Get "https://127.0.0.1:8080/": http: server gave HTTP response to HTTPS client' },
      'HTTPS to a plain HTTP server',
    );
    t.same(
      await runProbe({ httpGet: { port: 8085, path: '/' } }, target, 500),
      { result: 'failure', output: 'Get "http://127.0.0.1:8085/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)' },
      'no answer within the timeout',
    );
  });

  await t.test('hooks', async (t) => {
    t.same(await runHook({ exec: { command: ['/bin/sh', '-c', 'true'] } }, target, 5000), { ok: true, message: '' }, 'exec hook success');
    const ref = target.names!.pod;
    t.same(
      await runHook({ exec: { command: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 2'] } }, target, 5000),
      { ok: false, message: `Exec lifecycle hook ([/bin/sh -c echo out; echo err >&2; exit 2]) for Container "srv" in Pod "${ref}" failed - error: command '/bin/sh -c echo out; echo err >&2; exit 2' exited with 2: err\n, message: "out\\nerr\\n"` },
      'exec hook failure: the FailedPostStartHook message',
    );
    t.same(await runHook({ httpGet: { port: 8081, path: '/hook' } }, target, 2000), { ok: true, message: '' }, 'an HTTP hook succeeds on any response, even 500');
    t.same(await runHook({ httpGet: { port: 8081, path: '/hook', scheme: 'HTTPS' } }, target, 2000), { ok: true, message: '' }, 'an HTTPS hook answered in plain HTTP is retried over HTTP');
    t.same(
      await runHook({ httpGet: { port: 8090, path: '/hook' } }, target, 2000),
      { ok: false, message: `HTTP lifecycle hook (/hook) for Container "srv" in Pod "${ref}" failed - error: Get "http://127.0.0.1:8090/hook": dial tcp 127.0.0.1:8090: connect: connection refused` },
      'an HTTP hook fails when nothing answers',
    );
    const start = Date.now();
    t.same(await runHook({ sleep: { seconds: 1 } }, target, 5000), { ok: true, message: '' }, 'sleep');
    t.ok(Date.now() - start >= 990, 'sleeps the seconds');
    t.same(
      await runHook({ sleep: { seconds: 5 } }, target, 200),
      { ok: false, message: `Sleep lifecycle hook (5) for Container "srv" in Pod "${ref}" failed - error: container terminated before sleep hook finished` },
      'a sleep cut short by the deadline',
    );
  });
});

// A gRPC health server inside the pod: the `host` image shares the host's /usr, so its node runs there.
const GRPC_SERVER = `
const http2 = require('node:http2');
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const chunks = [];
  stream.on('data', (d) => chunks.push(d));
  stream.on('end', () => {
    const body = Buffer.concat(chunks);
    if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true });
      return;
    }
    const msg = body.subarray(5);
    const service = msg.length ? msg.subarray(2).toString() : '';
    const status = { '': 1, down: 2 }[service];
    if (status === undefined) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown service' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
  });
});
server.listen(9090, '127.0.0.1', () => console.log('listening'));
`;

/** A throw-away self-signed certificate and key (PEM), or undefined without openssl. */
function selfSigned(dir: string): { key: string; cert: string } | undefined {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-subj', '/CN=pod', '-days', '1'], { stdio: 'ignore' });
  if (r.status !== 0) return undefined;
  return { key: fs.readFileSync(`${dir}/key.pem`, 'utf8'), cert: fs.readFileSync(`${dir}/cert.pem`, 'utf8') };
}

t.test('grpc health checking in the pod', { skip: fs.existsSync('/usr/bin/node') ? false : 'the host has no /usr/bin/node for the host image' }, async (t) => {
  const env = await setup(t, { image: false });
  await env.podrun.createPod(pod('grpc', { containers: [{ name: 'g', image: 'host', command: ['/usr/bin/node', '-e', GRPC_SERVER] }] }));
  const p = await env.podrun.waitFor('grpc', isRunning, { timeoutMs: 20_000 });
  const target = targetOf(env, p, 'g');
  await listening(target, 9090);
  t.same(await runProbe({ grpc: { port: 9090 } }, target, 2000), { result: 'success', output: 'service healthy' }, 'SERVING');
  t.same(await runProbe({ grpc: { port: 9090, service: 'down' } }, target, 2000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' }, 'NOT_SERVING');
  t.same(
    await runProbe({ grpc: { port: 9090, service: 'other' } }, target, 2000),
    { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' },
    'an unknown service',
  );
  t.same(
    await runProbe({ grpc: { port: 9091 } }, target, 1000),
    { result: 'failure', output: 'timeout: failed to connect service "127.0.0.1:9091" within 1s: context deadline exceeded' },
    'nothing listening: the dial times out, as grpc.DialContext with WithBlock does',
  );
});

t.test('httpGet with scheme HTTPS: TLS without verification', async (t) => {
  const env = await setup(t, { image: false });
  const pem = fs.existsSync('/usr/bin/node') ? selfSigned(env.scratch) : undefined;
  if (!pem) return t.skip('needs openssl and /usr/bin/node for the host image');
  const server = `require('node:https').createServer(${JSON.stringify(pem)}, (q, s) => s.end('secure ' + q.url)).listen(8443, '127.0.0.1')`;
  await env.podrun.createPod(pod('tls', { containers: [{ name: 's', image: 'host', command: ['/usr/bin/node', '-e', server] }] }));
  const p = await env.podrun.waitFor('tls', isRunning, { timeoutMs: 20_000 });
  const target = targetOf(env, p, 's');
  await listening(target, 8443);
  t.same(await runProbe({ httpGet: { port: 8443, path: '/ready', scheme: 'HTTPS' } }, target, 3000), { result: 'success', output: 'secure /ready' }, 'a self-signed certificate is accepted');
});
