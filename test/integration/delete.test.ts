// Deleting a pod leaves nothing behind: no process of the pod, no mount that mentions the
// state root in any mount namespace, an empty pods/ folder.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { alive, IMAGE, isRunning, missingBusybox, missingFeature, payload, pod, podPaths, readOr, setup } from './harness';
import { readAttempts } from '../../src/runtime/records';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** Every mountinfo line on the host (all visible processes) that mentions DIR. */
function mountsMentioning(dir: string): string[] {
  const out = new Set<string>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    for (const line of readOr(`/proc/${p}/mountinfo`).split('\n')) if (line.includes(dir)) out.add(`${p}: ${line}`);
  }
  return [...out];
}

/** Pids whose /proc/N/status still exists and is not a zombie. */
function living(pids: number[]): number[] {
  return pids.filter((pid) => alive(pid));
}

t.test('deletePod leaves no process, no mount, no folder', async (t) => {
  const env = await setup(t);
  const created = await env.podrun.createPod(
    pod('doomed', {
      shareProcessNamespace: false,
      volumes: [
        { name: 'disk', emptyDir: {} },
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      ],
      initContainers: [payload('init', 'exit', '0')],
      containers: [
        { ...payload('a', 'sleep', '3600'), volumeMounts: [{ name: 'disk', mountPath: '/disk' }, { name: 'mem', mountPath: '/mem' }] },
        // a shell with a background child: the child is a process of the pod too
        { name: 'b', image: IMAGE, command: ['/bin/sh', '-c', 'sleep 3600 & exec sleep 3601'], volumeMounts: [{ name: 'mem', mountPath: '/mem' }] },
      ],
    }),
  );
  await env.podrun.waitFor('doomed', isRunning, { timeoutMs: 20_000 });
  const paths = podPaths(env, created);
  const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as { pid: number };
  const recorded = ['init', 'a', 'b'].flatMap((c) => readAttempts(paths, c).map((a) => a.start!.pid));
  // the pod's processes by ancestry: children of the shim, and theirs
  const tree = new Set<number>([sandbox.pid]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p) || tree.has(Number(p))) continue;
      const st = readOr(`/proc/${p}/stat`);
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (tree.has(ppid)) {
        tree.add(Number(p));
        changed = true;
      }
    }
  }
  t.ok(tree.size >= 4, `the pod has its processes (${[...tree].join(',')})`);
  t.ok(mountsMentioning(env.root).length > 0, 'while it runs, the pod has mounts under the state root');

  await env.podrun.deletePod('doomed', { gracePeriodSeconds: 0 });
  t.same(living([sandbox.pid, ...recorded, ...tree]), [], 'no process of the pod remains (start records, sandbox.json, their children)');
  t.same(mountsMentioning(env.root), [], 'no mount in any /proc/*/mountinfo mentions the state root');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'the pods/ folder is empty');
  t.same(await env.podrun.listPods(), [], 'listPods is empty');
  await t.rejects(env.podrun.getPod('doomed'), { code: 'NotFound' }, 'getPod: NotFound');
});
