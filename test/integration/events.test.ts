// Events and watch against a real engine: creating a pod records Scheduled, in the pod's folder
// so a new engine still lists it, and over `podrun serve`'s socket too; watch reports a pod
// ADDED, MODIFIED as its phase changes, and DELETED after delete.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Podrun } from '../../src/podrun';
import type { WatchEvent } from '../../src/types';
import { cleanup, IMAGE, isDone, missingBusybox, missingFeature, pod, podPaths, setup, sleep } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

async function until(what: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!what() && Date.now() < end) await sleep(50);
  return what();
}

t.test('a created pod has a Scheduled event, kept across engines and served over the socket', async (t) => {
  const env = await setup(t);
  const created = await env.podrun.createPod(pod('web', { restartPolicy: 'Never', containers: [{ name: 'web', image: IMAGE, command: ['/bin/sh', '-c', 'sleep 30'] }] }));
  const events = await env.podrun.listEvents({ namespace: 'default', pod: 'web' });
  const scheduled = events.find((e) => e.reason === 'Scheduled');
  t.ok(scheduled, `Scheduled is listed (${events.map((e) => e.reason).join(', ')})`);
  t.equal(scheduled?.message, `Successfully assigned default/web to ${os.hostname()}`);
  t.equal(scheduled?.type, 'Normal');
  t.same(scheduled?.involvedObject, { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'default', uid: created.metadata!.uid });
  t.ok(fs.existsSync(path.join(podPaths(env, created).dir, 'events.jsonl')), "kept in the pod's folder");
  t.same(await env.podrun.listEvents({ namespace: 'other' }), [], 'other namespaces have none');

  // Another Podrun finds the root owned by this process's engine and asks over the socket.
  const remote = new Podrun(env.opts);
  const overSocket = await remote.listEvents({ pod: 'web' });
  t.same(overSocket, events, 'the same events over the socket');
  await remote.close();

  // A new engine for the root reads them back from the folder.
  await env.podrun.close();
  const again = new Podrun(env.opts);
  t.teardown(() => cleanup(again));
  t.same(
    (await again.listEvents({ pod: 'web' })).map((e) => e.metadata.uid),
    events.map((e) => e.metadata.uid),
    'the events survive the engine',
  );
  await again.deletePod('web', { gracePeriodSeconds: 0 });
  t.same(await again.listEvents({ pod: 'web' }), [], 'and go with the pod');
});

t.test('watch: ADDED, MODIFIED as the phase changes, DELETED after delete', async (t) => {
  const env = await setup(t);
  const ac = new AbortController();
  const seen: WatchEvent[] = [];
  const watching = (async () => {
    for await (const w of env.podrun.watch({ namespace: 'default', signal: ac.signal })) seen.push(w);
  })();
  t.teardown(() => ac.abort());

  await env.podrun.createPod(pod('short', { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE, command: ['/bin/sh', '-c', 'sleep 1'] }] }));
  const done = await env.podrun.waitFor('short', isDone, { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Succeeded');
  const podChanges = () => seen.filter((w) => w.type !== 'EVENT' && w.object.metadata?.name === 'short');
  t.ok(await until(() => podChanges().some((w) => w.type !== 'EVENT' && w.object.status?.phase === 'Succeeded')), 'the watch saw the pod succeed');
  await env.podrun.deletePod('short', { gracePeriodSeconds: 0 });
  t.ok(await until(() => podChanges().some((w) => w.type === 'DELETED')), 'and saw it deleted');
  ac.abort();
  await watching;

  const types = podChanges().map((w) => w.type);
  t.equal(types[0], 'ADDED', `first ADDED (${types.join(' ')})`);
  t.ok(types.slice(1, -1).length > 0 && types.slice(1, -1).every((x) => x === 'MODIFIED'), 'then MODIFIED');
  t.equal(types[types.length - 1], 'DELETED', 'last DELETED');
  t.equal(types.filter((x) => x === 'ADDED').length, 1, 'ADDED once');
  const phases = podChanges().map((w) => (w.type === 'EVENT' ? '' : (w.object.status?.phase ?? '')));
  t.ok(phases.includes('Succeeded'), `the phase changed on the way (${phases.join(' ')})`);
  const scheduled = seen.find((w) => w.type === 'EVENT' && w.object.reason === 'Scheduled' && w.object.involvedObject.name === 'short');
  t.ok(scheduled, 'the Scheduled event came through the watch');

  // The iterator ends when aborted, and a fresh one on an aborted signal yields nothing.
  const after: WatchEvent[] = [];
  for await (const w of env.podrun.watch({ signal: ac.signal })) after.push(w);
  t.same(after, []);
});
