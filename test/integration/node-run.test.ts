// podrun.run() and the Node API's cancellation: every wait strategy against a real container,
// starts that fail (an exit, a missing image, a timeout, an abort) removing what they made, and
// AbortSignal ending waits, follows, exec sessions, port-forwards and pulls.
import * as net from 'node:net';
import t from 'tap';
import { PodrunError } from '../../src/errors';
import { Wait } from '../../src/run/wait';
import { coveredBySubidRun, IMAGE, missingBusybox, missingFeature, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const isAbort = (e: unknown) => e instanceof Error && e.name === 'AbortError';

t.test('wait strategies, env, args and the handle', async (t) => {
  const env = await setup(t);
  const { podrun } = env;

  const c = await podrun.run(IMAGE, {
    command: ['sh', '-c', 'echo "$GREETING"; echo "$@"; echo ready; echo ready; touch /tmp/ok; exec sleep 1000', 'sh'],
    args: ['one', 'two'],
    env: { GREETING: 'hello' },
    labels: { team: 'a' },
    waitFor: Wait.forAll([Wait.forLogMessage('ready', 2), Wait.forSuccessfulCommand(['test', '-f', '/tmp/ok'])]),
  });
  const lines: string[] = [];
  for await (const l of c.logs()) lines.push(l);
  t.same(lines, ['hello', 'one two', 'ready', 'ready'], 'command, args and env as given; the log had both lines');
  const pod = await c.pod();
  t.same(pod.metadata?.labels, { run: c.name, team: 'a' }, "labelled as kubectl run labels, plus the user's");
  t.equal(pod.spec?.restartPolicy, 'Never', 'nothing restarts it');
  t.throws(() => c.mappedPort(80), RangeError, 'a port that was not published is an error');
  const r = await c.exec(['sh', '-c', 'echo a; echo b >&2; exit 7']);
  t.same([r.exitCode, r.stdout, r.stderr], [7, 'a\n', 'b\n'], 'exec: code, stdout, stderr');
  const t0 = Date.now();
  await c.stop();
  t.comment(`stop took ${Date.now() - t0} ms (sleep as a child of the pod's init: SIGTERM ends it)`);
  await t.rejects(podrun.getPod(c.name), { code: 'NotFound' }, 'stop removed the pod');
  await c.stop();
  t.pass('stop twice is one stop');

  const h = await podrun.run(IMAGE, {
    command: ['sh', '-c', 'sleep 1; touch /tmp/healthy; exec sleep 1000'],
    healthCheck: { test: ['CMD-SHELL', 'test -f /tmp/healthy'], interval: 1000 },
    waitFor: Wait.forHealthCheck(),
  });
  const ready = (await h.pod()).status?.conditions?.find((x) => x.type === 'Ready');
  t.equal(ready?.status, 'True', 'forHealthCheck: Ready once the health check passes');
  await h.stop();

  const p = await podrun.run(IMAGE, { command: ['httpd', '-f', '-p', '8080', '-h', '/'], ports: [8080] });
  const got = await fetch(`http://${p.host}:${p.mappedPort(8080)}/only-in-image`);
  t.equal(await got.text(), 'from the image\n', 'the default wait (listening ports) then a request through mappedPort');
  await p[Symbol.asyncDispose]();
  await t.rejects(fetch(`http://127.0.0.1:${p.mappedPort(8080)}/`), {}, 'the published port is closed with the container');
});

t.test('starts that fail remove what they made and say why', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const err = await podrun.run(IMAGE, { command: ['sh', '-c', 'echo starting; echo "cannot bind" >&2; exit 3'], ports: [8080], waitFor: Wait.forHttp('/', 8080) }).catch((e: unknown) => e);
  t.type(err, PodrunError);
  t.match((err as Error).message, /^container busybox of pod busybox-\w{5} \(busybox:test\) (did not start|ended before HTTP GET \/ on port 8080): it exited with code 3 \(Error\); its last log lines:\nstarting\ncannot bind$/, 'the exit code and the last log lines');
  t.same(await podrun.listPods(), [], 'the pod is gone');

  const timeout = await podrun.run(IMAGE, { command: ['sh', '-c', 'echo waiting; exec sleep 1000'], waitFor: Wait.forLogMessage(/never/), startupTimeoutMs: 1500 }).catch((e: unknown) => e);
  t.match(timeout, { code: 'Timeout', message: /was not started within 1500 ms: waited for log message \/never\/; its last log lines:\nwaiting$/ }, 'a timeout names the strategy and shows the log');
  t.same(await podrun.listPods(), [], 'the pod is gone after a timeout');

  const noImage = await podrun.run('127.0.0.1:1/nosuch:1').catch((e: unknown) => e);
  t.match((noImage as Error).message, /did not start: ErrImagePull/, 'a missing image fails at once, not at the timeout');
  t.same(await podrun.listPods(), [], 'no pod left');

  const ac = new AbortController();
  const aborted = podrun.run(IMAGE, { command: ['sh', '-c', 'exec sleep 1000'], waitFor: Wait.forLogMessage('never'), signal: ac.signal });
  setTimeout(() => ac.abort(), 500);
  t.ok(isAbort(await aborted.catch((e: unknown) => e)), 'aborting the start rejects with an AbortError');
  t.same(await podrun.listPods(), [], 'and removes the pod');

  t.throws(() => Wait.forLogMessage('x', 0), RangeError);
  t.throws(() => Wait.forHttp('health', 80), RangeError);
  await t.rejects(podrun.run(IMAGE, { waitFor: Wait.forHttp('/', 80) }), RangeError, 'forHttp on a port not in ports is refused before anything is made');
});

t.test('AbortSignal ends waits, follows, exec, port-forwards and pulls', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const c = await podrun.run(IMAGE, { command: ['sh', '-c', 'while true; do echo tick; sleep 0.1; done'] });

  const wait = new AbortController();
  const waiting = podrun.waitFor(c.name, () => false, { signal: wait.signal });
  wait.abort();
  t.ok(isAbort(await waiting.catch((e: unknown) => e)), 'waitFor rejects with an AbortError');
  t.ok(isAbort(await podrun.waitGone('pod', c.name, { signal: AbortSignal.abort() }).catch((e: unknown) => e)), 'so does waitGone, aborted before it starts');

  const follow = new AbortController();
  let n = 0;
  for await (const _ of c.logs({ follow: true, signal: follow.signal })) if (++n === 3) follow.abort();
  t.equal(n, 3, 'a follow ends when aborted, without an error');

  const killed = new AbortController();
  const session = await podrun.exec(c.name, ['sleep', '1000'], { signal: killed.signal });
  killed.abort();
  t.same(await session.exit, { exitCode: 128 + 9, signal: 9 }, 'exec: the process is killed');

  const pf = new AbortController();
  const forward = await podrun.portForward(c.name, [{ local: 0, remote: 9 }], { signal: pf.signal });
  const port = forward.ports[0]!.local;
  pf.abort();
  await new Promise((r) => setImmediate(r));
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve('connected'));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.equal(refused, 'ECONNREFUSED', 'a port-forward stops listening when aborted');

  // A registry that accepts and never answers: the pull gives up at the abort, and hangs up.
  const hung = new Set<net.Socket>();
  const server = net.createServer((s) => hung.add(s.on('close', () => hung.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const pull = new AbortController();
  const pulling = podrun.pull(`127.0.0.1:${(server.address() as net.AddressInfo).port}/x:1`, { signal: pull.signal });
  while (hung.size === 0) await new Promise((r) => setTimeout(r, 20));
  pull.abort();
  t.ok(isAbort(await pulling.catch((e: unknown) => e)), 'pull rejects with an AbortError');
  // (The connection itself goes back to node's keep-alive pool, unreferenced, and times out there.)
  await t.rejects(podrun.apply([], { signal: AbortSignal.abort() }), { name: 'AbortError' }, 'apply checks its signal first');
  await c.stop({ timeoutSeconds: 0 });
});
