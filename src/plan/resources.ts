// Container resources as the downward API exposes them (resourceFieldRef): a limit falls back to
// the node's allocatable when unset, a request to 0 (cpu) or the limit; values are divided by the
// divisor and rounded up, as the kubelet's ExtractContainerResourceValue does.
import * as os from 'node:os';
import type { Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';

function nodeAllocatable(resource: string): number | undefined {
  if (resource === 'cpu') return os.cpus().length;
  if (resource === 'memory') return os.totalmem();
  if (resource === 'ephemeral-storage') return 0;
  return undefined;
}

export function resourceFieldValue(pod: Pod, defaultContainer: string | undefined, ref: ResourceFieldSelector): string | undefined {
  const name = ref.containerName || defaultContainer;
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const c = all.find((x) => x.name === name);
  if (!c) return undefined;
  const [kind, resource] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  if ((kind !== 'limits' && kind !== 'requests') || !resource) return undefined;
  const limit = c.resources?.limits?.[resource];
  const request = c.resources?.requests?.[resource];
  let value: number | undefined;
  if (kind === 'limits') value = limit !== undefined ? parseQuantity(limit) : nodeAllocatable(resource);
  else value = request !== undefined ? parseQuantity(request) : limit !== undefined ? parseQuantity(limit) : resource === 'cpu' ? 0 : nodeAllocatable(resource);
  if (value === undefined) return undefined;
  const divisor = ref.divisor !== undefined ? parseQuantity(ref.divisor) : resource === 'cpu' ? 1 : 1;
  if (!divisor) return undefined;
  return String(Math.ceil(value / divisor));
}
