// The pod's QoS class, by the rules of the Kubernetes API (pkg/apis/core/helper/qos).
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../api/quantity';

const RESOURCES = ['cpu', 'memory'];

export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers: Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of RESOURCES) {
      const q = req[r] ?? lim[r];
      const l = lim[r];
      if ((q !== undefined && parseQuantity(q) !== 0) || (l !== undefined && parseQuantity(l) !== 0)) any = true;
      if (l === undefined || (q !== undefined && parseQuantity(q) !== parseQuantity(l))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
