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

/** The kubelet's OOM score for a guaranteed container, and for a best-effort one. */
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/**
 * The oom_score_adj the kubelet gives a container (pkg/kubelet/qos/policy.go): the lowest for a
 * guaranteed pod, the highest for a best-effort one, and in between for a burstable one, lower
 * the more of the node's memory its request takes; never as low as guaranteed nor as high as
 * best effort.
 */
export function oomScoreAdj(pod: Pod, c: Container, memoryCapacity: number): number {
  const qos = qosClass(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const request = c.resources?.requests?.memory !== undefined ? parseQuantity(c.resources.requests.memory) : 0;
  const adj = Math.trunc(1000 - (1000 * request) / memoryCapacity);
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  return adj === BEST_EFFORT_OOM_SCORE_ADJ ? adj - 1 : adj;
}
