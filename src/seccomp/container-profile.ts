// Which seccomp filter a container gets, with Kubernetes' rules: the container's
// securityContext.seccompProfile, else the pod's, else RuntimeDefault (as podman does, and the
// kubelet with --seccomp-default); Unconfined only when asked, or for a privileged container
// that names no profile (containerd runs privileged containers unconfined). Localhost reads
// `<data root>/seccomp/<localhostProfile>`; a profile missing or bad there fails the container
// (CreateContainerError, as the kubelet), never runs it unconfined.
//
// Filters are compiled once per distinct (profile text, capabilities, kernel) and kept in memory.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import { capabilityNames } from '../plan/capabilities';
import { compile } from './compile';
import { effectiveProfile, type EffectiveProfile } from './effective';
import { checkProfile, parseProfile, type Profile } from './profile';
import { applicableRules, kernelVersion } from './resolve';
import runtimeDefault from './runtime-default.json';

/** What the shim and exec requests carry: the sock_filter array in hex, or null (unconfined). */
export type SeccompFilter = { filter: string } | null;

/** A container's profile cannot be used: the kubelet's CreateContainerError. */
export class SeccompProfileError extends PodrunError {
  readonly reason = 'CreateContainerError';
  constructor(message: string) {
    super('Invalid', message);
    this.name = 'SeccompProfileError';
  }
}

/** `<seccomp dir>/<localhostProfile>`, refused if it leaves the folder (validation refuses such paths first). */
export function localhostPath(dir: string, profile: string): string {
  const full = path.resolve(dir, profile);
  if (path.isAbsolute(profile) || !full.startsWith(dir.replace(/\/+$/, '') + '/')) {
    throw new SeccompProfileError(`failed to generate seccomp spec opts: seccomp profile "${profile}" is not a path under ${dir}`);
  }
  return full;
}

let defaultProfile: Profile | undefined;
/** Compiled filters by profile digest and capability set; the oldest goes first past this many. */
const MAX_COMPILED = 64;
const compiled = new Map<string, string>();
const KERNEL = kernelVersion(os.release());

function compiledFilter(key: string, profile: () => Profile, caps: bigint): string {
  const k = `${key}:${caps.toString(16)}`;
  let hex = compiled.get(k);
  if (hex === undefined) {
    const p = profile();
    const rules = applicableRules(p, { caps: new Set(capabilityNames(caps)), arch: 'amd64', kernel: KERNEL });
    hex = compile(p, rules).toString('hex');
    // Bounded: Localhost profiles rewritten again and again would otherwise pile up.
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(k, hex);
  }
  return hex;
}

/**
 * The filter of a container whose bounding set is `caps`. seccompDir is `<data root>/seccomp`.
 * Throws SeccompProfileError when a Localhost profile cannot be read or is not a valid profile.
 */
export function seccompFilter(pod: Pod, c: Container, caps: bigint, seccompDir: string): SeccompFilter {
  return profileFilter(effectiveProfile(pod, c), caps, seccompDir);
}

/** The filter of a profile already decided (a CRI request's SecurityProfile, or effectiveProfile). */
export function profileFilter(p: EffectiveProfile, caps: bigint, seccompDir: string): SeccompFilter {
  if (p.type === 'Unconfined') return null;
  if (p.type === 'RuntimeDefault') return { filter: compiledFilter('RuntimeDefault', () => (defaultProfile ??= checkProfile(runtimeDefault)), caps) };
  if (!seccompDir && !p.file) throw new SeccompProfileError(`failed to generate seccomp spec opts: no seccomp profile folder to read "${p.localhostProfile}" from`);
  const file = p.file ?? localhostPath(seccompDir, p.localhostProfile!);
  let text: string;
  try {
    // A symlink may not lead the engine to read a file outside the folder (as root, any file)
    // and show pieces of it in the pod's status as parse errors. A kubelet's path is its own.
    const real = fs.realpathSync(file);
    if (!p.file && !real.startsWith(fs.realpathSync(seccompDir) + '/')) throw Object.assign(new Error(`it resolves to ${real}, outside ${seccompDir}`), { code: 'EXDEV' });
    text = fs.readFileSync(real, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SeccompProfileError(`failed to generate seccomp spec opts: cannot load seccomp profile "${file}": ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  }
  const digest = createHash('sha256').update(text).digest('hex');
  try {
    return { filter: compiledFilter(digest, () => parseProfile(text), caps) };
  } catch (e) {
    // A ProfileError names the field; a compile error (too many instructions) says what.
    throw new SeccompProfileError(`failed to generate seccomp spec opts: seccomp profile "${file}" is invalid: ${(e as Error).message}`);
  }
}
