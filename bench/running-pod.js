// A running pod whose shim the benches start containers into directly (the shim's start
// request, until it reports the exit): container start without the sandbox, the engine's
// worker or the watch, shared by the start-up table (bench/podrun.js) and the seccomp one.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');

/**
 * Creates the pod `idle` (image bench:1, sleeping) in `podrun` and connects to its shim.
 * `prepare(name, securityContext)` makes the plan and folders of a new container of it running
 * /bin/true and gives `run()`, which starts it and resolves at its exit (for timing the start
 * alone); `start` is both; `close()` disconnects and deletes the pod. `sandbox` is the pod's
 * sandbox record.
 */
async function runningPod(podrun) {
  const { PodPaths } = require(path.join(dist, 'state/paths'));
  const { podDirId } = require(path.join(dist, 'kubelet/engine'));
  const { ShimClient } = require(path.join(dist, 'runtime/shim-client'));
  const { buildContainerPlan } = require(path.join(dist, 'plan/container'));
  const idle = await podrun.createPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'idle' },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'bench:1', command: ['/bin/sleep', '100000'] }] },
  });
  const paths = new PodPaths(podrun.root.podDir(podDirId(idle.metadata.uid)));
  await podrun.waitFor('idle', (p) => !!p.status?.containerStatuses?.[0]?.state?.running);
  const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8'));
  const image = podrun.images.get('bench:1');
  const shim = await ShimClient.connect(paths.shimSocket);
  await shim.subscribe();

  function prepare(name, securityContext) {
    const plan = buildContainerPlan({
      pod: idle,
      container: { name, image: 'bench:1', command: ['/bin/true'], ...(securityContext ? { securityContext } : {}) },
      field: 'bench',
      attempt: 0,
      image,
      volumes: new Map(),
      paths,
      idmap: sandbox.idmap,
      envSources: { configMap: () => undefined, secret: () => undefined, fieldRef: () => undefined },
      logs: { maxSize: 10 * 1024 * 1024, maxFiles: 5 },
    });
    fs.mkdirSync(plan.ops[0].upper, { recursive: true });
    fs.mkdirSync(plan.ops[0].work, { recursive: true });
    fs.mkdirSync(plan.root, { recursive: true });
    fs.writeFileSync(paths.terminationLog(name, 0), '');
    const run = async () => {
      const exited = new Promise((r) => {
        const onExit = (e) => {
          if (e.name !== name) return;
          shim.off('exit', onExit);
          r(e);
        };
        shim.on('exit', onExit);
      });
      await shim.start(plan);
      await exited;
    };
    return { plan, run };
  }

  async function start(name, securityContext) {
    const { plan, run } = prepare(name, securityContext);
    await run();
    return plan;
  }

  async function close() {
    shim.close();
    await podrun.deletePod('idle', { gracePeriodSeconds: 0 });
  }

  return { sandbox, prepare, start, close };
}

module.exports = { runningPod };
