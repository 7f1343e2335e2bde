// The controller side of one state root, as the kube-controller-manager sits beside the API
// server: every controller and the garbage collector over the store, started once the pods on
// disk are published (they decide from what exists), and the default StorageClass they bind
// claims with. Pods are made and deleted through the hooks the engine gives (the API's front:
// validation, admission, scheduling), never through the runtime.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { NotFoundError } from '../errors';
import type { EventRecorder } from '../kubelet/events';
import type { Store } from '../store/store';
import type { ControllerContext } from './context';
import { CronJobController } from './cron-job';
import { DaemonSetController } from './daemon-set';
import { DeploymentController } from './deployment';
import { GarbageCollector, type PropagationPolicy } from './garbage-collector';
import { JobController } from './job';
import { ControllerManager } from './manager';
import { ClaimController, defaultStorageClass, VolumeController } from './persistent-volume';
import { ReplicaSetController } from './replica-set';
import { StatefulSetController } from './stateful-set';

/** The component each controller's events name as their source, as kubectl shows them. */
const COMPONENTS: Record<string, string> = {
  ReplicaSet: 'replicaset-controller',
  ReplicationController: 'replication-controller',
  Deployment: 'deployment-controller',
  Job: 'job-controller',
  CronJob: 'cronjob-controller',
  DaemonSet: 'daemonset-controller',
  StatefulSet: 'statefulset-controller',
};

/** What the controllers do to pods, through the engine's API front. */
export type PodHooks = Pick<ControllerContext, 'createPod' | 'patchPodMeta'> & {
  deletePod(namespace: string, name: string, graceSeconds?: number): Promise<void>;
};

export interface ControlPlaneOptions {
  /** This host, as the DaemonSet controller places pods on it. */
  node: Node;
  /** Where the local-path provisioner makes volumes. */
  volumesDir: string;
  log(message: string): void;
}

export class ControlPlane {
  private readonly gc: GarbageCollector;
  private readonly manager: ControllerManager;

  constructor(
    private readonly store: Store,
    pods: PodHooks,
    events: EventRecorder,
    o: ControlPlaneOptions,
  ) {
    const ctx: ControllerContext = {
      store,
      createPod: (pod: Pod) => pods.createPod(pod),
      // Marked before this returns (the engine's deletePod marks it in its first turn).
      deletePod: (ns, name, grace) => {
        pods.deletePod(ns, name, grace).catch((e: unknown) => {
          if (!(e instanceof NotFoundError)) o.log(`deleting pod ${ns}/${name}: ${(e as Error).message}`);
        });
      },
      patchPodMeta: (ns, name, meta) => pods.patchPodMeta(ns, name, meta),
      deleteObject: (kind, ns, name) => void this.gc.delete(kind, ns, name),
      event: (obj, type, reason, message) => events.record(obj, type, reason, message, undefined, { component: COMPONENTS[obj.kind] ?? 'controller-manager' }),
      log: o.log,
    };
    this.gc = new GarbageCollector(ctx);
    this.manager = new ControllerManager(ctx, [
      new ReplicaSetController(ctx, 'ReplicaSet'),
      new ReplicaSetController(ctx, 'ReplicationController'),
      new DeploymentController(ctx),
      new JobController(ctx),
      new CronJobController(ctx),
      new ClaimController(ctx, o.volumesDir),
      new VolumeController(ctx),
      new StatefulSetController(ctx),
      new DaemonSetController(ctx, o.node),
    ]);
  }

  /** Starts from what is there: the pods published, the objects read from the log. */
  start(): void {
    const sc = defaultStorageClass();
    if (!this.store.get('StorageClass', undefined, sc.metadata!.name!)) this.store.create(sc);
    this.gc.start();
    this.manager.start();
  }

  /** Deletes an object of a stored kind, its dependents as `policy` says; false when there was none. */
  delete(kind: string, namespace: string, name: string, policy: PropagationPolicy = 'Background'): boolean {
    return this.gc.delete(kind, namespace, name, policy) !== undefined;
  }

  /** Resolves when no controller has work queued or running. */
  idle(): Promise<void> {
    return this.manager.idle();
  }

  /** Stops every controller and the garbage collector (they make no more pods). */
  close(): void {
    this.manager.close();
    this.gc.close();
  }
}
