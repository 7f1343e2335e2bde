// Target: seccomp profiles, as a Localhost profile reaches the engine (src/seccomp). Inputs are
// podrun's RuntimeDefault and a profile of argument rules, mutated (a field set to any JSON
// value, removed, or added; then bytes of the text flipped, cut or repeated) and arbitrary text,
// with a random capability set. Each is parsed; one that parses is resolved and compiled, and the
// filter, run through the BPF interpreter on calls of its own names with edge-case arguments,
// must answer what the rules read the obvious way answer (the first rule of the call whose
// comparisons all hold, else the default). The only errors allowed are a ProfileError and the
// kernel's 4096-instruction limit; any other, or a wrong answer, is a finding.
'use strict';

const path = require('node:path');
const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const { parseProfile, ProfileError } = require(path.join(dist, 'seccomp', 'profile'));
const { applicableRules } = require(path.join(dist, 'seccomp', 'resolve'));
const { actionValue, AUDIT_ARCH_X86_64, compile, SYSCALLS } = require(path.join(dist, 'seccomp', 'compile'));
const { runFilter } = require(path.join(dist, 'seccomp', 'interpret'));
const runtimeDefault = require(path.join(dist, 'seccomp', 'runtime-default.json'));
const { FuzzFinding } = require('../fuzz-lib');
const { mutate, textMutate } = require('../mutators');

const CAPS = ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_SYS_CHROOT', 'CAP_BPF', 'CAP_SYS_TIME'];
const VALUES = [0, 1, 2, 38, 40, 0xff, 0x7e020000, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
const ARGS = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 13,
  syscalls: [
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }] },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }, { index: 1, value: 2 ** 32, op: 'SCMP_CMP_GE' }] },
    { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 2, value: 0o777, op: 'SCMP_CMP_GT' }] },
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
  ],
};
const SEEDS = [runtimeDefault, ARGS];
const SPECIAL = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_XX', 'CAP_SYS_ADMIN', 'amd64', 'x32', '4.8', 'read', 'chown32', 'mkdirr', -1, 6, 65536, 2 ** 64, 1.5];

function holds(c, a) {
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
  throw new FuzzFinding(`an operator the parser let through: ${c.op}`);
}

module.exports = {
  name: 'seccomp',
  async setup() {
    return {};
  },
  input(fc) {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...SPECIAL), fc.integer(), fc.constant(null));
    const edit = fc.record({ op: fc.constantFrom('set', 'delete', 'add'), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('names', 'action', 'args', 'errnoRet', 'includes', 'excludes', 'caps', 'arches', 'minKernel', 'op', 'value', 'valueTwo', 'index')), value });
    const cut = fc.record({ op: fc.constantFrom('flip', 'cut', 'dup'), at: fc.nat(), ch: fc.integer({ min: 0, max: 0x7f }) });
    const text = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(edit, { maxLength: 4 })).map(([s, edits]) => JSON.stringify(mutate(SEEDS[s], edits))) },
      { weight: 2, arbitrary: fc.tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(cut, { minLength: 1, maxLength: 3 })).map(([s, cuts]) => textMutate(JSON.stringify(SEEDS[s]), cuts)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    );
    const call = fc.record({ pick: fc.nat(), args: fc.array(fc.oneof(fc.constantFrom(...VALUES), fc.nat()), { minLength: 6, maxLength: 6 }) });
    return fc.record({ text, caps: fc.subarray(CAPS), calls: fc.array(call, { minLength: 1, maxLength: 8 }) });
  },
  async run({ text, caps, calls }) {
    let p;
    try {
      p = parseProfile(text);
    } catch (e) {
      if (e instanceof ProfileError) return;
      throw e;
    }
    const rules = applicableRules(p, { caps: new Set(caps), arch: 'amd64', kernel: [6, 18, 0] });
    let filter;
    try {
      filter = compile(p, rules);
    } catch (e) {
      if (/more than the kernel's 4096/.test(e.message)) return;
      throw e;
    }
    const names = [...new Set(rules.flatMap((r) => r.names))].filter((n) => SYSCALLS[n] !== undefined);
    if (names.length === 0) return;
    for (const c of calls) {
      const name = names[c.pick % names.length];
      const args = c.args.map((a) => BigInt(a));
      const want = (() => {
        for (const r of rules) if (r.names.includes(name) && r.args.every((x) => holds(x, args[x.index]))) return actionValue(r.action, r.errnoRet);
        return actionValue(p.defaultAction, p.defaultErrnoRet);
      })();
      const got = runFilter(filter, { nr: SYSCALLS[name], arch: AUDIT_ARCH_X86_64, args });
      if (got !== want) throw new FuzzFinding(`${name}(${args.join(', ')}): the filter answers 0x${got.toString(16)}, the rules 0x${want.toString(16)}`);
    }
  },
  async teardown() {},
};
