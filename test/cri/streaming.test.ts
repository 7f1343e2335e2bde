// CRI's Exec, Attach and PortForward on `podrun cri` (bin/podrun), through the URLs they answer
// and a SPDY client of the test's own (spdy-harness.ts), as crictl and the kubelet use them:
// remotecommand v4 (stdout and stderr apart, stdin, the exit code in the status), attach to the
// container's own output, portforward to a port in the sandbox; one-time URLs; bad requests.
// The same over WebSockets (the `ws` package's client), binary and base64 channels, as the
// kubelet's streaming library serves them to API servers and browsers. crictl.test.ts drives the
// same server with a real crictl where one is installed.
import t from 'tap';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Podrun } from '../../src/podrun';
import { missingCli } from '../integration/cli-harness';
import { buildBusyboxRootfs, IMAGE, tempDir, until } from '../integration/harness';
import { call, failure, startCri, type Cri } from './cri-harness';
import { SpdyClient } from './spdy-harness';
import { WsClient } from './ws-harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const V4 = 'v4.channel.k8s.io';

async function sandboxWithServer(t: Parameters<Parameters<typeof t.test>[1]>[0]): Promise<{ cri: Cri; sid: string; cid: string }> {
  const dir = tempDir(t, 'podrun-cri-stream-');
  await new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') }).images.importImage(buildBusyboxRootfs(dir), IMAGE);
  const cri = await startCri(t, {}, dir);
  const { pod_sandbox_id: sid } = (await call(cri.runtime, 'RunPodSandbox', { config: { metadata: { name: 'streams', uid: 'uid-streams', namespace: 'default', attempt: 0 } } })) as { pod_sandbox_id: string };
  const script = 'mkdir -p /www; echo hello over spdy > /www/index.html; (i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done) & exec httpd -f -p 8080 -h /www';
  const { container_id: cid } = (await call(cri.runtime, 'CreateContainer', { pod_sandbox_id: sid, config: { metadata: { name: 'web', attempt: 0 }, image: { image: IMAGE }, command: ['sh', '-c', script] } })) as { container_id: string };
  await call(cri.runtime, 'StartContainer', { container_id: cid });
  t.teardown(() => call(cri.runtime, 'RemovePodSandbox', { pod_sandbox_id: sid }).catch(() => undefined));
  return { cri, sid, cid };
}

t.test('exec, attach and port-forward over SPDY', async (t) => {
  const { cri, sid, cid } = await sandboxWithServer(t);

  // Exec: stdout and stderr apart, stdin in, the exit code in v4's status.
  const { url } = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['sh', '-c', 'read x; echo "out $x"; echo err >&2; exit 3'], stdin: true, stdout: true, stderr: true })) as { url: string };
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/, 'Exec: a URL on the loopback');
  const c = await SpdyClient.connect(url, [V4, 'v3.channel.k8s.io']);
  t.equal(c.protocol, V4, 'v4 chosen');
  const error = await c.open({ streamtype: 'error' });
  const stdin = await c.open({ streamtype: 'stdin' });
  const stdout = await c.open({ streamtype: 'stdout' });
  const stderr = await c.open({ streamtype: 'stderr' });
  stdin.write('from stdin\n');
  stdin.end();
  await Promise.all([error.ended, stdout.ended, stderr.ended]);
  t.equal(stdout.received(), 'out from stdin\n', 'stdout');
  t.equal(stderr.received(), 'err\n', 'stderr apart');
  t.match(JSON.parse(error.received()), { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }, 'the exit code, as v4 reports it');
  c.close();
  await t.rejects(SpdyClient.connect(url, [V4]), /404 Not Found/, 'the URL is good once');

  // A command that succeeds: v4's Success.
  const ok = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['echo', 'fine'], stdout: true })) as { url: string };
  const c2 = await SpdyClient.connect(ok.url, [V4]);
  const e2 = await c2.open({ streamtype: 'error' });
  const o2 = await c2.open({ streamtype: 'stdout' });
  await Promise.all([e2.ended, o2.ended]);
  t.same([o2.received(), JSON.parse(e2.received())], ['fine\n', { metadata: {}, status: 'Success' }], 'exit 0: Success');
  c2.close();

  // Attach: the container's own output from now on.
  const at = (await call(cri.runtime, 'Attach', { container_id: cid, stdout: true, stderr: true })) as { url: string };
  const c3 = await SpdyClient.connect(at.url, [V4]);
  await c3.open({ streamtype: 'error' });
  const o3 = await c3.open({ streamtype: 'stdout' });
  await c3.open({ streamtype: 'stderr' });
  t.ok(await until(() => /tick \d+/.test(o3.received()), 10_000), 'Attach: the running output');
  c3.close();

  // PortForward: one connection per request id, to a port on the sandbox's loopback.
  const pf = (await call(cri.runtime, 'PortForward', { pod_sandbox_id: sid, port: [8080] })) as { url: string };
  const c4 = await SpdyClient.connect(pf.url, ['portforward.k8s.io']);
  t.equal(c4.protocol, 'portforward.k8s.io');
  for (const rid of ['0', '1']) {
    const err = await c4.open({ streamtype: 'error', port: '8080', requestid: rid });
    const data = await c4.open({ streamtype: 'data', port: '8080', requestid: rid });
    data.write('GET /index.html HTTP/1.0\r\n\r\n');
    await data.ended;
    t.match(data.received(), /^HTTP\/1\.[01] 200[\s\S]*hello over spdy\n$/, `request ${rid} reaches the server in the sandbox`);
    t.equal(err.received(), '', 'no error');
  }
  const errBad = await c4.open({ streamtype: 'error', port: '9999', requestid: '2' });
  await c4.open({ streamtype: 'data', port: '9999', requestid: '2' });
  await errBad.ended;
  t.match(errBad.received(), /port 9999 was not asked for/, 'a port the request did not name is refused on its error stream');
  c4.close();
});

t.test('exec, attach and port-forward over WebSockets', async (t) => {
  const { cri, sid, cid } = await sandboxWithServer(t);

  // Exec, binary v4: the ready message first, stdout and stderr apart, the status on channel 3.
  const ex = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['sh', '-c', 'read x; echo "out $x"; echo err >&2; exit 3'], stdin: true, stdout: true, stderr: true })) as { url: string };
  const c = await WsClient.connect(ex.url, ['v4.channel.k8s.io']);
  t.equal(c.protocol, 'v4.channel.k8s.io', 'v4 chosen');
  c.send(0, 'from stdin\n');
  await c.closed;
  t.same(c.messages[0], { channel: 1, data: '' }, 'an empty message on stdout first: the connection is up');
  t.equal(c.text(1), 'out from stdin\n', 'stdout');
  t.equal(c.text(2), 'err\n', 'stderr apart');
  t.match(JSON.parse(c.text(3)), { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }, 'the exit code, as v4 reports it');
  await t.rejects(WsClient.connect(ex.url, ['v4.channel.k8s.io']), /404/, 'the URL is good once');

  // base64 channels (a browser's text messages), and the oldest protocol's status: none on success.
  const ok = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['echo', 'fine'], stdout: true })) as { url: string };
  const c2 = await WsClient.connect(ok.url, ['base64.channel.k8s.io']);
  await c2.closed;
  t.ok(c2.base64, 'base64.channel.k8s.io: text messages');
  t.same([c2.text(1), c2.text(3)], ['fine\n', ''], 'exit 0: the output, no error');

  // Attach: the container's own output.
  const at = (await call(cri.runtime, 'Attach', { container_id: cid, stdout: true, stderr: true })) as { url: string };
  const c3 = await WsClient.connect(at.url, ['v4.channel.k8s.io']);
  t.ok(await until(() => /tick \d+/.test(c3.text(1)), 10_000), 'Attach: the running output');
  c3.close();

  // PortForward: the request's ports, each on a pair of channels that first carry the port.
  const pf = (await call(cri.runtime, 'PortForward', { pod_sandbox_id: sid, port: [8080] })) as { url: string };
  const c4 = await WsClient.connect(pf.url, ['v4.channel.k8s.io']);
  await until(() => c4.messages.length >= 2, 5_000);
  t.same(c4.messages.slice(0, 2).map((m) => [m.channel, Buffer.from(m.data, 'latin1').readUInt16LE()]), [[0, 8080], [1, 8080]], 'the port on its data and error channels');
  c4.send(0, 'GET /index.html HTTP/1.0\r\n\r\n');
  await c4.closed;
  t.match(c4.text(0).slice(2), /^HTTP\/1\.[01] 200[\s\S]*hello over spdy\n$/, 'reaches the server in the sandbox; closed once the server closes');
  t.equal(c4.text(1).slice(2), '', 'no error');

  // Without ports in the request, the URL's; without either, refused.
  const pf2 = (await call(cri.runtime, 'PortForward', { pod_sandbox_id: sid, port: [] })) as { url: string };
  await t.rejects(WsClient.connect(pf2.url, ['v4.channel.k8s.io']), /400 Bad Request: query parameter "port" is required/, 'no port anywhere');
  const pf3 = (await call(cri.runtime, 'PortForward', { pod_sandbox_id: sid, port: [] })) as { url: string };
  const c5 = await WsClient.connect(`${pf3.url}?port=8080`, ['v4.base64.channel.k8s.io']);
  c5.send(0, 'GET /index.html HTTP/1.0\r\n\r\n');
  await c5.closed;
  t.match(c5.text(0).slice(2), /hello over spdy/, 'the URL\'s port, over base64 channels');
  const ex2 = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['true'], stdout: true })) as { url: string };
  await t.rejects(WsClient.connect(ex2.url, ['v9.channel.k8s.io']), /403 Forbidden: no common WebSocket subprotocol/, 'no subprotocol in common');
});

t.test('bad streaming requests', async (t) => {
  const { cri, sid, cid } = await sandboxWithServer(t);
  t.match(await failure(cri.runtime, 'Exec', { container_id: cid, cmd: [], stdout: true }), { code: grpc.status.INVALID_ARGUMENT, details: /^cmd: Required value/ });
  t.match(await failure(cri.runtime, 'Exec', { container_id: cid, cmd: ['true'] }), { code: grpc.status.INVALID_ARGUMENT, details: /one of stdin, stdout, or stderr must be set/ });
  t.match(await failure(cri.runtime, 'Exec', { container_id: cid, cmd: ['true'], tty: true, stdout: true, stderr: true }), { code: grpc.status.INVALID_ARGUMENT, details: /^stderr: tty and stderr/ });
  t.match(await failure(cri.runtime, 'Exec', { container_id: 'f'.repeat(64), cmd: ['true'], stdout: true }), { code: grpc.status.NOT_FOUND });
  t.match(await failure(cri.runtime, 'PortForward', { pod_sandbox_id: sid, port: [70000] }), { code: grpc.status.INVALID_ARGUMENT, details: /^port\[0\]/ });
  const { url } = (await call(cri.runtime, 'Exec', { container_id: cid, cmd: ['true'], stdout: true })) as { url: string };
  await t.rejects(SpdyClient.connect(url.replace(/\/[^/]+$/, '/not-a-token'), [V4]), /404/, 'an unknown token');
  await t.rejects(SpdyClient.connect(url, ['v9.channel.k8s.io']), /403 Forbidden: no common stream protocol/, 'no protocol in common');
  await call(cri.runtime, 'StopContainer', { container_id: cid, timeout: 0 });
  t.match(await failure(cri.runtime, 'Exec', { container_id: cid, cmd: ['true'], stdout: true }), { code: grpc.status.FAILED_PRECONDITION }, 'exec in a stopped container');
});
