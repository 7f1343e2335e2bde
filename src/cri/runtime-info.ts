// The RuntimeService calls that describe the runtime rather than a pod: Version, Status (the
// kubelet waits for RuntimeReady and NetworkReady before it runs pods), RuntimeConfig and
// UpdateRuntimeConfig.
import * as fs from 'node:fs';
import { binaries } from '../native';
import type { RuntimeService } from '../runtime/runtime-service';
import { packageVersion } from '../version';
import type { RuntimeCondition, RuntimeConfigResponse, StatusRequest, StatusResponse, VersionRequest, VersionResponse } from './messages';

/** The version of the kubelet's runtime API this follows (the kubelet sends and expects "0.1.0"). */
export const CRI_API_VERSION = '0.1.0';

export function version(_req: VersionRequest): VersionResponse {
  return { version: CRI_API_VERSION, runtime_name: 'podrun', runtime_version: packageVersion(), runtime_api_version: 'v1' };
}

/** What Status reports about this podrun: where it keeps pods and images, and as whom. */
export interface RuntimeFacts {
  root: string;
  dataRoot: string;
}

function condition(type: string, problem: string | undefined): RuntimeCondition {
  return problem ? { type, status: false, reason: `${type.replace(/Ready$/, '')}NotReady`, message: problem } : { type, status: true, reason: '', message: '' };
}

export function status(req: StatusRequest, facts: RuntimeFacts): StatusResponse {
  const missing = [binaries.shim, binaries.payload].find((f) => !fs.existsSync(f));
  const runtime = missing ? `${missing} is missing: run npm run build` : undefined;
  const rootless = (process.getuid?.() ?? 0) !== 0;
  const info: Record<string, string> = req.verbose
    ? { config: JSON.stringify({ root: facts.root, dataRoot: facts.dataRoot, rootless, cgroupDriver: 'cgroupfs', shim: binaries.shim }) }
    : {};
  return {
    // Pod networking is podrun's own (a bridge and veths, rootless in its network host): ready
    // whenever pods can run at all.
    status: { conditions: [condition('RuntimeReady', runtime), condition('NetworkReady', runtime)] },
    info,
    runtime_handlers: [{ name: '', features: { recursive_read_only_mounts: true, user_namespaces: true } }],
    features: { supplemental_groups_policy: true, user_namespaces_host_network: false, mount_options: false },
  };
}

/** podrun manages cgroups itself through cgroupfs (src/cgroups), as podman's cgroupfs driver. */
export function runtimeConfig(): RuntimeConfigResponse {
  return { linux: { cgroup_driver: 'CGROUPFS' } };
}

export interface UpdateRuntimeConfigRequest {
  runtime_config?: { network_config?: { pod_cidr: string } | null } | null;
}

/** The kubelet's pod CIDR (its node's spec.podCIDR): podrun's sandboxes take addresses from its own pod network, which is said when they differ. */
export function updateRuntimeConfig(req: UpdateRuntimeConfigRequest, runtime: RuntimeService): Record<string, never> {
  const cidr = req.runtime_config?.network_config?.pod_cidr ?? '';
  if (cidr) runtime.podCidrFromKubelet(cidr);
  return {};
}
