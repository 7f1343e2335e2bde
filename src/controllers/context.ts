// What a controller may do: read and write objects in the store, and create and delete pods
// through the API's front (validation, admission, scheduling) — never the runtime itself.
import type { Pod } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../api/manifest';
import type { Store } from '../store/store';

export interface ControllerContext {
  readonly store: Store;
  /** Creates a pod (as `POST pods` would); resolves once the kubelet has taken it in. */
  createPod(pod: Pod): Promise<Pod>;
  /**
   * Deletes a pod: it is marked (deletionTimestamp) before this returns, and stops within its
   * grace period (`graceSeconds`, the pod's own when absent) in the background.
   */
  deletePod(namespace: string, name: string, graceSeconds?: number): void;
  /** Deletes an object of a stored kind, its dependents with it (background), as a TTL or a CronJob does. */
  deleteObject(kind: string, namespace: string, name: string): void;
  /** Changes a pod's labels, annotations or ownerReferences (adoption, release). */
  patchPodMeta(namespace: string, name: string, meta: Pick<ObjectMeta, 'labels' | 'annotations' | 'ownerReferences'>): Pod;
  /** Records an event about an object (`SuccessfulCreate`, `ScalingReplicaSet`, ...). */
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log(message: string): void;
}

/** One controller: the kind it keeps, and its reconcile of one object by `namespace/name`. */
export interface Controller {
  readonly kind: string;
  /**
   * Brings the world to what the object asks. Returns, when the object needs another look at a
   * known time (minReadySeconds, a deadline, a back-off), how many milliseconds from now.
   */
  reconcile(namespace: string, name: string): Promise<number | void>;
  /**
   * The keys (`namespace/name`) of this controller's objects that should look at an object
   * with no controller owner (to adopt it), e.g. a ReplicaSet whose selector matches an orphan pod.
   */
  claimants?(obj: KubeObject): string[];
  /** Keys to look at when any object changes that this controller's objects depend on (a pod using a claim). */
  related?(obj: KubeObject): string[];
}
