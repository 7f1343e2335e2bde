// The seccomp profile a container runs under, after Kubernetes' defaults: its own
// securityContext.seccompProfile, else the pod's, else RuntimeDefault (podman's default, and the
// kubelet's with --seccomp-default); a privileged container that names none runs Unconfined, as
// containerd runs privileged containers. Light (no tables): describe uses it too.
import type { Container, Pod, SeccompProfile } from 'kubernetes-types/core/v1';

/** The profile a container runs under, after defaults: what `describe` shows. */
export interface EffectiveProfile {
  type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostProfile?: string;
  /** Localhost by an absolute path the caller chose (a kubelet's over CRI), not under podrun's folder. */
  file?: string;
}

export function effectiveProfile(pod: Pod, c: Container): EffectiveProfile {
  const p = (c.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile) as SeccompProfile | undefined;
  if (!p?.type) return c.securityContext?.privileged ? { type: 'Unconfined' } : { type: 'RuntimeDefault' };
  if (p.type === 'Localhost') return { type: 'Localhost', localhostProfile: p.localhostProfile ?? '' };
  return { type: p.type === 'Unconfined' ? 'Unconfined' : 'RuntimeDefault' };
}

/** How describe writes it: RuntimeDefault, Unconfined, Localhost (profiles/audit.json). */
export function profileText(p: EffectiveProfile): string {
  return p.type === 'Localhost' ? `Localhost (${p.localhostProfile})` : p.type;
}

