// Pods that wait with nothing running: the scheduler could not place them yet (Pending with
// PodScheduled=False: Unschedulable, or SchedulingGated), or it bound them and the kubelet could
// not make their sandbox for a reason no retry changes (FailedCreatePodSandBox: a hostname the
// kernel cannot take), which leaves them Pending in ContainerCreating as on a kubelet, or
// rejected them at admission (SysctlForbidden), which fails them at once. Each
// keeps its folder with pod.json and scheduling.json, so a later engine finds it again; it leaves
// this list when it is scheduled (then it runs as any other pod) or deleted.
import * as fs from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import { writeStateFile } from '../state/atomic-file';
import { removeTree } from '../state/remove-tree';
import { PodPaths } from '../state/paths';
import { qosClass } from '../kubelet/qos';
import type { Verdict } from './fit';

/** The scheduler's refusal, or the kubelet's: bound, but rejected at admission or its sandbox impossible to make. */
export type Refusal = Extract<Verdict, { ok: false }> | { ok: false; reason: 'FailedCreatePodSandBox' | 'SysctlForbidden'; message: string };

/** Whether the pod waits for the scheduler (and is tried again when something changes). */
export function awaitsScheduling(p: PendingPod): boolean {
  return p.verdict.reason === 'Unschedulable' || p.verdict.reason === 'SchedulingGated';
}

export interface PendingPod {
  pod: Pod;
  paths: PodPaths;
  verdict: Refusal;
  /** When the verdict was first given (the condition's lastTransitionTime). */
  since: string;
}

const FILE = 'scheduling.json';

export class PendingPods {
  private readonly pods = new Map<string, PendingPod>();

  static keyOf(pod: Pod): string {
    return `${pod.metadata!.namespace}/${pod.metadata!.name}`;
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  get(key: string): PendingPod | undefined {
    return this.pods.get(key);
  }

  /** Oldest first: the order in which the scheduler tries them again. */
  list(): PendingPod[] {
    return [...this.pods.values()];
  }

  /** Records a pod the scheduler refused (its folder made, its files written). */
  add(pod: Pod, paths: PodPaths, verdict: Refusal, now: string): PendingPod {
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const p = { pod, paths, verdict, since: now };
    this.write(p);
    this.pods.set(PendingPods.keyOf(pod), p);
    return p;
  }

  /** A new verdict or an updated pod, persisted. */
  replace(p: PendingPod): void {
    this.write(p);
    this.pods.set(PendingPods.keyOf(p.pod), p);
  }

  private write(p: PendingPod): void {
    writeStateFile(p.paths.pod, JSON.stringify(p.pod) + '\n');
    writeStateFile(`${p.paths.dir}/${FILE}`, JSON.stringify({ verdict: p.verdict, since: p.since }) + '\n');
  }

  /** Scheduled at last: it leaves the list and its scheduling record goes; the folder stays for the pod. */
  take(key: string): PendingPod | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    fs.rmSync(`${p.paths.dir}/${FILE}`, { force: true });
    return p;
  }

  /** Deleted: its folder goes. */
  remove(key: string): boolean {
    const p = this.pods.get(key);
    if (!p) return false;
    this.pods.delete(key);
    removeTree(p.paths.dir);
    return true;
  }

  /** A pod folder of an earlier engine that holds an unscheduled pod: taken in, true. */
  load(dir: string): boolean {
    let saved: { verdict: Refusal; since: string };
    let pod: Pod;
    const paths = new PodPaths(dir);
    try {
      saved = JSON.parse(fs.readFileSync(`${dir}/${FILE}`, 'utf8')) as { verdict: Refusal; since: string };
      pod = JSON.parse(fs.readFileSync(paths.pod, 'utf8')) as Pod;
    } catch {
      return false;
    }
    this.pods.set(PendingPods.keyOf(pod), { pod, paths, verdict: saved.verdict, since: saved.since });
    return true;
  }

  /** The pod as the API shows it: Pending, not scheduled, and why; or scheduled, its containers still being created. */
  static toObject(p: PendingPod, hostIP?: string): Pod {
    const pod = structuredClone(p.pod);
    if (p.verdict.reason === 'SysctlForbidden') return rejected(pod, p.verdict.reason, p.verdict.message, p.since, hostIP);
    if (!awaitsScheduling(p)) return sandboxFailed(pod, p.since, hostIP);
    return {
      ...pod,
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: p.verdict.reason,
            message: p.verdict.message,
            lastProbeTime: null as unknown as string,
            lastTransitionTime: p.since,
          },
        ],
        qosClass: qosClass(pod),
      },
    };
  }
}

/** A bound pod whose sandbox could not be made: what the kubelet reports while it keeps trying. */
function sandboxFailed(pod: Pod, since: string, hostIP?: string): Pod {
  const cond = (type: string, status: 'True' | 'False', reason?: string) => ({ type, status, ...(reason ? { reason } : {}), lastProbeTime: null as unknown as string, lastTransitionTime: since });
  const spec = pod.spec!;
  const hasInit = (spec.initContainers ?? []).length > 0;
  // As the kubelet says of containers not yet made: PodInitializing while init containers are to run.
  const waiting = (c: { name: string; image?: string }, reason = hasInit ? 'PodInitializing' : 'ContainerCreating') => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason } } });
  return {
    ...pod,
    status: {
      phase: 'Pending',
      conditions: [
        cond('PodReadyToStartContainers', 'False'),
        cond('Initialized', hasInit ? 'False' : 'True', hasInit ? 'ContainersNotInitialized' : undefined),
        cond('Ready', 'False', 'ContainersNotReady'),
        cond('ContainersReady', 'False', 'ContainersNotReady'),
        cond('PodScheduled', 'True'),
      ],
      ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
      startTime: since,
      ...(hasInit ? { initContainerStatuses: spec.initContainers!.map((c) => waiting(c, 'PodInitializing')) } : {}),
      containerStatuses: spec.containers.map((c) => waiting(c)),
      qosClass: qosClass(pod),
    },
  };
}

/** A pod the kubelet rejected at admission (rejectPod): Failed, with the reason and why. */
function rejected(pod: Pod, reason: string, message: string, since: string, hostIP?: string): Pod {
  return {
    ...pod,
    status: {
      phase: 'Failed',
      reason,
      message: `Pod was rejected: ${message}`,
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: since }],
      ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
      startTime: since,
      qosClass: qosClass(pod),
    },
  };
}
