// A profile's rules for one container, compiled to a classic BPF program (struct sock_filter[])
// for seccomp(SECCOMP_SET_MODE_FILTER). podrun compiles its own filters rather than linking
// libseccomp: seccomp then needs no build dependency (libseccomp-dev) and works wherever podrun
// builds, and the filter can answer what libseccomp cannot express: a call the profile's table
// does not know (newer than this table) gets ENOSYS, so libc falls back to an older call, while
// a known call the profile does not allow gets the profile's default (EPERM). runc patches
// libseccomp's output for the same reason.
//
// The program:
//   1. seccomp_data.arch must be x86_64. i386 (int 0x80) and x32 (numbers with bit 30 set) are
//      killed: podrun carries no table for them, so it cannot filter them by name, and letting
//      them through unfiltered would be an escape from the filter; a 32-bit program thus dies at
//      its first call (SIGSYS) rather than looping on errors.
//   2. A binary search over the syscall number: the number line is cut into ranges with one
//      outcome each (adjacent calls with the same answer merge), so a lookup takes about
//      log2(ranges) comparisons, about 7 for RuntimeDefault.
//   3. For a call with argument rules, the rules in order (one rule's comparisons AND, several
//      rules OR; the first that matches gives its action), each 64-bit argument compared as two
//      32-bit halves, then the default.
import { createHash } from 'node:crypto';
import table from './syscalls-x86_64.json';
import type { Action, ArgCmp, Profile, SyscallRule } from './profile';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;
const ENOSYS = 38;
const EPERM = 1;
/** The kernel's BPF_MAXINSNS. */
const MAX_INSNS = 4096;

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JMP_JA = 0x05;
const JMP_JEQ_K = 0x15;
const JMP_JGT_K = 0x25;
const JMP_JGE_K = 0x35;
const RET_K = 0x06;

/** offsetof(struct seccomp_data, ...) */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number) => 16 + 8 * i;
const argHi = (i: number) => 16 + 8 * i + 4;

export const SYSCALLS: Readonly<Record<string, number>> = table.syscalls;

export function actionValue(a: Action, errno: number | undefined): number {
  switch (a) {
    case 'SCMP_ACT_ALLOW':
      return RET.ALLOW;
    case 'SCMP_ACT_ERRNO':
      return (RET.ERRNO | ((errno ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET.TRAP;
    case 'SCMP_ACT_TRACE':
      return (RET.TRACE | ((errno ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return RET.LOG;
  }
}

// ---- a tiny assembler: symbolic forward jumps, widened where they do not fit in 8 bits

type Target = string | null; // a label, or null: the next instruction
type Ins = { label: string } | { code: number; k: number; jt?: Target; jf?: Target; ja?: string };

class Asm {
  readonly ins: Ins[] = [];
  private n = 0;
  label(): string {
    return `L${this.n++}`;
  }
  at(label: string): void {
    this.ins.push({ label });
  }
  ld(off: number): void {
    this.ins.push({ code: LD_W_ABS, k: off });
  }
  and(k: number): void {
    this.ins.push({ code: ALU_AND_K, k: k >>> 0 });
  }
  jmp(code: number, k: number, jt: Target, jf: Target): void {
    this.ins.push({ code, k: k >>> 0, jt, jf });
  }
  ja(to: string): void {
    this.ins.push({ code: JMP_JA, k: 0, ja: to });
  }
  ret(k: number): void {
    this.ins.push({ code: RET_K, k: k >>> 0 });
  }

  /**
   * Lays the program out: a conditional jump farther than 255 instructions becomes
   * `jXX 0,1; ja true; ja false` (repeated until every short one fits: widening only lengthens).
   */
  assemble(): Buffer {
    const wide = new Set<number>();
    for (;;) {
      const pc: number[] = [];
      const at = new Map<string, number>();
      let p = 0;
      this.ins.forEach((x, i) => {
        pc[i] = p;
        if ('label' in x) at.set(x.label, p);
        else p += wide.has(i) ? 3 : 1;
      });
      const end = p;
      const next = (i: number) => {
        for (let j = i + 1; j < this.ins.length; j++) if (!('label' in this.ins[j])) return pc[j];
        return end;
      };
      const pos = (t: Target, i: number) => (t === null ? next(i) : at.get(t)!);
      let grew = false;
      this.ins.forEach((x, i) => {
        if ('label' in x || x.jt === undefined || wide.has(i)) return;
        if (pos(x.jt, i) - pc[i] - 1 > 255 || pos(x.jf!, i) - pc[i] - 1 > 255) {
          wide.add(i);
          grew = true;
        }
      });
      if (grew) continue;
      if (end > MAX_INSNS) throw new Error(`the filter has ${end} instructions, more than the kernel's ${MAX_INSNS}`);
      const out = Buffer.alloc(end * 8);
      let o = 0;
      const put = (code: number, jt: number, jf: number, k: number) => {
        out.writeUInt16LE(code, o);
        out.writeUInt8(jt, o + 2);
        out.writeUInt8(jf, o + 3);
        out.writeUInt32LE(k >>> 0, o + 4);
        o += 8;
      };
      this.ins.forEach((x, i) => {
        if ('label' in x) return;
        const here = pc[i];
        if (x.ja !== undefined) put(JMP_JA, 0, 0, at.get(x.ja)! - here - 1);
        else if (x.jt === undefined) put(x.code, 0, 0, x.k);
        else if (wide.has(i)) {
          put(x.code, 0, 1, x.k);
          put(JMP_JA, 0, 0, pos(x.jt, i) - here - 2);
          put(JMP_JA, 0, 0, pos(x.jf!, i) - here - 3);
        } else put(x.code, pos(x.jt, i) - here - 1, pos(x.jf!, i) - here - 1, x.k);
      });
      return out;
    }
  }
}

// ---- what each syscall number gets

/** A call's outcome: one answer, or argument rules tried in order before a fallback. */
interface Outcome {
  rules: { args: ArgCmp[]; ret: number }[];
  fallback: number;
}

function outcomeKey(o: Outcome): string {
  return JSON.stringify(o);
}

function emitCmp(a: Asm, c: ArgCmp, fail: string): void {
  const pass = a.label();
  const hi = (v: number) => Math.floor(v / 2 ** 32) >>> 0;
  const lo = (v: number) => v >>> 0;
  const v = c.value;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      a.ld(argHi(c.index));
      a.jmp(JMP_JEQ_K, hi(v), null, fail);
      a.ld(argLo(c.index));
      a.jmp(JMP_JEQ_K, lo(v), pass, fail);
      break;
    case 'SCMP_CMP_NE':
      a.ld(argHi(c.index));
      a.jmp(JMP_JEQ_K, hi(v), null, pass);
      a.ld(argLo(c.index));
      a.jmp(JMP_JEQ_K, lo(v), fail, pass);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      a.ld(argHi(c.index));
      a.jmp(JMP_JGT_K, hi(v), pass, null);
      a.jmp(JMP_JEQ_K, hi(v), null, fail);
      a.ld(argLo(c.index));
      a.jmp(c.op === 'SCMP_CMP_GT' ? JMP_JGT_K : JMP_JGE_K, lo(v), pass, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      a.ld(argHi(c.index));
      a.jmp(JMP_JGT_K, hi(v), fail, null);
      a.jmp(JMP_JEQ_K, hi(v), null, pass);
      a.ld(argLo(c.index));
      a.jmp(c.op === 'SCMP_CMP_LT' ? JMP_JGE_K : JMP_JGT_K, lo(v), fail, pass);
      break;
    case 'SCMP_CMP_MASKED_EQ':
      // OCI's masked compare: (arg & value) == valueTwo.
      a.ld(argHi(c.index));
      a.and(hi(v));
      a.jmp(JMP_JEQ_K, hi(c.valueTwo), null, fail);
      a.ld(argLo(c.index));
      a.and(lo(v));
      a.jmp(JMP_JEQ_K, lo(c.valueTwo), pass, fail);
      break;
  }
  a.at(pass);
}

function emitOutcome(a: Asm, o: Outcome): void {
  for (const r of o.rules) {
    const fail = a.label();
    for (const c of r.args) emitCmp(a, c, fail);
    a.ret(r.ret);
    a.at(fail);
  }
  a.ret(o.fallback);
}

interface Range {
  lo: number;
  outcome: Outcome;
}

function emitTree(a: Asm, ranges: Range[], l: number, r: number): void {
  if (l === r) return emitOutcome(a, ranges[l].outcome);
  const m = (l + r + 1) >> 1;
  const right = a.label();
  a.jmp(JMP_JGE_K, ranges[m].lo, right, null);
  emitTree(a, ranges, l, m - 1);
  a.at(right);
  emitTree(a, ranges, m, r);
}

/** The default's answer to a call the table does not know: ENOSYS unless the profile allows by default. */
function unknownValue(p: Profile): number {
  return p.defaultAction === 'SCMP_ACT_ALLOW' || p.defaultAction === 'SCMP_ACT_LOG' ? actionValue(p.defaultAction, p.defaultErrnoRet) : (RET.ERRNO | ENOSYS) >>> 0;
}

/** Compiles the rules that apply (resolve.ts) with the profile's default into a sock_filter array. */
export function compile(p: Profile, rules: SyscallRule[]): Buffer {
  const dflt = actionValue(p.defaultAction, p.defaultErrnoRet);
  const byNr = new Map<number, Outcome>();
  const answered = new Set<number>(); // an unconditional rule ends the call's chain
  for (const r of rules) {
    const ret = actionValue(r.action, r.errnoRet);
    for (const name of r.names) {
      const nr = SYSCALLS[name];
      if (nr === undefined || answered.has(nr)) continue; // another architecture's call, or decided
      const o = byNr.get(nr) ?? { rules: [], fallback: dflt };
      byNr.set(nr, o);
      if (r.args.length) o.rules.push({ args: r.args, ret });
      else {
        o.fallback = ret;
        answered.add(nr);
      }
    }
  }
  const known = new Set(Object.values(SYSCALLS));
  const max = Math.max(...known);
  const unknown: Outcome = { rules: [], fallback: unknownValue(p) };
  const plain: Outcome = { rules: [], fallback: dflt };
  const ranges: Range[] = [];
  const push = (lo: number, outcome: Outcome) => {
    const last = ranges[ranges.length - 1];
    if (last && outcomeKey(last.outcome) === outcomeKey(outcome)) return;
    ranges.push({ lo, outcome });
  };
  for (let nr = 0; nr <= max; nr++) push(nr, byNr.get(nr) ?? (known.has(nr) ? plain : unknown));
  push(max + 1, unknown);
  push(X32_SYSCALL_BIT, { rules: [], fallback: RET.KILL_PROCESS });
  // Numbers with bit 31 set (-1 among them) are no call on any ABI: the kernel's own ENOSYS.
  push(0x80000000, unknown);

  const a = new Asm();
  const badArch = a.label();
  a.ld(OFF_ARCH);
  a.jmp(JMP_JEQ_K, AUDIT_ARCH_X86_64, null, badArch);
  a.ld(OFF_NR);
  emitTree(a, ranges, 0, ranges.length - 1);
  a.at(badArch);
  a.ret(RET.KILL_PROCESS);
  return a.assemble();
}

/** A filter's identity, for caches and for describe: sha256 of its instructions. */
export function filterDigest(filter: Buffer): string {
  return createHash('sha256').update(filter).digest('hex');
}
