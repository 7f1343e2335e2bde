// attach: the shim keeps a container's stdin (and terminal) for clients that attach later, as
// conmon does; an ephemeral container with stdin and tty is how `podrun debug -it` works.
import t from 'tap';
import { IMAGE, isRunning, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

async function collect(s: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of s) out += chunk.toString();
  return out;
}

t.test('attach to a container with stdin: true', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('att', { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE, stdin: true, command: ['sh', '-c', 'while read l; do echo "got $l"; done; echo eof'] }] }));
  await podrun.waitFor('att', isRunning, { timeoutMs: 10_000 });
  const s = await podrun.attach('att');
  const out = collect(s.stdout);
  s.stdin.write('one\ntwo\n');
  s.stdin.end();
  t.equal(await out, 'got one\ngot two\neof\n', 'input reaches the process; closing it is its EOF; the output ends with the process');
  t.equal((await s.exit).exitCode, 0);
});

t.test('an ephemeral container with a terminal (debug -it)', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('tty', { containers: [payload('app', 'sleep', '600')] }));
  await podrun.waitFor('tty', isRunning, { timeoutMs: 10_000 });
  await podrun.addEphemeralContainer('tty', { name: 'dbg', image: IMAGE, stdin: true, tty: true, targetContainerName: 'app', command: ['sh'] });
  const s = await podrun.attach('tty', { container: 'dbg' });
  const out = collect(s.stdout);
  s.stdin.write('tty; ls /proc | grep -c "^[0-9]"; exit 5\n');
  const text = (await out).replace(/\r/g, '');
  t.match(text, /\/dev\/pts\/0\n/, 'a terminal from the container devpts');
  t.equal((await s.exit).exitCode, 5, 'the exit code of the debug shell');
  // The pod's status follows the shim's exit event, which may come a moment after the stream's end.
  const p = await podrun.waitFor('tty', (x) => !!x.status?.ephemeralContainerStatuses?.[0]?.state?.terminated, { timeoutMs: 10_000 });
  t.equal(p.status!.ephemeralContainerStatuses![0].state!.terminated!.exitCode, 5);
});
