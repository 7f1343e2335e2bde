// run and cp through bin/podrun, on one root: kubectl run's pod (labels, container name, args or
// command), its errors, its dry-run YAML, attached runs with stdin, exit codes and --rm; cp both
// ways with a tree, modes and symlinks, the container's links never followed on the host in
// either direction, and missing paths. Then run and cp once more through the front door with
// defaults only (the e2e harness). Runs as root and rootless (both id mappings).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { Podrun } from '../../src/podrun';
import { cliEnv, missingCli } from './cli-harness';
import { IMAGE, idMapping, mode } from './harness';
import { e2e, IMAGE as E2E_IMAGE } from '../e2e/e2e-harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const SERVE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];
/** A rootless run with the single mapping has one id: no container user but root. */
const oneId = mode === 'rootless' && idMapping === 'single' ? 'the single id mapping has no uid 1000' : false;

t.test('run and cp', async (t) => {
  const c = await cliEnv(t, 'podrun-run-cp-');
  const sh = (script: string) => c.run(['exec', 'web', '--', 'sh', '-c', script]);

  t.test('run: the pod kubectl run makes, and its errors', async (t) => {
    const r = c.run(['run', 'web', `--image=${IMAGE}`, '--command', '--', ...SERVE]);
    // The engine's notices of this machine (rootless without /dev/net/tun) come once, first.
    t.equal(r.stderr.replace(/^Warning: .*\n/gm, ''), '');
    t.equal(r.stdout, 'pod/web created\n');
    t.equal(r.status, 0);
    const w = c.run(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
    t.equal(w.status, 0, w.stderr);
    const pod = JSON.parse(c.run(['get', 'pod', 'web', '-o', 'json']).stdout) as Pod;
    t.same(pod.metadata?.labels, { run: 'web' });
    t.equal(pod.spec?.containers.length, 1);
    t.equal(pod.spec?.containers[0]?.name, 'web');
    t.same(pod.spec?.containers[0]?.command, SERVE);
    t.equal(pod.spec?.containers[0]?.args, undefined);
    t.equal(pod.spec?.restartPolicy, 'Always');
    t.match(c.run(['get', 'pods']).stdout, /^NAME +READY +STATUS +RESTARTS +AGE\nweb +1\/1 +Running +0 +\S+\n$/);

    const again = c.run(['run', 'web', `--image=${IMAGE}`]);
    t.equal(again.stderr, 'Error from server (AlreadyExists): pods "web" already exists\n');
    t.equal(again.status, 1);
    const noImage = c.run(['run', 'x']);
    t.equal(noImage.stderr, 'error: required flag(s) "image" not set\n');
    t.equal(noImage.status, 1);
    const rm = c.run(['run', 'x', `--image=${IMAGE}`, '--rm']);
    t.equal(rm.stderr, 'error: --rm should only be used for attached containers\n');
    t.equal(rm.status, 1);
    t.equal(c.run(['run', 'x', `--image=${IMAGE}`, '--restart=Sometimes']).stderr, 'error: invalid restart policy: Sometimes, valid values are: Always, OnFailure, Never\n');
    t.equal(c.run(['run', 'x', `--image=${IMAGE}`, '-t']).stderr, 'error: -i/--stdin is required for containers with -t/--tty=true\n');
    t.equal(c.run(['run', 'x', `--image=${IMAGE}`, '-i', '--dry-run=client']).stderr, "error: --dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or --tty)\n");
    t.equal(c.run(['get', 'pod', 'x']).status, 1, 'no pod made by a refused run');
  });

  t.test('run --dry-run: the pod kubectl generates, nothing created', async (t) => {
    const r = c.run(['run', 'nginx', '--image=nginx', '--dry-run=client', '-o', 'yaml']);
    t.equal(r.stderr, '');
    t.equal(
      r.stdout,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  creationTimestamp: null',
        '  labels:',
        '    run: nginx',
        '  name: nginx',
        'spec:',
        '  containers:',
        '  - image: nginx',
        '    name: nginx',
        '    resources: {}',
        '  dnsPolicy: ClusterFirst',
        '  restartPolicy: Always',
        'status: {}',
        '',
      ].join('\n'),
    );
    const full = c.run(['run', 'job', '--image=busybox', '--restart=Never', '--env=A=1', '--env', 'B=x=y', '--port=8080', '--labels=app=job,tier=batch', '--dry-run=client', '-o', 'yaml', '--', 'echo', 'hi']);
    t.equal(
      full.stdout,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  creationTimestamp: null',
        '  labels:',
        '    app: job',
        '    tier: batch',
        '  name: job',
        'spec:',
        '  containers:',
        '  - args:',
        '    - echo',
        '    - hi',
        '    env:',
        '    - name: A',
        '      value: "1"',
        '    - name: B',
        '      value: x=y',
        '    image: busybox',
        '    name: job',
        '    ports:',
        '    - containerPort: 8080',
        '    resources: {}',
        '  dnsPolicy: ClusterFirst',
        '  restartPolicy: Never',
        'status: {}',
        '',
      ].join('\n'),
    );
    t.match(c.run(['run', 'cmd', '--image=busybox', '--command', '--dry-run=client', '-o', 'yaml', '--', 'sh', '-c', 'exit 0']).stdout, /\n {2}- command:\n {4}- sh\n {4}- -c\n {4}- exit 0\n/);
    t.equal(c.run(['run', 'nginx', '--image=nginx', '--dry-run=client']).stdout, 'pod/nginx created (dry run)\n');
    const server = c.run(['run', 'nginx', `--image=${IMAGE}`, '--dry-run=server', '-o', 'json']);
    t.equal(server.status, 0, server.stderr);
    const defaulted = JSON.parse(server.stdout) as Pod;
    t.equal(defaulted.metadata?.namespace, 'default');
    t.equal(defaulted.spec?.containers[0]?.terminationMessagePath, '/dev/termination-log');
    t.equal(defaulted.status?.phase, 'Pending');
    t.equal(c.run(['run', 'web', `--image=${IMAGE}`, '--dry-run=server']).stderr, 'Error from server (AlreadyExists): pods "web" already exists\n');
    t.equal(c.run(['get', 'pod', 'nginx']).status, 1, 'a dry run creates nothing');
  });

  t.test('run -i --rm: stdin in, output and exit code out, the pod gone', async (t) => {
    const r = c.run(['run', 'once', `--image=${IMAGE}`, '--rm', '-i', '--restart=Never', '--command', '--', 'sh', '-c', 'read x; echo "got $x"; exit 4'], 'hello\n');
    t.equal(r.stdout, 'got hello\npod "once" deleted\n');
    t.equal(r.stderr, 'pod default/once terminated (Error)\n');
    t.equal(r.status, 4);
    const gone = c.run(['get', 'pod', 'once']);
    t.equal(gone.stderr, 'Error from server (NotFound): pods "once" not found\n');
    const ok = c.run(['run', 'fine', `--image=${IMAGE}`, '--rm', '-i', '--restart=Never', '--command', '--', 'cat'], 'through stdin\n');
    t.equal(ok.stdout, 'through stdin\npod "fine" deleted\n');
    t.equal(ok.stderr, '');
    t.equal(ok.status, 0);
    // A command that ends without reading stdin may be gone before attach reaches it, or end
    // between the log read and the attach: its output comes from the log, never lost or doubled.
    for (const n of [1, 2, 3]) {
      const quick = c.run(['run', `quick${n}`, `--image=${IMAGE}`, '--rm', '-i', '--restart=Never', '--command', '--', 'sh', '-c', 'echo one; echo two; exit 2'], '');
      t.equal(quick.stdout, `one\ntwo\npod "quick${n}" deleted\n`, `quick${n}: all of its output once`);
      t.equal(quick.stderr, `pod default/quick${n} terminated (Error)\n`);
      t.equal(quick.status, 2);
    }
  });

  t.test('run --restart=Never --attach: its output and its exit code', async (t) => {
    const r = c.run(['run', 'three', `--image=${IMAGE}`, '--restart=Never', '--attach', '--command', '--', 'sh', '-c', 'echo before; exit 3']);
    t.equal(r.stdout, 'before\n');
    t.equal(r.stderr, 'pod default/three terminated (Error)\n');
    t.equal(r.status, 3);
    const pod = JSON.parse(c.run(['get', 'pod', 'three', '-o', 'json']).stdout) as Pod;
    t.equal(pod.status?.phase, 'Failed', 'without --rm the pod stays');
  });

  t.test('cp to and from the container: files, a tree, modes, links as links', async (t) => {
    const host = path.join(c.dir, 'host');
    fs.mkdirSync(host);
    const f = path.join(host, 'f.txt');
    fs.writeFileSync(f, 'one file\n');
    fs.chmodSync(f, 0o640);
    const r = c.run(['cp', f, 'web:/tmp/f.txt']);
    t.equal(r.stderr, '');
    t.equal(r.stdout, '');
    t.equal(r.status, 0);
    t.equal(sh('cat /tmp/f.txt; stat -c "%a %u:%g" /tmp/f.txt').stdout, 'one file\n640 0:0\n', "written as the container's root, mode kept");

    const tree = path.join(host, 'tree');
    fs.mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'top'), 'top\n');
    fs.writeFileSync(path.join(tree, 'sub', 'deeper', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    fs.writeFileSync(path.join(tree, 'big'), Buffer.alloc(300_000, 'x'));
    fs.symlinkSync('sub/deeper/run.sh', path.join(tree, 'link'));
    fs.chmodSync(path.join(tree, 'sub'), 0o750);
    t.equal(c.run(['cp', tree, 'web:/tmp']).status, 0, 'into an existing folder: /tmp/tree');
    t.equal(sh('cat /tmp/tree/top; /tmp/tree/link; readlink /tmp/tree/link; stat -c %a /tmp/tree/sub; wc -c < /tmp/tree/big').stdout, 'top\nran\nsub/deeper/run.sh\n750\n300000\n');

    const back = path.join(c.dir, 'back');
    t.equal(c.run(['cp', 'web:/tmp/tree', back]).status, 0);
    t.equal(fs.readFileSync(path.join(back, 'top'), 'utf8'), 'top\n');
    t.equal(fs.readlinkSync(path.join(back, 'link')), 'sub/deeper/run.sh');
    t.equal(fs.statSync(path.join(back, 'sub', 'deeper', 'run.sh')).mode & 0o777, 0o755);
    t.equal(fs.statSync(path.join(back, 'sub')).mode & 0o777, 0o750);
    t.equal(fs.readFileSync(path.join(back, 'big')).length, 300_000);
    t.equal(c.run(['cp', 'default/web:/only-in-image', path.join(c.dir, 'img.txt')]).status, 0, 'NAMESPACE/POD:PATH');
    t.equal(fs.readFileSync(path.join(c.dir, 'img.txt'), 'utf8'), 'from the image\n');
    t.equal(c.run(['cp', 'web:/only-in-image', host]).status, 0, 'a file into an existing folder');
    t.equal(fs.readFileSync(path.join(host, 'only-in-image'), 'utf8'), 'from the image\n');
  });

  t.test("cp never follows the container's links on the host", async (t) => {
    const secret = path.join(c.dir, 'secret');
    fs.writeFileSync(secret, 'host secret\n');
    fs.chmodSync(secret, 0o600);
    // Links made in the container that name the host's file (as /etc/shadow would be named).
    t.equal(sh(`busybox ln -s ${secret} /tmp/x && busybox ln -s ${secret} /tmp/y && mkdir /tmp/d && busybox ln -s ${c.dir} /tmp/d/up`).status, 0);

    const x = path.join(c.dir, 'x');
    t.equal(c.run(['cp', 'web:/tmp/x', x]).status, 0);
    t.ok(fs.lstatSync(x).isSymbolicLink(), 'a link comes out as a link');
    t.equal(fs.readlinkSync(x), secret);
    // A second copy onto that link replaces it instead of writing through it.
    t.equal(c.run(['cp', 'web:/tmp/f.txt', x]).status, 0);
    t.ok(fs.lstatSync(x).isFile());
    t.equal(fs.readFileSync(x, 'utf8'), 'one file\n');
    t.equal(fs.readFileSync(secret, 'utf8'), 'host secret\n', 'the host file is untouched');

    // A folder with a link to a host folder: the link is copied, nothing is read through it.
    const d = path.join(c.dir, 'd');
    t.equal(c.run(['cp', 'web:/tmp/d', d]).status, 0);
    t.equal(fs.readlinkSync(path.join(d, 'up')), c.dir);
    t.same(fs.readdirSync(d), ['up']);

    // Into the container: a link there is replaced, never written through (here or on the host).
    const mine = path.join(c.dir, 'mine');
    fs.writeFileSync(mine, 'mine\n');
    t.equal(c.run(['cp', mine, 'web:/tmp/y']).status, 0);
    t.equal(fs.readFileSync(secret, 'utf8'), 'host secret\n', 'the host file is untouched');
    t.equal(sh('cat /tmp/y; test -L /tmp/y && echo link || echo file').stdout, 'mine\nfile\n');
  });

  t.test("cp into a volume, as the container's user", { skip: oneId }, async (t) => {
    const manifest = path.join(c.dir, 'vol.yaml');
    fs.writeFileSync(
      manifest,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: vol}',
        'spec:',
        '  terminationGracePeriodSeconds: 1',
        '  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}',
        '  volumes: [{name: data, emptyDir: {}}]',
        '  containers:',
        '  - name: main',
        `    image: ${IMAGE}`,
        `    command: ${JSON.stringify(SERVE)}`,
        '    volumeMounts: [{name: data, mountPath: /data}]',
        '',
      ].join('\n'),
    );
    t.equal(c.run(['apply', '-f', manifest]).status, 0);
    const w = c.run(['wait', '--for=condition=Ready', 'pod/vol', '--timeout=60s']);
    t.equal(w.status, 0, w.stderr);
    const f = path.join(c.dir, 'for-volume');
    fs.writeFileSync(f, 'in the volume\n');
    const r = c.run(['cp', f, 'vol:/data']);
    t.equal(r.stderr, '');
    t.equal(c.run(['exec', 'vol', '--', 'sh', '-c', 'cat /data/for-volume; stat -c %u:%g /data/for-volume']).stdout, 'in the volume\n1000:1000\n');
    const denied = c.run(['cp', f, 'vol:/etc/x']);
    t.match(denied.stderr, /^error: open \/etc\/x: Permission denied\n$/, "the container's user's rights, not root's");
    t.equal(denied.status, 1);
    const back = path.join(c.dir, 'from-volume');
    t.equal(c.run(['cp', 'vol:/data/for-volume', back]).status, 0);
    t.equal(fs.readFileSync(back, 'utf8'), 'in the volume\n');
  });

  t.test('the Node API: copyTo, copyFrom, an aborted copy, a missing path', async (t) => {
    const podrun = new Podrun({ root: c.root, dataRoot: c.dataRoot });
    t.teardown(() => podrun.close());
    const src = path.join(c.dir, 'api.txt');
    fs.writeFileSync(src, 'api\n');
    await podrun.copyTo('web', src, '/tmp/api.txt');
    const out = path.join(c.dir, 'api-back.txt');
    await podrun.copyFrom('web', '/tmp/api.txt', out, { container: 'web' });
    t.equal(fs.readFileSync(out, 'utf8'), 'api\n');
    await t.rejects(podrun.copyFrom('web', '/tmp/api.txt', out, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await t.rejects(podrun.copyFrom('web', '/nope', out), { code: 'NotFound' });
  });

  t.test('cp: missing paths and bad arguments in kubectl words', async (t) => {
    const fromPod = c.run(['cp', 'web:/nope', path.join(c.dir, 'n')]);
    t.equal(fromPod.stderr, 'error: /nope: No such file or directory\n');
    t.equal(fromPod.status, 1);
    t.notOk(fs.existsSync(path.join(c.dir, 'n')));
    const toPod = c.run(['cp', path.join(c.dir, 'nope'), 'web:/tmp/']);
    t.equal(toPod.stderr, `error: ${path.join(c.dir, 'nope')} doesn't exist in local filesystem\n`);
    t.equal(toPod.status, 1);
    t.equal(c.run(['cp', 'a', 'b']).stderr, 'error: one of src or dest must be a remote file specification\n');
    t.equal(c.run(['cp', 'web:/a', 'web:/b']).stderr, 'error: one of src or dest must be a local file specification\n');
    t.equal(c.run(['cp', 'web:/a']).stderr, 'error: source and destination are required\n');
    t.equal(c.run(['cp', 'nopod:/a', c.dir]).stderr, 'Error from server (NotFound): pods "nopod" not found\n');
    t.equal(c.run(['cp', 'web:/a', c.dir, '-c', 'other']).stderr, 'error: container other is not valid for pod web\n');
  });
});

t.test('run and cp through the front door, defaults only', async (t) => {
  const e = await e2e(t);
  t.equal(e.ok(['run', 'box', `--image=${E2E_IMAGE}`, '--command', '--', ...SERVE]), 'pod/box created\n');
  e.ok(['wait', '--for=condition=Ready', 'pod/box', '--timeout=60s']);
  const file = e.file('hello.txt', 'hello from the host\n');
  e.ok(['cp', file, 'box:/tmp/hello.txt']);
  const back = path.join(e.dir, 'back.txt');
  e.ok(['cp', 'box:/tmp/hello.txt', back]);
  t.equal(fs.readFileSync(back, 'utf8'), 'hello from the host\n');
  const r = e.run(['run', 'sum', `--image=${E2E_IMAGE}`, '--rm', '-i', '--restart=Never', '--command', '--', 'wc', '-l'], 'a\nb\n');
  t.equal(r.stdout, '2\npod "sum" deleted\n');
  t.equal(r.status, 0);
});
