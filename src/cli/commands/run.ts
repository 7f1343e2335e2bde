// podrun run NAME --image=IMAGE [-- ARGS...]: a bare pod of one container named NAME and
// labelled run=NAME, as kubectl run makes it (1.18 on: pods only). With -i or --attach it is
// followed to its end: -i passes stdin (and -t the terminal) through attach; --restart=Never
// (or OnFailure) waits for the pod's end and leaves with the container's exit code; --rm then
// deletes the pod. --dry-run prints the pod instead of creating it.
import { Writable } from 'node:stream';
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../api/manifest';
import { AlreadyExistsError, PodrunError } from '../../errors';
import type { Command, CommandContext } from '../context';
import { write } from '../context';
import { CHANGED_OUTPUT_FLAG, changedFormat, printChanged } from '../changed-output';
import { DRY_RUN_FLAG, dryRunOf, type DryRun } from '../dry-run';
import { dryRunApply } from '../../store/dry-run';
import { usageError } from '../report-error';
import { attachTo } from './attach';

type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** kubectl's default: OnFailure for an interactive pod, Always otherwise. */
export function restartPolicy(given: string | undefined, interactive: boolean): RestartPolicy {
  if (given === undefined || given === '') return interactive ? 'OnFailure' : 'Always';
  if (given === 'Always' || given === 'OnFailure' || given === 'Never') return given;
  throw usageError(`invalid restart policy: ${given}, valid values are: Always, OnFailure, Never`);
}

/** `--labels=a=b,c=d`, as kubectl run splits it (no selector syntax, every pair `k=v`). */
export function parseRunLabels(s: string | undefined): Record<string, string> | undefined {
  if (!s) return undefined;
  const out: Record<string, string> = {};
  for (const spec of s.split(',')) {
    const kv = spec.split('=');
    if (kv.length !== 2) throw usageError(`unexpected label spec: ${spec}`);
    if (kv[0] === '') throw usageError('unexpected empty label key');
    out[kv[0]!] = kv[1]!;
  }
  return out;
}

/** `--env=K=V`, each a C identifier-ish name (kubectl's IsEnvVarName) and a value. */
export function parseRunEnv(list: string[]): EnvVar[] {
  return list.map((e) => {
    const eq = e.indexOf('=');
    const name = eq < 0 ? '' : e.slice(0, eq);
    if (eq < 0 || !/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) throw usageError(`invalid env: ${e}`);
    return { name, value: e.slice(eq + 1) };
  });
}

export interface RunSpec {
  name: string;
  image: string;
  args: string[];
  command: boolean;
  env: EnvVar[];
  labels?: Record<string, string>;
  port?: number;
  restart: RestartPolicy;
  stdin: boolean;
  tty: boolean;
  /** With -n: the pod carries the namespace, as kubectl sets it when the namespace is enforced. */
  namespace?: string;
}

/** The pod kubectl run generates, field for field (what `--dry-run=client -o yaml` shows). */
export function runPod(s: RunSpec): Pod {
  const container: Container = {
    name: s.name,
    image: s.image,
    ...(s.args.length ? (s.command ? { command: s.args } : { args: s.args }) : {}),
    ...(s.env.length ? { env: s.env } : {}),
    ...(s.port !== undefined ? { ports: [{ containerPort: s.port }] } : {}),
    resources: {},
    ...(s.stdin ? { stdin: true, stdinOnce: true } : {}),
    ...(s.tty ? { tty: true } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { creationTimestamp: null as unknown as string, labels: s.labels ?? { run: s.name }, name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}) },
    spec: { containers: [container], dnsPolicy: 'ClusterFirst', restartPolicy: s.restart },
    status: {},
  };
}

/** The generated pod as it is sent: without the empty fields only the printed form has, in the namespace. */
function toCreate(pod: Pod, namespace: string): Pod {
  const { creationTimestamp: _t, ...metadata } = pod.metadata!;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, namespace }, spec: pod.spec };
}

/** The spec from the command line, checked in kubectl's order with kubectl's messages. */
function readSpec(ctx: CommandContext): { spec: RunSpec; attach: boolean; remove: boolean } {
  const name = ctx.args[0];
  if (!name) throw usageError('NAME is required for run');
  const image = ctx.flags.string('image');
  if (!image) throw usageError('required flag(s) "image" not set');
  const interactive = ctx.flags.bool('stdin');
  const tty = ctx.flags.bool('tty');
  if (tty && !interactive) throw usageError('-i/--stdin is required for containers with -t/--tty=true');
  const portText = ctx.flags.string('port');
  if (portText !== undefined && portText !== '' && !/^[+-]?\d+$/.test(portText)) throw usageError('--port must be a number');
  // -i attaches unless --attach=false says otherwise.
  const attach = ctx.flags.has('attach') ? ctx.flags.bool('attach') : interactive;
  const remove = ctx.flags.bool('rm');
  if (!attach && remove) throw usageError('--rm should only be used for attached containers');
  const spec: RunSpec = {
    name,
    image,
    // Words after NAME, and after `--`, are the container's args (its command with --command).
    args: [...ctx.args.slice(1), ...(ctx.afterDash ?? [])],
    command: ctx.flags.bool('command'),
    env: parseRunEnv(ctx.flags.list('env')),
    labels: parseRunLabels(ctx.flags.string('labels')),
    restart: restartPolicy(ctx.flags.string('restart'), interactive),
    stdin: interactive,
    tty,
    ...(portText ? { port: Number(portText) } : {}),
    ...(ctx.namespaceGiven ? { namespace: ctx.namespace } : {}),
  };
  return { spec, attach, remove };
}

/**
 * What the API server would answer to a dry-run create (store/dry-run.ts: checked and defaulted
 * as apply would, nothing kept), with the status a new pod starts with.
 */
async function serverDryRun(ctx: CommandContext, pod: Pod): Promise<Pod> {
  const name = pod.metadata!.name!;
  const exists = await ctx
    .podrun()
    .getPod(name, ctx.namespace)
    .then(
      () => true,
      () => false,
    );
  if (exists) throw new AlreadyExistsError('pods', name);
  const { object } = dryRunApply(toCreate(pod, ctx.namespace) as unknown as KubeObject, undefined, new Date(ctx.io.now()).toISOString().replace(/\.\d+Z$/, 'Z'));
  return { ...(object as unknown as Pod), status: { phase: 'Pending', qosClass: 'BestEffort' } };
}

async function printPod(ctx: CommandContext, pod: Pod, dryRun: DryRun): Promise<void> {
  await printChanged(ctx, [{ kind: 'Pod', name: pod.metadata!.name!, action: 'created', object: pod as unknown as KubeObject }], dryRun);
}

/** kubectl's `Error from server (AlreadyExists): pods "x" already exists`, and exit 1. */
async function alreadyExists(ctx: CommandContext, err: unknown): Promise<number | undefined> {
  if (!(err instanceof PodrunError) || err.code !== 'AlreadyExists') return undefined;
  await write(ctx.io.stderr, `Error from server (AlreadyExists): ${err.message}\n`);
  return 1;
}

const completed = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/**
 * Attached: the output (and input) until the container ends, then the exit code kubectl gives
 * and the error it prints, which comes after the --rm line (kubectl's removal is deferred).
 */
async function follow(ctx: CommandContext, spec: RunSpec, remove: boolean): Promise<{ code: number; error?: string }> {
  const client = ctx.podrun();
  const ns = ctx.namespace;
  const name = spec.name;
  try {
    // kubectl's --pod-running-timeout default: a minute.
    const pod = await client.waitFor(name, (p) => p.status?.phase === 'Running' || completed(p), { namespace: ns, timeoutMs: 60_000 });
    // Log lines printed so far, and whether attach printed anything: a container that ends
    // between the two (a quick command) has its output only in the log.
    let printed = 0;
    let attached = false;
    if (completed(pod) || !spec.stdin) {
      // Nothing to send: the log has all of the output, from its first line (attach would miss
      // what came before it connected).
      for await (const line of client.logs(name, { namespace: ns, follow: true })) await write(ctx.io.stdout, line + '\n');
      attached = true;
    } else {
      // What it printed before attach connects, then the attached streams (kubectl does the same).
      for await (const line of client.logs(name, { namespace: ns })) {
        await write(ctx.io.stdout, line + '\n');
        printed++;
      }
      if (spec.tty && ctx.io.terminal.stdinIsTTY()) await write(ctx.io.stderr, "If you don't see a command prompt, try pressing enter.\n");
      const seen = (to: Writable) => new Writable({ write: (chunk: Buffer, _e, cb) => ((attached = true), to.write(chunk, cb)) });
      try {
        await attachTo({ ...ctx, io: { ...ctx.io, stdout: seen(ctx.io.stdout), stderr: seen(ctx.io.stderr) } }, name, name, true, spec.tty);
      } catch (e) {
        // It ended before attach reached it: its output is in the log (kubectl falls back the same way).
        if (!(e instanceof PodrunError && e.code === 'Conflict')) throw e;
      }
    }
    if (spec.restart === 'Always') return { code: 0 };
    const done = await client.waitFor(name, spec.restart === 'Never' ? completed : (p) => p.status?.phase === 'Succeeded', { namespace: ns, timeoutMs: 24 * 3600_000 });
    if (!attached) {
      let n = 0;
      for await (const line of client.logs(name, { namespace: ns })) if (n++ >= printed) await write(ctx.io.stdout, line + '\n');
    }
    if (done.status?.phase === 'Succeeded') return { code: 0 };
    const terminated = done.status?.containerStatuses?.[0]?.state?.terminated;
    if (!terminated || terminated.exitCode === 0) return { code: 1, error: `error: pod ${ns}/${name} failed with unknown exit code\n` };
    const message = terminated.message ? `${terminated.message}\n` : '';
    return { code: terminated.exitCode, error: `pod ${ns}/${name} terminated (${terminated.reason ?? 'Error'})\n${message}` };
  } finally {
    if (remove) {
      await client.deletePod(name, { namespace: ns }).then(
        () => write(ctx.io.stdout, `pod "${name}" deleted\n`),
        () => undefined,
      );
    }
  }
}

export const runCommand: Command = {
  path: ['run'],
  usage: 'run NAME --image=IMAGE [--restart=Always|OnFailure|Never] [--env=K=V]... [--labels=K=V,...] [--port=N] [--command] [--rm] [-i] [-t] [--attach] [--dry-run=client|server] [-o yaml|json|name] [-- ARGS...]',
  summary: 'Run a particular image in a pod',
  details: [
    'Examples:',
    '  podrun run web --image=nginx --port=80',
    '  podrun run -i --rm --restart=Never tmp --image=busybox -- sh -c "cat /etc/hostname"',
    '  podrun run -it shell --image=busybox --rm --restart=Never -- sh',
    '  podrun run web --image=nginx --dry-run=client -o yaml',
  ].join('\n'),
  flags: [
    { name: 'image', kind: 'string', value: 'IMAGE', help: 'the image of the container' },
    { name: 'restart', kind: 'string', value: 'POLICY', help: 'Always (default), OnFailure (default with -i) or Never' },
    { name: 'env', kind: 'list', value: 'K=V', help: 'an environment variable of the container (repeatable)' },
    { name: 'labels', short: 'l', kind: 'string', value: 'K=V,...', help: 'the labels of the pod (default run=NAME)' },
    { name: 'port', kind: 'string', value: 'PORT', help: 'the port the container exposes' },
    { name: 'command', kind: 'bool', help: 'the words after -- are the command, not the arguments' },
    { name: 'rm', kind: 'bool', help: 'delete the pod once its attached session ends' },
    { name: 'stdin', short: 'i', kind: 'bool', help: "keep stdin open and pass this one to the container's" },
    { name: 'tty', short: 't', kind: 'bool', help: 'give the container a terminal (with -i)' },
    { name: 'attach', kind: 'bool', help: 'wait for the pod to run and print its output (default with -i)' },
    DRY_RUN_FLAG,
    CHANGED_OUTPUT_FLAG,
  ],
  engine: 'spawn',
  takesCommand: true,
  async run(ctx) {
    const { spec, attach, remove } = readSpec(ctx);
    const dryRun = dryRunOf(ctx.flags, (line) => void ctx.io.stderr.write(line));
    if (attach && dryRun !== 'none') throw usageError("--dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or --tty)");
    changedFormat(ctx); // a bad -o fails before anything is made
    const pod = runPod(spec);
    try {
      if (dryRun === 'client') return await printPod(ctx, pod, dryRun).then(() => 0);
      if (dryRun === 'server') return await printPod(ctx, await serverDryRun(ctx, pod), dryRun).then(() => 0);
      const created = await ctx.podrun().createPod(toCreate(pod, ctx.namespace));
      if (!attach) {
        await printPod(ctx, created, dryRun);
        return 0;
      }
    } catch (err) {
      const code = await alreadyExists(ctx, err);
      if (code !== undefined) return code;
      throw err;
    }
    const { code, error } = await follow(ctx, spec, remove);
    if (error) await write(ctx.io.stderr, error);
    return code;
  },
};
