// A watch as it travels: the changes of the kinds asked for (in one namespace or all), from a
// resourceVersion or from a listing of what exists now. Without a resourceVersion the watch
// begins with every object ADDED (events as EVENT), then a BOOKMARK that marks the end of that
// listing, as Kubernetes' watch with sendInitialEvents does; with one, it replays the changes
// after it, then the BOOKMARK. Then each change as it is published.
import type { KubeObject } from '../api/manifest';
import type { Change, ChangeType } from './watch-hub';

export type WatchLine = { type: ChangeType; object: KubeObject } | { type: 'BOOKMARK'; object: KubeObject };

export interface WatchRequest {
  namespace?: string;
  /** Kinds to watch; Pod and Event when absent. */
  kinds?: string[];
  /** Resume after this resourceVersion; from a listing when absent. */
  since?: number;
}

export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export function bookmark(rv: number, initialEnd: boolean): WatchLine {
  return {
    type: 'BOOKMARK',
    object: { apiVersion: 'v1', kind: 'Bookmark', metadata: { resourceVersion: String(rv), ...(initialEnd ? { annotations: { [INITIAL_EVENTS_END]: 'true' } } : {}) } },
  };
}

export function watchFilter(req: WatchRequest): (c: Change) => boolean {
  const kinds = new Set(req.kinds ?? ['Pod', 'Event']);
  // Cluster-scoped objects (no namespace) belong to every namespace's watch.
  return (c) => kinds.has(c.object.kind) && (req.namespace === undefined || !c.object.metadata?.namespace || c.object.metadata.namespace === req.namespace);
}
