// Probe execution as the kubelet does it (pkg/kubelet/prober, pkg/probe/{exec,http,tcp,grpc}),
// with the kubelet's results and messages, but run *inside the pod*: exec in the container's
// namespaces, and TCP, HTTP and gRPC over sockets made in the pod's network namespace (so the
// default host, the pod's own address or 127.0.0.1, means the pod and not the host). No
// scheduling here: one call, one probe; periods and thresholds belong to the caller. Each kind
// lives in probe/; this is the entry point.
import type { Probe } from 'kubernetes-types/core/v1';
import type { ProbeResult, ProbeTarget } from './probe/common';
import { execProbe } from './probe/exec';
import { grpcProbe } from './probe/grpc';
import { httpProbe } from './probe/http';
import { tcpProbe } from './probe/tcp';

export * from './probe/common';
export { execCollect, expandProbeCommand } from './probe/exec';
export { buildHTTPRequest, canonicalHeaderKey, doHTTPGet, type HTTPRequestSpec } from './probe/http';
export { decodeHealthCheckResponse, encodeHealthCheckRequest, GRPC_CODES, grpcFrame, grpcUnframe, HEALTH_STATUS } from './probe/grpc';

/**
 * Runs one probe against the target and reports the kubelet's result and output. `field` is the
 * probe's path in the pod (for port errors), e.g. `spec.containers[0].livenessProbe`.
 */
export async function runProbe(probe: Probe, target: ProbeTarget, timeoutMs: number, field = 'probe'): Promise<ProbeResult> {
  if (probe.exec) return execProbe(probe.exec, target, timeoutMs);
  if (probe.httpGet) return httpProbe(probe.httpGet, target, timeoutMs, `${field}.httpGet`);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, target, timeoutMs, `${field}.tcpSocket`);
  if (probe.grpc) return grpcProbe(probe.grpc, target, timeoutMs);
  return { result: 'unknown', output: `missing probe handler for ${target.names ? `${target.names.pod}:${target.names.container}` : 'container'}` };
}
