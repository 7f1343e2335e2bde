// A profile's rules for one container: includes/excludes judged against its capabilities (the
// bounding set, as moby's setupSeccomp and containerd do), the machine's architecture and kernel
// version. Pure; compile.ts turns what is left into BPF.
import type { Filter, Profile, SyscallRule } from './profile';

export interface Target {
  /** Capability names with CAP_, e.g. CAP_SYS_ADMIN. */
  caps: ReadonlySet<string>;
  /** Go's name of the architecture (amd64). */
  arch: string;
  /** [major, minor, patch] of the running kernel. */
  kernel: readonly number[];
}

export function kernelVersion(release: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release);
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : [0, 0, 0];
}

function atLeast(have: readonly number[], want: string): boolean {
  const w = kernelVersion(want);
  for (let i = 0; i < 3; i++) if ((have[i] ?? 0) !== w[i]) return (have[i] ?? 0) > w[i];
  return true;
}

/** Includes: every listed capability held, any listed architecture, the kernel at least minKernel. */
function included(f: Filter, t: Target): boolean {
  if (f.caps?.some((c) => !t.caps.has(c))) return false;
  if (f.arches?.length && !f.arches.includes(t.arch)) return false;
  if (f.minKernel && !atLeast(t.kernel, f.minKernel)) return false;
  return true;
}

/** Excludes: any listed capability held, or the architecture listed, or the kernel at least minKernel. */
function excluded(f: Filter, t: Target): boolean {
  if (f.caps?.some((c) => t.caps.has(c))) return true;
  if (f.arches?.includes(t.arch)) return true;
  if (f.minKernel && atLeast(t.kernel, f.minKernel)) return true;
  return false;
}

/** The rules that apply to this container, in the profile's order. */
export function applicableRules(p: Profile, t: Target): SyscallRule[] {
  return p.syscalls.filter((r) => included(r.includes, t) && !excluded(r.excludes, t));
}
