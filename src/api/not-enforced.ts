// Fields podrun accepts but does not carry out yet (AppArmor profiles, until AppArmor support
// lands; mount propagation other than None in a user namespace; seccomp profiles are applied,
// src/seccomp), said
// rather than silently dropped:
// each becomes a warning line at apply (kubectl prints the API server's warnings as
// `Warning: ...`) and a Warning event on the pod. What a kubelet would refuse is refused instead
// (validation), or fails the sandbox (FailedCreatePodSandBox).
import type { Container, Pod, SecurityContext, PodSecurityContext } from 'kubernetes-types/core/v1';

/** The Warning event's reason. */
export const NOT_ENFORCED = 'NotEnforced';

type Profile = { type?: string } | undefined;

function profiles(sc: SecurityContext | PodSecurityContext | undefined, at: string, out: string[]): void {
  const apparmor = sc?.appArmorProfile as Profile;
  if (apparmor?.type && apparmor.type !== 'Unconfined') out.push(`${at}.appArmorProfile: ${apparmor.type} is not applied: podrun does not load AppArmor profiles`);
}

/** Warnings for one pod, each naming the field, in the API server's order (spec, then containers). `rootless`: podrun runs without root. */
export function notEnforced(pod: Pod, rootless: boolean): string[] {
  const out: string[] = [];
  const spec = pod.spec;
  if (!spec) return out;
  // Propagation from the host needs the host's mount namespace: not in a user namespace.
  const noPropagation = rootless ? "a rootless pod's mounts are private (None)" : spec.hostUsers === false ? 'a pod in its own user namespace (hostUsers: false) has private mounts (None)' : undefined;
  profiles(spec.securityContext, 'spec.securityContext', out);
  const lists: [string, Container[]][] = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers ?? []],
    ['ephemeralContainers', (spec.ephemeralContainers ?? []) as Container[]],
  ];
  for (const [list, containers] of lists) {
    containers.forEach((c, i) => {
      const at = `spec.${list}[${i}]`;
      profiles(c.securityContext, `${at}.securityContext`, out);
      (c.volumeMounts ?? []).forEach((m, k) => {
        if (noPropagation && m.mountPropagation && m.mountPropagation !== 'None') out.push(`${at}.volumeMounts[${k}].mountPropagation: ${m.mountPropagation} is not applied: ${noPropagation}`);
      });
    });
  }
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'unconfined') out.push(`metadata.annotations[${key}]: ${value} is not applied: podrun does not load AppArmor profiles`);
  }
  return out;
}
