// Pod metrics from the pods' cgroups, in the shape of the metrics API (metrics.k8s.io/v1beta1
// PodMetrics) that `kubectl top pod` reads: CPU as a rate over a short window (two samples of the
// cgroup's CPU time), memory as the working set (usage less inactive file pages, as cAdvisor and
// the metrics server count it).
import type { Pod } from 'kubernetes-types/core/v1';
import { PodrunError } from '../errors';
import type { Cgroups, CgroupUsage } from './manager';

export interface ContainerMetrics {
  name: string;
  /** Quantities as the metrics server writes them: cpu in nanocores (`1234567n`), memory in KiB (`34560Ki`). */
  usage: { cpu: string; memory: string };
}

export interface PodMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'PodMetrics';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  timestamp: string;
  /** The sampling window, as a Go duration (`500ms`). */
  window: string;
  containers: ContainerMetrics[];
}

/** How long CPU time is sampled over: long enough to be a rate, short enough for a command. */
export const SAMPLE_WINDOW_MS = 500;

/** kubectl top's CPU cell: millicores (`12m`), from a nanocores quantity. */
export function formatCpu(cpu: string): string {
  const n = Number(cpu.replace(/n$/, ''));
  return `${Math.ceil(n / 1e6)}m`;
}

/** kubectl top's memory cell: whole MiB (`34Mi`), from a KiB quantity. */
export function formatMemory(memory: string): string {
  const ki = Number(memory.replace(/Ki$/, ''));
  return `${Math.floor(ki / 1024)}Mi`;
}

/** Nanocores over the window from two CPU-time samples (ns). */
export function cpuRate(before: number, after: number, windowMs: number): number {
  return windowMs > 0 ? Math.max(0, Math.round(((after - before) * 1000) / windowMs)) : 0;
}

/**
 * The metrics of the running containers of these pods, sampled together over one window. Pods
 * that run nothing are left out, as the metrics server leaves them out.
 */
export async function podMetrics(cgroups: Cgroups, pods: Pod[], windowMs = SAMPLE_WINDOW_MS): Promise<PodMetrics[]> {
  if (!cgroups.available) throw new PodrunError('Unsupported', `Metrics API not available: pod usage is read from cgroups, and ${cgroups.reason}`);
  const running = (p: Pod) => (p.status?.containerStatuses ?? []).filter((s) => s.state?.running).map((s) => s.name);
  const sample = () => pods.map((p) => new Map(running(p).map((n) => [n, cgroups.usage(p.metadata!.uid!, n)] as const)));
  const first = sample();
  const start = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const second = sample();
  const elapsed = Date.now() - start;
  const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const out: PodMetrics[] = [];
  pods.forEach((p, i) => {
    const containers: ContainerMetrics[] = [];
    for (const [name, after] of second[i]!) {
      const before: CgroupUsage | undefined = first[i]!.get(name);
      if (!after || !before) continue;
      containers.push({ name, usage: { cpu: `${cpuRate(before.cpuNs, after.cpuNs, elapsed)}n`, memory: `${Math.floor(after.memory / 1024)}Ki` } });
    }
    if (!containers.length) return;
    const meta = p.metadata!;
    out.push({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name: meta.name!, namespace: meta.namespace ?? 'default', ...(meta.labels ? { labels: meta.labels } : {}) },
      timestamp,
      window: `${windowMs}ms`,
      containers,
    });
  });
  return out;
}
