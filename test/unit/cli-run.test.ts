// The CLI end to end, minus the process: run() with in-memory streams and a fake client.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import { NotFoundError, PodrunError, ValidationError } from '../../src/errors';
import type { KubeObject } from '../../src/api/manifest';
import type { Podrun } from '../../src/podrun';
import type { ApplyResult, DeleteOptions, LogOptions, PodrunOptions, WaitOptions } from '../../src/types';
import type { ImageRecord } from '../../src/image/types';
import type { CliIO } from '../../src/cli/context';
import { run } from '../../src/cli/run';

const NOW = Date.parse('2024-05-01T12:00:00Z');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const mkPod = (name: string, ns = 'default', extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, creationTimestamp: new Date(NOW - 65_000).toISOString() },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
  },
  ...extra,
});

/** Records calls; pods live in a map keyed by namespace/name. */
class FakePodrun {
  calls: string[] = [];
  pods = new Map<string, Pod>();
  applied: { objs: KubeObject[]; source?: string }[] = [];
  closed = false;
  images = {
    list: (): ImageRecord[] => [
      { name: 'host', tag: 'latest', id: 'sha256:' + 'a'.repeat(64), rootfs: '', config: {}, created: '1970-01-01T00:00:00Z', size: 0, builtin: true },
      { name: 'local/app', tag: 'v1', id: 'sha256:' + '0123456789ab'.repeat(5) + 'cdef', rootfs: '/x', config: {}, created: new Date(NOW - 3 * 3600_000).toISOString(), size: 5_870_000 },
    ],
    remove: (ref: string): void => {
      if (ref !== 'local/app:v1') throw new NotFoundError('image', ref.includes(':') ? ref : `${ref}:latest`);
    },
    get: (ref: string): ImageRecord | undefined => this.images.list().find((i) => `${i.name}:${i.tag}` === ref),
    importImage: async (src: string, ref: string, config?: object): Promise<ImageRecord> => {
      this.calls.push(`import ${src} ${ref} ${JSON.stringify(config)}`);
      return { name: ref, tag: 'latest', id: 'sha256:' + 'f'.repeat(64), rootfs: '', config: {}, created: '', size: 0 };
    },
  };
  async imagesInUse(): Promise<Set<string>> {
    return new Set();
  }
  constructor(pods: Pod[] = []) {
    for (const p of pods) this.pods.set(`${p.metadata!.namespace}/${p.metadata!.name}`, p);
  }
  async apply(input: KubeObject[], opts: { source?: string } = {}): Promise<ApplyResult[]> {
    this.applied.push({ objs: input, source: opts.source });
    return input.map((o) => ({ kind: o.kind, namespace: o.metadata?.namespace ?? 'default', name: o.metadata?.name ?? '', action: 'created' as const }));
  }
  async getPod(name: string, ns = 'default'): Promise<Pod> {
    const p = this.pods.get(`${ns}/${name}`);
    if (!p) throw new NotFoundError('pods', name);
    return p;
  }
  async listPods(ns?: string): Promise<Pod[]> {
    return [...this.pods.values()].filter((p) => ns === undefined || p.metadata!.namespace === ns);
  }
  async deletePod(name: string, opts: DeleteOptions = {}): Promise<void> {
    this.calls.push(`delete ${opts.namespace}/${name} grace=${opts.gracePeriodSeconds}`);
    if (!this.pods.delete(`${opts.namespace ?? 'default'}/${name}`)) throw new NotFoundError('pods', name);
  }
  async waitFor(name: string, pred: (p: Pod) => boolean, opts: WaitOptions = {}): Promise<Pod> {
    const p = await this.getPod(name, opts.namespace);
    if (pred(p)) return p;
    throw new PodrunError('Timeout', 'timed out');
  }
  async waitDeleted(name: string, opts: WaitOptions = {}): Promise<boolean> {
    if (!this.pods.has(`${opts.namespace ?? 'default'}/${name}`)) return false;
    throw new PodrunError('Timeout', 'timed out');
  }
  async *logs(name: string, opts: LogOptions = {}): AsyncGenerator<string> {
    this.calls.push(`logs ${name} ${JSON.stringify(opts)}`);
    yield 'line 1';
    yield 'line 2';
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

async function cli(argv: string[], fake = new FakePodrun(), env: Record<string, string> = {}, stdinText = '') {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const io: CliIO = {
    stdin,
    stdout,
    stderr,
    terminal: { stdinIsTTY: () => false, setRaw: () => {}, size: () => undefined, onResize: () => () => {} },
    now: () => NOW,
  };
  const made: PodrunOptions[] = [];
  const notices: ((text: string) => void)[] = [];
  const code = await run(argv, io, env, (opts) => {
    // Every client gets the CLI's onNotice (its own test says it): the rest is compared.
    const { onNotice, ...rest } = opts;
    if (onNotice) notices.push(onNotice);
    made.push(rest);
    return fake as unknown as Podrun;
  });
  return { code, out: stdout.text, err: stderr.text, made, fake, notices, stderr };
}

t.test('get pods: the table, the empty message, -A', async (t) => {
  const fake = new FakePodrun([mkPod('web'), mkPod('db'), mkPod('other', 'prod')]);
  let r = await cli(['get', 'pods'], fake);
  t.equal(r.code, 0);
  t.equal(r.out, 'NAME   READY   STATUS    RESTARTS   AGE\ndb     1/1     Running   0          65s\nweb    1/1     Running   0          65s\n');
  t.same(r.made, [{ engine: 'spawn' }]);
  t.ok(fake.closed, 'the client is closed at the end');
  r = await cli(['get', 'po', '-n', 'empty']);
  t.equal(r.err, 'No resources found in empty namespace.\n');
  t.equal(r.code, 0);
  r = await cli(['get', 'pods', '-A', '--no-headers'], fake);
  t.equal(r.out.split('\n')[0], 'default     db      1/1     Running   0          65s');
  t.equal(r.out.split('\n')[2], 'prod        other   1/1     Running   0          65s');
});

t.test("the engine's notices: on stderr in the shape of kubectl's warnings", async (t) => {
  const r = await cli(['get', 'pods']);
  t.equal(r.notices.length, 1, 'the client is told where notices go');
  r.notices[0]!('resource limits are not enforced: no cgroup');
  t.equal(r.stderr.text, 'No resources found in default namespace.\nWarning: resource limits are not enforced: no cgroup\n');
});

t.test('get by name: pod NAME, pod/NAME, NotFound', async (t) => {
  const fake = new FakePodrun([mkPod('web')]);
  let r = await cli(['get', 'pod/web', '-o', 'name'], fake);
  t.equal(r.out, 'pod/web\n');
  r = await cli(['get', 'pod', 'web', 'nope'], fake);
  t.equal(r.code, 1);
  t.equal(r.err, 'Error from server (NotFound): pods "nope" not found\n');
  t.match(r.out, /^NAME +READY/);
  r = await cli(['get', 'widgets']);
  t.equal(r.err, 'error: the server doesn\'t have a resource type "widgets"\n');
  t.equal(r.code, 1);
});

t.test('get -o json / yaml: one object for one name, a List otherwise', async (t) => {
  const fake = new FakePodrun([mkPod('web')]);
  let r = await cli(['get', 'pod', 'web', '-o', 'json'], fake);
  const one = JSON.parse(r.out) as Pod;
  t.equal(one.kind, 'Pod');
  t.same(Object.keys(one), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  r = await cli(['get', 'pods', '-o=json'], fake);
  const list = JSON.parse(r.out) as { kind: string; items: Pod[] };
  t.equal(list.kind, 'List');
  t.equal(list.items.length, 1);
  r = await cli(['get', 'pods', '-o', 'yaml'], fake);
  t.match(r.out, /^apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n/);
  t.match(r.out, /\nkind: List\nmetadata:\n  resourceVersion: ""\n$/);
  r = await cli(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'], fake);
  t.equal(r.out, 'web');
  r = await cli(['get', 'pods', '-o', 'xml'], fake);
  t.match(r.err, /^error: unable to match a printer suitable for the output format "xml"/);
});

t.test('errors: one line, kubectl words, exit 1; stacks only with PODRUN_DEBUG=1', async (t) => {
  let r = await cli(['get', 'pods', '--x']);
  t.same([r.code, r.err], [1, 'error: unknown flag: --x\n']);
  r = await cli(['frobnicate']);
  t.same([r.code, r.err], [1, 'error: unknown command "frobnicate" for "podrun"\n']);
  r = await cli(['image']);
  t.same([r.code, r.err], [1, 'error: podrun image requires a subcommand: import, ls, rm, prune\n']);
  const failing = new FakePodrun();
  failing.apply = async () => {
    throw new ValidationError('spec.containers[1].image', 'Required value');
  };
  const dir = mkdtempSync(join(tmpdir(), 'podrun-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'p.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n');
  r = await cli(['apply', '-f', join(dir, 'p.yaml')], failing);
  t.same([r.code, r.err], [1, 'error: spec.containers[1].image: Required value\n']);
  failing.listPods = async () => {
    throw new PodrunError('Unsupported', 'user namespaces are disabled', 'sysctl -w kernel.unprivileged_userns_clone=1');
  };
  r = await cli(['get', 'pods'], failing);
  t.equal(r.err, 'error: user namespaces are disabled\nsysctl -w kernel.unprivileged_userns_clone=1\n');
  r = await cli(['get', 'pods'], failing, { PODRUN_DEBUG: '1' });
  t.match(r.err, /^error: user namespaces are disabled\nsysctl .*\nPodrunError: user namespaces are disabled\n\s+at /);
});

t.test('apply: files, directories, stdin, -n', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podrun-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n');
  writeFileSync(join(dir, 'a.json'), '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}');
  writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
  const fake = new FakePodrun();
  let r = await cli(['apply', '-f', dir, '-f', '-'], fake, {}, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n');
  t.equal(r.code, 0);
  t.equal(r.out, 'configmap/cfg created\npod/web created\nsecret/s created\n');
  t.same(
    fake.applied.map((a) => a.source),
    [join(dir, 'a.json'), join(dir, 'b.yaml'), '-'],
  );
  t.equal(fake.applied[0]!.objs[0]!.metadata?.namespace, undefined, 'no -n: namespace left to podrun');
  r = await cli(['apply', '-n', 'prod', '-f', join(dir, 'b.yaml')], fake);
  t.equal(fake.applied.at(-1)!.objs[0]!.metadata?.namespace, 'prod');
  r = await cli(['apply', '-f', join(dir, 'missing.yaml')]);
  t.equal(r.err, `error: the path "${join(dir, 'missing.yaml')}" does not exist\n`);
  r = await cli(['apply']);
  t.equal(r.err, 'error: must specify -f\n');
});

t.test('delete: names, NotFound, grace periods', async (t) => {
  const fake = new FakePodrun([mkPod('web'), mkPod('db')]);
  let r = await cli(['delete', 'pod', 'web', 'ghost', 'db', '--now'], fake);
  t.equal(r.code, 1);
  t.equal(r.out, 'pod "web" deleted\npod "db" deleted\n');
  t.equal(r.err, 'Error from server (NotFound): pods "ghost" not found\n');
  t.same(fake.calls, ['delete default/web grace=1', 'delete default/ghost grace=1', 'delete default/db grace=1']);
  const f2 = new FakePodrun([mkPod('web')]);
  r = await cli(['delete', 'pod/web', '--grace-period=0', '--force'], f2);
  t.match(r.err, /^Warning: Immediate deletion/);
  t.equal(r.out, 'pod "web" force deleted\n');
  t.same(f2.calls, ['delete default/web grace=0']);
  r = await cli(['delete', 'pod', 'x', '--now', '--grace-period', '5']);
  t.equal(r.err, 'error: --now and --grace-period cannot be specified together\n');
});

t.test('wait: conditions met, timeouts', async (t) => {
  const done = mkPod('job');
  done.status = { phase: 'Succeeded', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
  const fake = new FakePodrun([mkPod('web'), done]);
  let r = await cli(['wait', 'pod/web', '--for=condition=Ready'], fake);
  t.same([r.code, r.out], [0, 'pod/web condition met\n']);
  r = await cli(['wait', 'pod/job', "--for=jsonpath='{.status.containerStatuses[0].state.terminated.reason}'=Completed"], fake);
  t.same([r.code, r.out], [0, 'pod/job condition met\n']);
  r = await cli(['wait', 'pod/job', '--for', 'jsonpath={.status.phase}=Succeeded', '--timeout=1m'], fake);
  t.equal(r.out, 'pod/job condition met\n');
  r = await cli(['wait', 'pod/web', '--for=condition=Ready=false', '--timeout=1s'], fake);
  t.same([r.code, r.err], [1, 'error: timed out waiting for the condition on pods/web\n']);
  r = await cli(['wait', 'pod/web', '--for=condition=Ready', '--timeout=10'], fake);
  t.equal(r.err, 'error: invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"\n');
  r = await cli(['wait', 'pod/nope', '--for=condition=Ready'], fake);
  t.equal(r.err, 'Error from server (NotFound): pods "nope" not found\n');
  r = await cli(['wait', 'pod/web', '--for=delete', '--timeout=0s'], fake);
  t.same([r.code, r.err], [1, 'error: timed out waiting for the condition on pods/web\n']);
  r = await cli(['wait', 'pod/gone', '--for=delete'], fake);
  t.same([r.code, r.out, r.err], [0, '', ''], 'a pod that is not there has nothing to wait for');
});

t.test('logs: lines, options, the container choice', async (t) => {
  const two = mkPod('two');
  two.spec = { initContainers: [{ name: 'setup' }], containers: [{ name: 'a' }, { name: 'b' }] };
  const fake = new FakePodrun([mkPod('web'), two]);
  let r = await cli(['logs', 'web', '--tail=5', '-f', '--timestamps'], fake);
  t.equal(r.out, 'line 1\nline 2\n');
  t.same(fake.calls, ['logs web {"namespace":"default","container":"app","follow":true,"previous":false,"timestamps":true,"tailLines":5}']);
  r = await cli(['logs', 'two'], fake);
  t.equal(r.err, 'error: a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [setup]\n');
  r = await cli(['logs', 'two', '-c', 'zz'], fake);
  t.equal(r.err, 'error: container zz is not valid for pod two\n');
  r = await cli(['logs', 'pod/two', 'b', '-p'], fake);
  t.equal(r.code, 0);
  t.match(fake.calls.at(-1), /"container":"b","follow":false,"previous":true/);
});

t.test('exec: argument errors before any client call', async (t) => {
  let r = await cli(['exec', 'web', 'ls']);
  t.equal(r.err, 'error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\n');
  r = await cli(['exec', 'web', '--']);
  t.equal(r.err, 'error: you must specify at least one command for the container\n');
  const done = mkPod('job', 'default', { status: { phase: 'Succeeded' } });
  r = await cli(['exec', 'job', '--', 'ls'], new FakePodrun([done]));
  t.equal(r.err, 'error: cannot exec into a container in a completed pod; current phase is Succeeded\n');
});

t.test('images: ls like podman, rm, import flags; no engine', async (t) => {
  const fake = new FakePodrun();
  let r = await cli(['images', '--data-root', '/d'], fake);
  t.equal(
    r.out,
    [
      'REPOSITORY  TAG         IMAGE ID      CREATED       SIZE',
      'host        latest      aaaaaaaaaaaa  54 years ago  0 B',
      'local/app   v1          0123456789ab  3 hours ago   5.87 MB',
      '',
    ].join('\n'),
  );
  t.same(r.made, [{ dataRoot: '/d' }], 'listing images needs no engine');
  r = await cli(['rmi', 'local/app:v1', 'nope'], fake);
  t.equal(r.out, 'Untagged: local/app:v1\n');
  t.equal(r.err, 'error: image "nope:latest" not found\n');
  t.equal(r.code, 1);
  r = await cli(['image', 'import', './root', 'app', '--cmd', '["/bin/app","-v"]', '--entrypoint', '/init', '--env', 'A=1', '--env=B=2', '--workdir', '/w'], fake);
  t.equal(r.out, 'f'.repeat(64) + '\n');
  t.same(fake.calls, ['import ./root app {"entrypoint":["/init"],"cmd":["/bin/app","-v"],"env":["A=1","B=2"],"workingDir":"/w"}']);
  r = await cli(['image', 'import', './root', 'app', '--cmd', '[1]'], fake);
  t.equal(r.err, 'error: --cmd: the JSON array must hold strings only\n');
});

t.test('help, version, root from the environment', async (t) => {
  let r = await cli(['help']);
  t.match(r.out, /Commands:\n  apply /);
  r = await cli(['get', '--help']);
  t.match(r.out, /^List objects \(pods, deployments, replicasets, jobs, ...\), or show some by name\n\nUsage:\n  podrun get TYPE/);
  t.match(r.out, /-o, --output FORMAT/);
  r = await cli(['help', 'image', 'ls']);
  t.match(r.out, /Aliases: image list, images/);
  r = await cli(['version']);
  t.match(r.out, /^podrun version \d+\.\d+\.\d+\n$/);
  r = await cli(['get', 'pods'], new FakePodrun(), { PODRUN_ROOT: '/env-root', PODRUN_DATA_ROOT: '/env-data' });
  t.same(r.made, [{ root: '/env-root', dataRoot: '/env-data', engine: 'spawn' }]);
  r = await cli(['--root=/flag-root', 'get', 'pods'], new FakePodrun(), { PODRUN_ROOT: '/env-root' });
  t.same(r.made, [{ root: '/flag-root', engine: 'spawn' }]);
});
