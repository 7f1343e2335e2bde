// Seccomp, as root and rootless, on one root: a container that says nothing runs under
// RuntimeDefault (Seccomp: 2; unshare, keyctl, io_uring refused with EPERM, clone3 answered
// ENOSYS while fork still works), its Unconfined twin is allowed the same calls, a Localhost
// profile answers mkdir with the errno it chose, exec and postStart hooks run under their
// container's filter; Localhost profiles that are missing, malformed or wrong fail their
// container with CreateContainerError naming the path and the field, and nothing starts; a path
// out of the seccomp folder is refused at validation. Then through bin/podrun with defaults only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerStatus } from 'kubernetes-types/core/v1';
import t from 'tap';
import { cliEnv, missingCli } from './cli-harness';
import { native } from '../../src/native';
import { ShimClient } from '../../src/runtime/shim-client';
import { coveredBySubidRun, execOut, IMAGE, isRunning, logs, missingBusybox, missingFeature, payload, pod, podPaths, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const SLEEP = ['--then', 'sleep', '3600'];
const seccompLine = (status: string) => /^Seccomp:\s*(\d)$/m.exec(status)?.[1];

t.test('profiles in containers, exec and hooks; bad Localhost profiles start nothing', async (t) => {
  const env = await setup(t);
  const dir = path.join(env.dataRoot, 'seccomp');
  fs.mkdirSync(path.join(dir, 'profiles'), { recursive: true });
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, 'profiles', name), text);
  // EDQUOT (122): an errno nothing else would answer mkdir with here.
  write('deny-mkdir.json', JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }] }));
  write('malformed.json', '{"defaultAction": "SCMP_ACT_ERRNO", ');
  write('bad-action.json', JSON.stringify({ defaultAction: 'SCMP_ACT_FOO' }));
  write('bad-name.json', JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirr'], action: 'SCMP_ACT_ERRNO' }] }));
  const localhost = (file: string) => ({ seccompProfile: { type: 'Localhost', localhostProfile: `profiles/${file}` } });

  await env.podrun.createPod(
    pod('sec', {
      terminationGracePeriodSeconds: 0,
      containers: [
        { ...payload('dflt', 'sleep', '3600'), lifecycle: { postStart: { exec: { command: ['/bin/sh', '-c', 'grep Seccomp: /proc/self/status > /hook-status'] } } } },
        { ...payload('free', 'sleep', '3600'), securityContext: { seccompProfile: { type: 'Unconfined' } } },
        { ...payload('local', 'sleep', '3600'), securityContext: localhost('deny-mkdir.json') },
        // Without no_new_privs the filter is loaded before the uid change drops CAP_SYS_ADMIN.
        { ...payload('esc', 'sleep', '3600'), securityContext: { runAsUser: 1000, allowPrivilegeEscalation: true } },
      ],
    }),
  );
  await env.podrun.createPod(
    pod('bad', {
      terminationGracePeriodSeconds: 0,
      containers: ['nope.json', 'malformed.json', 'bad-action.json', 'bad-name.json'].map((f, i) => ({ ...payload(`c${i}`, 'sleep', '3600'), securityContext: localhost(f) })),
    }),
  );
  await env.podrun.waitFor('sec', isRunning, { timeoutMs: 30_000 });
  const run = async (c: string, argv: string[]) => execOut(env.podrun, 'sec', argv, { container: c });
  const attempt = async (c: string, ...args: string[]) => (await run(c, ['/payload', 'try', ...args])).stdout.trim();

  t.equal(seccompLine((await run('dflt', ['/bin/cat', '/proc/1/status'])).stdout), '2', "a container that says nothing is filtered (its pid 1's Seccomp: 2)");
  t.equal(seccompLine((await run('dflt', ['/bin/cat', '/proc/self/status'])).stdout), '2', 'exec runs under the container filter');
  t.equal(seccompLine((await run('dflt', ['/bin/cat', '/hook-status'])).stdout), '2', 'so does the postStart hook');
  t.equal(seccompLine((await run('free', ['/bin/cat', '/proc/1/status'])).stdout), '0', 'Unconfined is not filtered');
  t.equal(seccompLine((await run('free', ['/bin/cat', '/proc/self/status'])).stdout), '0', 'nor is exec into it');
  t.equal(seccompLine((await run('local', ['/bin/cat', '/proc/1/status'])).stdout), '2', 'Localhost is filtered');
  const esc = (await run('esc', ['/bin/cat', '/proc/1/status'])).stdout;
  t.same([seccompLine(esc), /^NoNewPrivs:\s*(\d)$/m.exec(esc)?.[1], /^Uid:\s*(\d+)/m.exec(esc)?.[1]], ['2', '0', '1000'], 'allowPrivilegeEscalation, uid 1000: filtered all the same');
  const escExec = (await run('esc', ['/bin/cat', '/proc/self/status'])).stdout;
  t.same([seccompLine(escExec), /^Uid:\s*(\d+)/m.exec(escExec)?.[1]], ['2', '1000'], 'and so is exec into it');
  await env.podrun.addEphemeralContainer('sec', { name: 'dbg', image: IMAGE, command: ['/bin/grep', 'Seccomp:', '/proc/self/status'] });
  const dbg = await env.podrun.waitFor('sec', (p) => !!p.status?.ephemeralContainerStatuses?.find((s) => s.name === 'dbg')?.state?.terminated, { timeoutMs: 20_000 });
  t.equal(dbg.status!.ephemeralContainerStatuses!.find((s) => s.name === 'dbg')!.state!.terminated!.exitCode, 0);
  t.match((await logs(env.podrun, 'sec', { container: 'dbg' })).join('\n'), /^Seccomp:\s+2$/m, 'an ephemeral container gets RuntimeDefault too');
  for (const [what, denied, allowed] of [
    [['unshare-user'], 'EPERM', 'ok'],
    [['keyctl'], 'EPERM', 'ok'],
    [['io-uring'], 'EPERM', 'ok'],
    [['clone3-newuser'], 'ENOSYS', 'ok'],
  ] as const) {
    t.equal(await attempt('dflt', ...what), denied, `RuntimeDefault: ${what.join(' ')} -> ${denied}`);
    t.equal(await attempt('free', ...what), allowed, `Unconfined: ${what.join(' ')} -> ${allowed}`);
  }
  const fork = await run('dflt', ['/bin/sh', '-c', '/bin/true & wait $!; echo forked $?']);
  t.equal(fork.stdout, 'forked 0\n', 'busybox sh still forks (clone without namespace flags), clone3 aside');
  const mk = await run('local', ['/bin/mkdir', '/tmp/made']);
  t.not(mk.exitCode, 0);
  t.match(mk.stderr, /Disk quota exceeded/, 'the Localhost profile answers mkdir with its errno (EDQUOT)');
  t.equal((await run('dflt', ['/bin/mkdir', '/tmp/made'])).exitCode, 0, 'RuntimeDefault allows mkdir');

  const bad = await env.podrun.waitFor('bad', (p) => (p.status?.containerStatuses ?? []).filter((s) => s.state?.waiting?.reason === 'CreateContainerError').length === 4, { timeoutMs: 30_000 });
  const status = (name: string) => bad.status!.containerStatuses!.find((s) => s.name === name) as ContainerStatus;
  const message = (name: string) => status(name).state?.waiting?.message ?? '';
  t.match(message('c0'), `cannot load seccomp profile "${path.join(dir, 'profiles', 'nope.json')}": no such file or directory`, 'a missing profile names its path');
  t.match(message('c1'), /seccomp profile ".*malformed\.json" is invalid: malformed JSON/);
  t.match(message('c2'), 'is invalid: defaultAction: unknown action "SCMP_ACT_FOO"');
  t.match(message('c3'), 'is invalid: syscalls[0].names[0]: unknown system call "mkdirr"');
  for (const c of ['c0', 'c1', 'c2', 'c3']) {
    t.notOk(status(c).containerID, `${c}: no container was made`);
    t.equal(status(c).restartCount, 0);
  }
  t.equal(bad.status?.phase, 'Pending', 'never unconfined: the pod does not run');

  // The plan's seccomp key and exec's are required, never defaulted (unconfined is null, said).
  const shim = await ShimClient.connect(podPaths(env, await env.podrun.getPod('sec')).shimSocket);
  t.teardown(() => shim.close());
  const at = (f: string) => path.join(env.scratch, f);
  const base = { name: 'bad', attempt: 0, root: at('root'), newPidns: true, readonlyRoot: false, uid: 0, gid: 0, groups: [], setGroups: true, capBounding: 0, capEffective: 0, noNewPrivs: true, cwd: '/', tty: false, stdin: false, logPath: at('log'), startPath: at('start'), exitPath: at('exit'), logMaxSize: 0, logMaxFiles: 1, cgroup: { procs: [], oomCounter: '' }, nodev: true, maskedPaths: [], readonlyPaths: [], ops: [], argv: ['/bin/true'], env: [] };
  for (const [what, seccomp, want] of [
    ['no seccomp', undefined, /^start: container\.seccomp: Required value$/],
    ['seccomp a string', 'ffff', /^start: container\.seccomp: Invalid value: must be null or an object$/],
    ['no filter', {}, /^start: container\.seccomp\.filter: Required value$/],
    ['half an instruction', { filter: '0600' }, /seccomp filter .*not a whole number of instructions/],
    ['not hex', { filter: 'zz'.repeat(8) }, /seccomp filter .*not hexadecimal/],
  ] as const) {
    await t.rejects(shim.start(JSON.parse(JSON.stringify({ ...base, seccomp }))), want, `the shim refuses a plan with ${what}`);
  }
  const exec = { pidfd: -1, nsFlags: 0, uid: 0, gid: 0, groups: [], setGroups: false, capBounding: 0n, capEffective: 0n, noNewPrivs: true, cwd: '/', argv: ['/bin/true'], env: [], path: '', tty: false, cgroupProcs: [] };
  t.throws(() => native.exec({ ...exec } as never), /seccomp is required: null or the filter in hex/, 'the addon refuses an exec without seccomp');
  t.throws(() => native.exec({ ...exec, seccomp: '0600' }), /not a whole number of instructions/, 'or with half an instruction');

  await t.rejects(
    env.podrun.createPod(pod('escape', { containers: [{ ...payload('c', 'sleep', '1'), securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../../escape.json' } } }] })),
    { message: /spec\.containers\[0\]\.securityContext\.seccompProfile\.localhostProfile: Invalid value: "\.\.\/\.\.\/escape\.json": must not contain '\.\.'/ },
    'a Localhost path out of the seccomp folder is refused at validation',
  );
  t.notOk((await env.podrun.listPods()).some((p) => p.metadata?.name === 'escape'), 'and nothing is created');
});

t.test('bin/podrun, defaults only: a pod is filtered, describe says so', { skip: missingCli() }, async (t) => {
  const e = await cliEnv(t, 'podrun-seccomp-');
  const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: plain\nspec:\n  containers:\n  - name: c\n    image: ${IMAGE}\n    command: ["/bin/sh", "-c", "grep Seccomp: /proc/self/status; /payload try unshare-user; exec sleep 3600"]\n`;
  fs.writeFileSync(path.join(e.dir, 'p.yaml'), yaml);
  const r = e.run(['apply', '-f', path.join(e.dir, 'p.yaml')]);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /seccomp/i, 'no warning: the profile is applied');
  t.equal(e.run(['wait', '--for=condition=Ready', 'pod/plain', '--timeout=60s']).status, 0);
  const ex = e.run(['exec', 'plain', '--', '/bin/grep', 'Seccomp:', '/proc/self/status']);
  t.match(ex.stdout, /^Seccomp:\s+2$/m, 'exec: Seccomp 2');
  let logs = '';
  for (let i = 0; i < 50 && !logs.includes('EPERM'); i++) logs = e.run(['logs', 'plain']).stdout;
  t.match(logs, /^Seccomp:\s+2\nEPERM$/m, 'the container: Seccomp 2, unshare -U refused with EPERM');
  t.match(e.run(['describe', 'pod', 'plain']).stdout, /^ {4}Seccomp:\s+RuntimeDefault$/m, 'describe shows the profile');
});
