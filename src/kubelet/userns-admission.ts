// What a pod's user namespace settles at admission, before anything is made: procMount
// Unmasked needs one (the API server's rule: hostUsers must be false; rootless, every pod has
// one), and as root hostUsers: false needs podrun's ids in /etc/subuid and /etc/subgid (said at
// once, with the lines to add, rather than a pod that never starts).
import type { Pod } from 'kubernetes-types/core/v1';
import { ValidationError } from '../errors';
import type { UsernsRanges } from '../runtime/userns-ranges';

export function admitUserns(pod: Pod, rootless: boolean, ranges: Pick<UsernsRanges, 'ranges'>): void {
  const spec = pod.spec;
  if (!spec) return;
  if (!rootless && spec.hostUsers !== false) {
    const groups = [['initContainers', spec.initContainers], ['containers', spec.containers], ['ephemeralContainers', spec.ephemeralContainers]] as const;
    for (const [list, cs] of groups) {
      (cs ?? []).forEach((c, k) => {
        if (c.securityContext?.procMount === 'Unmasked') {
          throw new ValidationError(`spec.${list}[${k}].securityContext.procMount`, 'Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`');
        }
      });
    }
  }
  if (!rootless && spec.hostUsers === false) ranges.ranges();
}
