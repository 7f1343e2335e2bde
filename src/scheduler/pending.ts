// Pods the scheduler could not place yet: Pending with PodScheduled=False (Unschedulable, or
// SchedulingGated), no sandbox, nothing running. Each keeps its folder with pod.json and
// scheduling.json, so a later engine finds it again; it leaves this list when it is scheduled
// (then it runs as any other pod) or deleted.
import * as fs from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import { writeStateFile } from '../state/atomic-file';
import { PodPaths } from '../state/paths';
import { qosClass } from '../kubelet/qos';
import type { Verdict } from './fit';

export type Refusal = Extract<Verdict, { ok: false }>;

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
    fs.rmSync(p.paths.dir, { recursive: true, force: true });
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

  /** The pod as the API shows it: Pending, not scheduled, and why. */
  static toObject(p: PendingPod): Pod {
    const pod = structuredClone(p.pod);
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
