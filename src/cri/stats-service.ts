// CRI's stats calls on podrun's runtime service: ContainerStats, ListContainerStats,
// PodSandboxStats and ListPodSandboxStats. CPU time and working set come from the cgroups
// (absent where this user has none: rootless on a cgroup v1 host), the writable layer's size
// from its folder. Rates (usage_nano_cores) are not sent: the kubelet works them out itself.
import type { ContainerStatsView } from '../runtime/container-stats';
import type { RuntimeService } from '../runtime/runtime-service';
import type { ContainerStats, ListContainerStatsRequest } from './container-messages';
import type { PodSandboxIdRequest } from './sandbox-messages';
import { invalidField } from './status';

interface PodSandboxStats {
  attributes: { id: string; metadata: { name: string; uid: string; namespace: string; attempt: number }; labels: Record<string, string>; annotations: Record<string, string> };
  linux: { cpu?: ContainerStats['cpu']; memory?: ContainerStats['memory']; containers: ContainerStats[] };
}

interface ListPodSandboxStatsRequest {
  filter?: { id: string; label_selector: Record<string, string> } | null;
}

function containerStats(v: ContainerStatsView): ContainerStats {
  return {
    attributes: { id: v.id, metadata: { name: v.name, attempt: v.attempt }, labels: v.labels, annotations: v.annotations },
    ...(v.usage
      ? {
          cpu: { timestamp: v.timestamp, usage_core_nano_seconds: { value: v.usage.cpuNs } },
          memory: { timestamp: v.timestamp, working_set_bytes: { value: v.usage.memory } },
        }
      : {}),
    writable_layer: { timestamp: v.timestamp, fs_id: { mountpoint: v.layer.path }, used_bytes: { value: v.layer.bytes }, inodes_used: { value: v.layer.inodes } },
  };
}

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

export class StatsService {
  constructor(private readonly runtime: RuntimeService) {}

  containerStats(req: { container_id: string }): { stats: ContainerStats } {
    if (!req.container_id) throw invalidField('container_id', 'Required value');
    return { stats: containerStats(this.runtime.containerStats(req.container_id)) };
  }

  listContainerStats(req: ListContainerStatsRequest): { stats: ContainerStats[] } {
    const f = req.filter;
    const views = this.runtime.listContainerStats(f?.pod_sandbox_id || undefined).filter((v) => (!f?.id || v.id.startsWith(f.id)) && matches(v.labels, f?.label_selector));
    return { stats: views.map(containerStats) };
  }

  podSandboxStats(req: PodSandboxIdRequest): { stats: PodSandboxStats } {
    if (!req.pod_sandbox_id) throw invalidField('pod_sandbox_id', 'Required value');
    return { stats: this.sandboxStats(req.pod_sandbox_id) };
  }

  listPodSandboxStats(req: ListPodSandboxStatsRequest): { stats: PodSandboxStats[] } {
    const f = req.filter;
    const ids = this.runtime
      .listPodSandbox()
      .filter((s) => (!f?.id || s.id.startsWith(f.id)) && matches(s.config.labels, f?.label_selector))
      .map((s) => s.id);
    return { stats: ids.map((id) => this.sandboxStats(id)) };
  }

  private sandboxStats(id: string): PodSandboxStats {
    const s = this.runtime.podSandboxStats(id);
    const c = s.sandbox.config;
    return {
      attributes: { id: s.sandbox.id, metadata: { name: c.name, uid: c.uid, namespace: c.namespace, attempt: c.attempt }, labels: c.labels, annotations: c.annotations },
      linux: {
        ...(s.usage ? { cpu: { timestamp: s.timestamp, usage_core_nano_seconds: { value: s.usage.cpuNs } }, memory: { timestamp: s.timestamp, working_set_bytes: { value: s.usage.memory } } } : {}),
        containers: s.containers.map(containerStats),
      },
    };
  }
}
