import t from 'tap';
import { actionValue, AUDIT_ARCH_X86_64, compile, RET, SYSCALLS } from '../../src/seccomp/compile';
import { runFilter } from '../../src/seccomp/interpret';
import { checkProfile, parseProfile, type ArgCmp, type Profile } from '../../src/seccomp/profile';
import { applicableRules } from '../../src/seccomp/resolve';
import runtimeDefault from '../../src/seccomp/runtime-default.json';

const X86_64 = AUDIT_ARCH_X86_64;
const ERRNO = (e: number) => (RET.ERRNO | e) >>> 0;
const EPERM = ERRNO(1);
const ENOSYS = ERRNO(38);
const nr = (name: string) => SYSCALLS[name];

function filterFor(p: Profile, caps: string[] = []): Buffer {
  return compile(p, applicableRules(p, { caps: new Set(caps), arch: 'amd64', kernel: [6, 18, 0] }));
}
const call = (f: Buffer, name: string | number, args: (number | bigint)[] = [], arch = X86_64) =>
  runFilter(f, { nr: typeof name === 'number' ? name : nr(name), arch, args: args.map(BigInt) });

t.test('RuntimeDefault: allowed, denied, unknown, argument rules', async (t) => {
  const p = checkProfile(runtimeDefault);
  const f = filterFor(p, ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_SYS_CHROOT']);
  t.ok(f.length / 8 < 200, `small: ${f.length / 8} instructions`);
  for (const n of ['read', 'write', 'openat', 'execve', 'exit_group', 'wait4', 'rt_sigreturn', 'arch_prctl', 'chroot', 'ptrace', 'statmount', 'uretprobe']) t.equal(call(f, n), RET.ALLOW, `${n} allowed`);
  for (const n of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'keyctl', 'add_key', 'request_key', 'unshare', 'mount', 'setns', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'kexec_load', 'reboot', 'init_module']) t.equal(call(f, n), EPERM, `${n} EPERM`);
  t.equal(call(f, 'clone3'), ENOSYS, 'clone3: ENOSYS, libc falls back to clone');
  t.equal(call(f, 'clone', [0x11]), RET.ALLOW, 'clone for fork');
  t.equal(call(f, 'clone', [0x003d0f00]), RET.ALLOW, 'clone for a thread');
  t.equal(call(f, 'clone', [0x10000000 | 0x11]), EPERM, 'clone with CLONE_NEWUSER');
  t.equal(call(f, 'clone', [0x20000]), EPERM, 'clone with CLONE_NEWNS');
  t.equal(call(f, 'socket', [2]), RET.ALLOW, 'AF_INET');
  t.equal(call(f, 'socket', [38]), EPERM, 'AF_ALG');
  t.equal(call(f, 'socket', [39]), RET.ALLOW, 'AF_KCM');
  t.equal(call(f, 'socket', [40]), EPERM, 'AF_VSOCK');
  t.equal(call(f, 'socket', [41]), RET.ALLOW);
  t.equal(call(f, 'socket', [(1n << 32n) | 2n]), RET.ALLOW, 'a high half above the value compares greater');
  t.equal(call(f, 'personality', [0]), RET.ALLOW);
  t.equal(call(f, 'personality', [0xffffffff]), RET.ALLOW);
  t.equal(call(f, 'personality', [0x0040000]), EPERM, 'READ_IMPLIES_EXEC');
  t.equal(call(f, 471), ENOSYS, 'a number past the table');
  t.equal(call(f, 400), ENOSYS, 'a gap in the table');
  t.equal(call(f, 0xffffffff), ENOSYS, '-1');
  t.equal(call(f, 0x40000000 | 1), RET.KILL_PROCESS, 'x32 is killed');
  t.equal(call(f, 1, [], 0x40000003), RET.KILL_PROCESS, 'i386 is killed');
  const admin = filterFor(p, ['CAP_SYS_ADMIN']);
  for (const n of ['unshare', 'mount', 'setns', 'clone3']) t.equal(call(admin, n), RET.ALLOW, `${n} with CAP_SYS_ADMIN`);
  t.equal(call(admin, 'clone', [0x10000000]), RET.ALLOW);
});

t.test('every action and the default', async (t) => {
  const p = parseProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 13,
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 },
      { names: ['getpid'], action: 'SCMP_ACT_KILL' },
      { names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['gettid'], action: 'SCMP_ACT_TRAP' },
      { names: ['getuid'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
      { names: ['getgid'], action: 'SCMP_ACT_LOG' },
      { names: ['getegid'], action: 'SCMP_ACT_ERRNO' },
      { names: ['read'], action: 'SCMP_ACT_ERRNO' },
    ],
  }));
  const f = filterFor(p);
  t.equal(call(f, 'read'), RET.ALLOW, 'the first unconditional rule wins');
  t.equal(call(f, 'mkdirat'), ERRNO(122));
  t.equal(call(f, 'mkdir'), ERRNO(122));
  t.equal(call(f, 'getpid'), RET.KILL_THREAD);
  t.equal(call(f, 'getppid'), RET.KILL_PROCESS);
  t.equal(call(f, 'gettid'), RET.TRAP);
  t.equal(call(f, 'getuid'), (RET.TRACE | 7) >>> 0);
  t.equal(call(f, 'getgid'), RET.LOG);
  t.equal(call(f, 'getegid'), EPERM, 'ERRNO without errnoRet: EPERM');
  t.equal(call(f, 'write'), ERRNO(13), 'defaultErrnoRet');
  t.equal(call(f, 471), ENOSYS);
  const allow = filterFor(parseProfile('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'));
  t.equal(call(allow, 471), RET.ALLOW, 'a deny-list profile lets unknown calls through');
  t.equal(call(allow, 'mkdir'), EPERM);
});

// A reference: the rules read the obvious way (first matching rule of the call, else the default).
function expected(p: Profile, name: string, args: bigint[]): number {
  for (const r of p.syscalls) {
    if (!r.names.includes(name)) continue;
    if (r.args.every((c) => cmp(c, args[c.index] ?? 0n))) return actionValue(r.action, r.errnoRet);
  }
  return actionValue(p.defaultAction, p.defaultErrnoRet);
}
function cmp(c: ArgCmp, a: bigint): boolean {
  const v = BigInt(c.value);
  switch (c.op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === BigInt(c.valueTwo);
  }
}

t.test('fuzz: random argument rules agree with the reference', async (t) => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'] as const;
  const interesting = [0, 1, 2, 0xff, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
  const value = () => (rnd(3) ? interesting[rnd(interesting.length)] : rnd(2 ** 31));
  const names = Object.keys(SYSCALLS);
  let checks = 0;
  for (let round = 0; round < 60; round++) {
    const pool = Array.from({ length: 1 + rnd(40) }, () => names[rnd(names.length)]);
    const rules = Array.from({ length: 1 + rnd(30) }, () => ({
      names: [pool[rnd(pool.length)], ...(rnd(3) ? [] : [pool[rnd(pool.length)]])],
      action: (['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_LOG'] as const)[rnd(4)],
      args: Array.from({ length: rnd(3) ? rnd(3) : 0 }, () => ({ index: rnd(6), value: value(), valueTwo: value(), op: ops[rnd(ops.length)] })),
    }));
    // An unconditional rule after conditional ones is what moby's files have; either order is checked.
    const p = parseProfile(JSON.stringify({ defaultAction: rnd(2) ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_TRAP', defaultErrnoRet: 1 + rnd(100), syscalls: rules }));
    const f = filterFor(p);
    for (let i = 0; i < 200; i++) {
      const name = rnd(4) ? pool[rnd(pool.length)] : names[rnd(names.length)];
      const args = Array.from({ length: 6 }, () => BigInt(value()) + (rnd(4) ? 0n : BigInt(rnd(3)) - 1n)).map((a) => BigInt.asUintN(64, a));
      const got = call(f, name, args);
      const want = expected(p, name, args);
      if (got !== want) {
        t.fail(`round ${round}: ${name}(${args.join(', ')}) got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
        return;
      }
      checks++;
    }
  }
  t.pass(`${checks} calls agree`);
});

t.test('far jumps are widened: a profile of every call with argument rules', async (t) => {
  const names = Object.keys(SYSCALLS);
  const p = parseProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: names.map((n, i) => ({ names: [n], action: 'SCMP_ACT_ALLOW', args: [{ index: i % 6, value: i, op: 'SCMP_CMP_EQ' }] })),
  }));
  const f = filterFor(p);
  t.ok(f.length / 8 > 1000, `${f.length / 8} instructions`);
  names.forEach((n, i) => {
    const args = [0, 0, 0, 0, 0, 0];
    args[i % 6] = i;
    if (call(f, n, args) !== RET.ALLOW || call(f, n, args.map((a) => a + 1)) !== EPERM) t.fail(n);
  });
  t.pass('every call answered through widened jumps');
  const huge = parseProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: names.map((n, i) => ({ names: [n], action: 'SCMP_ACT_ALLOW', args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: 2 ** 40 + i, op: 'SCMP_CMP_LE' })) })) }));
  t.throws(() => filterFor(huge), /more than the kernel's 4096/);
});
