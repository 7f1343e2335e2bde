// Which container a pod command acts on. -c names any container, ephemeral ones included.
// Without -c, logs refuses to guess when there are several (kubectl's message lists them);
// exec takes the default-container annotation or the first container and says so, as kubectl
// exec does.

import type { Pod } from 'kubernetes-types/core/v1';
import { usageError } from './report-error';

/** Set on a pod to name the container kubectl (and podrun) picks by default. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

function names(pod: Pod): { main: string[]; init: string[]; ephemeral: string[] } {
  return {
    main: (pod.spec?.containers ?? []).map((c) => c.name),
    init: (pod.spec?.initContainers ?? []).map((c) => c.name),
    ephemeral: (pod.spec?.ephemeralContainers ?? []).map((c) => c.name),
  };
}

/** A named container of any kind, ephemeral ones (debuggers) included, as kubectl takes -c. */
function checkExists(pod: Pod, container: string): string {
  const { main, init, ephemeral } = names(pod);
  if (!main.includes(container) && !init.includes(container) && !ephemeral.includes(container)) {
    throw usageError(`container ${container} is not valid for pod ${pod.metadata?.name ?? ''}`);
  }
  return container;
}

/** logs: the named container, the only one, or kubectl's error naming the choices. */
export function logsContainer(pod: Pod, requested: string | undefined): string {
  if (requested) return checkExists(pod, requested);
  const { main, init } = names(pod);
  if (main.length === 1) return main[0]!;
  let msg = `a container name must be specified for pod ${pod.metadata?.name ?? ''}, choose one of: [${main.join(' ')}]`;
  if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
  throw usageError(msg);
}

/** exec: the container and, when podrun chose among several, kubectl's note for stderr. */
export function execContainer(pod: Pod, requested: string | undefined): { container: string; note?: string } {
  if (requested) return { container: checkExists(pod, requested) };
  const { main, init } = names(pod);
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && (main.includes(annotated) || init.includes(annotated))) return { container: annotated };
  const first = main[0];
  if (!first) throw usageError(`pod ${pod.metadata?.name ?? ''} does not have a container`);
  if (main.length + init.length === 1) return { container: first };
  const all = [...main, ...init.map((n) => `${n} (init)`)].join(', ');
  return { container: first, note: `Defaulted container "${first}" out of: ${all}` };
}
