// A pod that fails half-way through creation is undone: the error names the field, and
// nothing of it stays behind (no folder under pods/, no process, no mount). A container whose
// command does not exist is another matter: the pod is created, and the container ends
// terminated with StartError (exit code 128), as on the kubelet.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE, missingBusybox, missingFeature, pod, readOr, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** Processes with DIR in their command line or working directory, as "pid: what". */
function processesUsing(dir: string): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const argv = readOr(`/proc/${p}/cmdline`).split('\0').join(' ');
    let cwd = '';
    try {
      cwd = fs.readlinkSync(`/proc/${p}/cwd`);
    } catch {
      /* gone, or not ours */
    }
    if (argv.includes(dir) || cwd.startsWith(dir)) out.push(`${p}: ${argv} (cwd ${cwd})`);
  }
  return out;
}

/** Mounts mentioning DIR in any mount namespace this process can see (one process per namespace). */
function mountsMentioning(dir: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of ['self', ...fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))]) {
    let ns: string;
    try {
      ns = fs.readlinkSync(`/proc/${p}/ns/mnt`);
    } catch {
      continue;
    }
    if (seen.has(ns)) continue;
    seen.add(ns);
    for (const line of readOr(`/proc/${p}/mountinfo`).split('\n')) if (line.includes(dir)) out.push(`${ns}: ${line}`);
  }
  return out;
}

t.test('a pod failing half-way through creation (missing hostPath) is undone', async (t) => {
  const env = await setup(t);
  const absent = path.join(env.scratch, 'does-not-exist');
  const err = await env.podrun
    .createPod(
      pod('halfway', {
        containers: [{ name: 'main', image: IMAGE, command: ['/payload', 'sleep', '3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'host', mountPath: '/host' }] }],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'host', hostPath: { path: absent } },
        ],
      }),
    )
    .then(
      () => undefined,
      (e: Error) => e,
    );
  t.ok(err, 'createPod fails');
  t.match(err?.message ?? '', /spec\.volumes\[1\]\.hostPath\.path/, `the error names spec.volumes[1].hostPath.path (${err?.message})`);
  t.match(err?.message ?? '', absent, 'and the path');
  t.notOk(fs.existsSync(absent), 'the hostPath was not created (type unset)');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'pods/ is empty');
  t.same(await env.podrun.listPods(), [], 'listPods is empty');
  t.same(processesUsing(env.root), [], 'no process has the root in its command line or working directory');
  t.same(mountsMentioning(env.root), [], 'no mount mentions the root');
  // The name is free again.
  const again = await env.podrun.createPod(pod('halfway', { containers: [{ name: 'main', image: IMAGE, command: ['/payload', 'sleep', '3600'] }] }));
  t.equal(again.metadata?.name, 'halfway', 'a pod of the same name can be created afterwards');
  await env.podrun.deletePod('halfway', { gracePeriodSeconds: 0 });
});

t.test('a container whose command does not exist ends terminated with StartError', async (t) => {
  const env = await setup(t);
  const created = await env.podrun.createPod(pod('nocmd', { restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE, command: ['/nonexistent'] }] }));
  t.equal(created.metadata?.name, 'nocmd', 'the pod is created');
  const p = await env.podrun.waitFor('nocmd', (p) => !!p.status?.containerStatuses?.[0]?.state?.terminated, { timeoutMs: 20_000 });
  const term = p.status?.containerStatuses?.[0]?.state?.terminated;
  t.equal(term?.reason, 'StartError', 'reason StartError');
  t.equal(term?.exitCode, 128, 'exit code 128');
  t.match(term?.message ?? '', '/nonexistent', `the message names the command (${term?.message})`);
  t.equal(p.status?.phase, 'Failed', 'the pod is Failed (restartPolicy Never)');
  t.equal(p.status?.containerStatuses?.[0]?.restartCount, 0, 'and not restarted');
});
