// The pod shim refuses a request with a member missing or of the wrong type, naming it, instead
// of reading a default (a plan whose `uid` was renamed would otherwise start the container as
// uid 0, one without `capBounding` with the default capabilities). Driven at the socket of a
// real pod's shim with the plan the engine itself sent for the pod's container, mutated.
import t from 'tap';
import * as net from 'node:net';
import type { ContainerPlan } from '../../src/runtime/container-plan';
import { ShimClient, ShimRequestError } from '../../src/runtime/shim-client';
import { isRunning, missingBusybox, missingFeature, payload, pod, podPaths, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** One raw line to the shim and its one reply line, as the fuzz target and a stranger would send it. */
function rawRequest(socket: string, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socket);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      s.destroy();
      resolve(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
    });
    s.on('error', reject);
    s.write(line + '\n');
  });
}

t.test('a request with a member missing or mistyped is refused whole, with its path', async (t) => {
  // The plan the engine sends for the pod's container, kept for the mutations below.
  let sent: ContainerPlan | undefined;
  const start = ShimClient.prototype.start;
  ShimClient.prototype.start = function (plan: ContainerPlan) {
    sent ??= structuredClone(plan);
    return start.call(this, plan);
  };
  t.teardown(() => {
    ShimClient.prototype.start = start;
  });
  const env = await setup(t);
  await env.podrun.createPod(pod('p', { containers: [payload('c', 'sleep', '600')] }));
  const p = await env.podrun.waitFor('p', isRunning, { timeoutMs: 10_000 });
  t.ok(sent, "the engine's plan was seen");
  const paths = podPaths(env, p);
  const client = await ShimClient.connect(paths.shimSocket);
  t.teardown(() => client.close());

  /** The plan again, as a second container at its own paths. */
  const second = (): Record<string, unknown> => {
    const dir = paths.containerDir('c');
    return { ...sent!, name: 'second', logPath: `${dir}/second.log`, startPath: `${dir}/second.start.json`, exitPath: `${dir}/second.exit.json` };
  };
  const refusal = async (container: Record<string, unknown>): Promise<ShimRequestError | undefined> => {
    try {
      // Deliberately off the typed surface: this is what a renamed field would send.
      await client.request({ op: 'start', container: container as unknown as ContainerPlan });
      return undefined;
    } catch (e) {
      return e instanceof ShimRequestError ? e : undefined;
    }
  };
  const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ['uid missing (it would have been 0)', (c) => delete c.uid, /^start: container\.uid: Required value$/],
    ['capBounding missing (it would have been the default set)', (c) => delete c.capBounding, /^start: container\.capBounding: Required value$/],
    ['noNewPrivs a string', (c) => (c.noNewPrivs = 'false'), /^start: container\.noNewPrivs: Invalid value: must be a boolean$/],
    ['uid negative', (c) => (c.uid = -1), /^start: container\.uid: Invalid value: must be a non-negative integer$/],
    ['gid a fraction', (c) => (c.gid = 1.5), /^start: container\.gid: Invalid value: must be a non-negative integer$/],
    ['seccomp missing (it would have been unconfined)', (c) => delete c.seccomp, /^start: container\.seccomp: Required value$/],
    ['seccomp a string', (c) => (c.seccomp = 'RuntimeDefault'), /^start: container\.seccomp: Invalid value: must be null or an object$/],
    ['a group not a number', (c) => (c.groups = ['0']), /^start: container\.groups: Invalid value: must be an array of non-negative integers$/],
    ['argv with a number', (c) => (c.argv = ['/payload', 1]), /^start: container\.argv: Invalid value: must be an array of strings$/],
    ['a mount op without its target', (c) => delete (c.ops as Record<string, unknown>[])[1]!.target, /^start: container\.ops\[1\]\.target: Required value$/],
    ['a mount op of an unknown type', (c) => ((c.ops as Record<string, unknown>[])[1]!.type = 'nfs'), /^start: container\.ops\[1\]\.type: Unsupported value: "nfs"$/],
    ['the cgroup without oomCounter', (c) => delete (c.cgroup as Record<string, unknown>).oomCounter, /^start: container\.cgroup\.oomCounter: Required value$/],
  ];
  for (const [what, mutate, expected] of cases) {
    const c = structuredClone(second());
    mutate(c);
    const e = await refusal(c);
    t.match(e?.message ?? 'accepted', expected, what);
    t.equal(e?.errno, 22, `${what}: EINVAL`);
  }
  const listed = (await client.request({ op: 'list' })).containers as { name: string }[];
  t.same(
    listed.map((c) => c.name),
    ['c'],
    'none of them started anything',
  );

  // Other ops, and lines outside the typed surface, as a stranger on the socket would send them.
  const raw = (o: object) => rawRequest(paths.shimSocket, JSON.stringify(o));
  t.match(await raw({ id: 7, op: 'signal', name: 'c' }), { id: 7, ok: false, errno: 22, error: 'signal: signal: Required value' }, 'a signal without its number is refused, not SIGTERM');
  t.match(await raw({ id: 8, op: 'resize', name: 'c', rows: '24', cols: 80 }), { id: 8, ok: false, error: 'resize: rows: Invalid value: must be a non-negative integer' }, 'resize with a mistyped size');
  t.match(await raw({ id: 9, op: 'shutdown' }), { id: 9, ok: false, error: 'shutdown: remove: Required value' }, 'shutdown without its list is refused (and the pod runs on)');
  t.match(await raw({ id: 10, op: 'launch' }), { id: 10, ok: false, error: 'op: Unsupported value: "launch"' }, 'an unknown op');
  t.match(await raw({ id: 11 }), { id: 11, ok: false, error: 'op: Required value' }, 'no op');
  t.match(await raw({ op: 'hello' }), { ok: false, error: 'id: Required value' }, 'no id');
  t.ok(isRunning(await env.podrun.getPod('p')), 'the pod runs on');

  // A well-formed plan passes the same check: every pod of every other test starts through it.
});
