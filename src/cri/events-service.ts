// CRI's GetContainerEvents: a stream of container changes (created, started, stopped, deleted)
// as the runtime service makes or sees them, each with its sandbox's status and containers
// after the change: what the kubelet's Evented PLEG reads instead of relisting.
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ContainerEvent } from '../runtime/cri-records';
import type { RuntimeService } from '../runtime/runtime-service';
import type { ContainerStatus } from './container-messages';
import type { PodSandboxStatus, PodSandboxStatusResponse } from './sandbox-messages';

interface ContainerEventResponse {
  container_id: string;
  container_event_type: ContainerEvent['type'];
  created_at: number;
  pod_sandbox_status?: PodSandboxStatus;
  containers_statuses: ContainerStatus[];
}

/** The handler: events from the call's start until the client cancels it. */
export function containerEvents(runtime: RuntimeService, sandboxStatus: (id: string) => PodSandboxStatusResponse): (call: ServerWritableStream<object, ContainerEventResponse>) => void {
  return (call) => {
    const send = (e: ContainerEvent) => {
      let status: PodSandboxStatusResponse | undefined;
      try {
        status = sandboxStatus(e.sandboxId);
      } catch {
        /* the sandbox is gone (its removal deleted the container) */
      }
      call.write({ container_id: e.containerId, container_event_type: e.type, created_at: e.createdAt, pod_sandbox_status: status?.status, containers_statuses: status?.containers_statuses ?? [] });
    };
    runtime.on('container-event', send);
    const stop = () => runtime.off('container-event', send);
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  };
}
