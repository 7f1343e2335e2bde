// A seccomp profile in the OCI/Docker JSON format (runtime-spec's LinuxSeccomp, plus moby's
// includes/excludes): parsed and checked here, every error naming the field in the profile
// (`syscalls[3].action: unknown action "SCMP_ACT_FOO"`), before anything is compiled or started.
import names from './syscall-names.json';

export type Action = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG';
export type Op = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export const ACTIONS: readonly Action[] = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG'];
const OPS: readonly Op[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
/** libseccomp's architecture names; podrun filters x86_64 (the others are accepted, see compile.ts). */
const ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];
const FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
const KNOWN = new Set(names.names);

export interface ArgCmp {
  index: number;
  value: number;
  valueTwo: number;
  op: Op;
}

export interface Filter {
  caps?: string[];
  /** Go's architecture names (amd64, arm64, x86, x32, ...), as moby writes them. */
  arches?: string[];
  /** "5.10": the rule needs at least this kernel. */
  minKernel?: string;
}

export interface SyscallRule {
  names: string[];
  action: Action;
  errnoRet?: number;
  args: ArgCmp[];
  includes: Filter;
  excludes: Filter;
}

export interface Profile {
  defaultAction: Action;
  defaultErrnoRet?: number;
  syscalls: SyscallRule[];
}

/** A profile that cannot be used, with the field (`syscalls[2].names[0]`) and what is wrong. */
export class ProfileError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(field ? `${field}: ${detail}` : detail);
    this.name = 'ProfileError';
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function action(v: unknown, field: string): Action {
  if (v === 'SCMP_ACT_NOTIFY') throw new ProfileError(field, 'SCMP_ACT_NOTIFY is not supported: podrun runs no seccomp agent to answer notifications');
  if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) throw new ProfileError(field, `unknown action ${JSON.stringify(v)}: one of ${ACTIONS.join(', ')}, SCMP_ACT_NOTIFY`);
  return v as Action;
}

/** An unsigned integer JSON can carry exactly (a bigger one would silently compare another value). */
function uint(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ProfileError(field, `must be an integer from 0 to ${max}, not ${JSON.stringify(v)}`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ProfileError(field, 'must be an array of strings');
  return v as string[];
}

function filter(v: unknown, field: string): Filter {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new ProfileError(field, 'must be an object');
  const f: Filter = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    if (k === 'caps') {
      f.caps = strings(x, `${field}.caps`).map((c, i) => {
        if (!/^CAP_[A-Z_]+$/.test(c)) throw new ProfileError(`${field}.caps[${i}]`, `not a capability: ${JSON.stringify(c)}`);
        return c;
      });
    } else if (k === 'arches') f.arches = strings(x, `${field}.arches`);
    else if (k === 'minKernel') {
      if (typeof x !== 'string' || !/^\d+(\.\d+){0,2}$/.test(x)) throw new ProfileError(`${field}.minKernel`, `must be a kernel version such as "5.10", not ${JSON.stringify(x)}`);
      f.minKernel = x;
    } else throw new ProfileError(`${field}.${k}`, 'unknown field');
  }
  return f;
}

function arg(v: unknown, field: string): ArgCmp {
  if (!isObj(v)) throw new ProfileError(field, 'must be an object');
  for (const k of Object.keys(v)) if (!['index', 'value', 'valueTwo', 'op'].includes(k)) throw new ProfileError(`${field}.${k}`, 'unknown field');
  const op = v.op;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) throw new ProfileError(`${field}.op`, `unknown operator ${JSON.stringify(op)}: one of ${OPS.join(', ')}`);
  return { index: uint(v.index, `${field}.index`, 5), value: uint(v.value ?? 0, `${field}.value`), valueTwo: uint(v.valueTwo ?? 0, `${field}.valueTwo`), op: op as Op };
}

function rule(v: unknown, field: string): SyscallRule {
  if (!isObj(v)) throw new ProfileError(field, 'must be an object');
  for (const k of Object.keys(v)) {
    // `errno` (a name beside errnoRet) is containers/common's, podman's format: read as a comment.
    if (!['names', 'name', 'action', 'errnoRet', 'errno', 'args', 'includes', 'excludes', 'comment'].includes(k)) throw new ProfileError(`${field}.${k}`, 'unknown field');
  }
  // `name` (one call) is Docker's format before 1.12; `names` the current one.
  const list = v.names !== undefined && v.names !== null ? strings(v.names, `${field}.names`) : v.name !== undefined ? [String(v.name)] : [];
  if (!list.length) throw new ProfileError(`${field}.names`, 'Required value: at least one system call');
  list.forEach((n, i) => {
    if (!KNOWN.has(n)) throw new ProfileError(`${field}.names[${i}]`, `unknown system call ${JSON.stringify(n)}`);
  });
  const args = v.args === undefined || v.args === null ? [] : Array.isArray(v.args) ? v.args.map((a, i) => arg(a, `${field}.args[${i}]`)) : [];
  if (v.args !== undefined && v.args !== null && !Array.isArray(v.args)) throw new ProfileError(`${field}.args`, 'must be an array');
  const r: SyscallRule = { names: list, action: action(v.action, `${field}.action`), args, includes: filter(v.includes, `${field}.includes`), excludes: filter(v.excludes, `${field}.excludes`) };
  if (v.errnoRet !== undefined && v.errnoRet !== null) {
    if (r.action !== 'SCMP_ACT_ERRNO' && r.action !== 'SCMP_ACT_TRACE') throw new ProfileError(`${field}.errnoRet`, `only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${r.action}`);
    r.errnoRet = uint(v.errnoRet, `${field}.errnoRet`, 0xffff);
  }
  return r;
}

/** Parses a profile's text; throws ProfileError naming the field (or the JSON syntax error). */
export function parseProfile(text: string): Profile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProfileError('', `malformed JSON: ${(e as Error).message}`);
  }
  return checkProfile(doc);
}

export function checkProfile(doc: unknown): Profile {
  if (!isObj(doc)) throw new ProfileError('', 'a profile is a JSON object');
  for (const k of Object.keys(doc)) {
    if (!['defaultAction', 'defaultErrnoRet', 'defaultErrno', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata', 'comment'].includes(k)) throw new ProfileError(k, 'unknown field');
  }
  if (doc.defaultAction === undefined) throw new ProfileError('defaultAction', 'Required value');
  const p: Profile = { defaultAction: action(doc.defaultAction, 'defaultAction'), syscalls: [] };
  if (doc.defaultErrnoRet !== undefined && doc.defaultErrnoRet !== null) p.defaultErrnoRet = uint(doc.defaultErrnoRet, 'defaultErrnoRet', 0xffff);
  if (doc.architectures !== undefined && doc.architectures !== null) {
    strings(doc.architectures, 'architectures').forEach((a, i) => {
      if (!ARCHES.includes(a)) throw new ProfileError(`architectures[${i}]`, `unknown architecture ${JSON.stringify(a)}`);
    });
  }
  // archMap (moby's: which architectures a profile covers per machine) and flags are accepted and
  // checked, but not acted on: podrun filters x86_64 only and loads without flags.
  if (doc.archMap !== undefined && doc.archMap !== null && !Array.isArray(doc.archMap)) throw new ProfileError('archMap', 'must be an array');
  if (doc.flags !== undefined && doc.flags !== null) {
    strings(doc.flags, 'flags').forEach((f, i) => {
      if (!FLAGS.includes(f)) throw new ProfileError(`flags[${i}]`, `unknown flag ${JSON.stringify(f)}`);
    });
  }
  if (doc.listenerPath) throw new ProfileError('listenerPath', 'not supported: podrun runs no seccomp agent');
  if (doc.syscalls !== undefined && doc.syscalls !== null) {
    if (!Array.isArray(doc.syscalls)) throw new ProfileError('syscalls', 'must be an array');
    p.syscalls = doc.syscalls.map((r, i) => rule(r, `syscalls[${i}]`));
  }
  return p;
}
