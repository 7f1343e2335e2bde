// Pods outlive the engine: with the engine's process SIGKILLed, the pod's processes keep
// running under their shim, exits are still recorded, and a new engine for the root re-attaches
// and reports what happened meanwhile (exit code, logs).
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Podrun } from '../../src/podrun';
import { alive, cleanup, IMAGE, logs, missingBusybox, missingFeature, payload, pod, podPaths, setup, sleep, until } from './harness';
import { readAttempts } from '../../src/runtime/records';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('SIGKILL of the engine leaves the pod running; a new engine re-attaches', async (t) => {
  const env = await setup(t);
  // The engine in another process, owning the root.
  const engine = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'fixtures', 'serve-engine.ts'), env.root, env.dataRoot], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  t.teardown(() => {
    if (engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
  });
  const sock = path.join(env.root, 'serve.sock');
  // A loaded machine (CI runs three files at once on two cores) takes its time to start Node.
  t.ok(await until(() => fs.existsSync(sock), 60_000), 'the engine process serves the root');

  // This Podrun finds the root owned and talks to that engine.
  const client = new Podrun(env.opts);
  const created = await client.createPod(
    pod('durable', {
      restartPolicy: 'Never',
      containers: [
        { name: 'quits', image: IMAGE, command: ['/payload', 'sleep', '1', '--then', 'echo', 'leaving with 3', '--then', 'exit', '3'] },
        payload('stays', 'sleep', '3600'),
      ],
    }),
  );
  await client.waitFor('durable', (p) => (p.status?.containerStatuses ?? []).every((c) => c.state?.running), { timeoutMs: 20_000 });
  const paths = podPaths(env, created);
  const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as { pid: number };
  const stays = readAttempts(paths, 'stays')[0]!.start!.pid;
  const quits = readAttempts(paths, 'quits')[0]!.start!.pid;
  t.ok(alive(sandbox.pid) && alive(stays) && alive(quits), 'shim and both containers run');

  engine.kill('SIGKILL');
  await new Promise((r) => engine.once('exit', r));
  await client.close();
  await sleep(2000);
  t.ok(alive(sandbox.pid), 'the shim survived the engine');
  t.ok(alive(stays), 'the sleeping container survived the engine');
  t.notOk(alive(quits), 'the other container exited meanwhile');
  t.ok(fs.existsSync(paths.exitRecord('quits', 0)), 'and its exit was recorded without an engine');

  const again = new Podrun(env.opts);
  t.teardown(() => cleanup(again));
  const p = await again.getPod('durable');
  const byName = Object.fromEntries((p.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  t.equal(byName.quits?.state?.terminated?.exitCode, 3, 'the new engine reports exit code 3');
  t.ok(byName.stays?.state?.running, 'and the other container as running');
  t.equal(p.status?.phase, 'Running', 'the pod is still Running');
  t.same(await logs(again, 'durable', { container: 'quits' }), ['leaving with 3'], 'the line logged without an engine is there');
  await again.deletePod('durable', { gracePeriodSeconds: 0 });
  t.notOk(alive(stays), 'deleting through the new engine stops the container');
  t.notOk(alive(sandbox.pid), 'and the shim');
});
