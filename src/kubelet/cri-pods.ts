// The sandboxes a kubelet made over CRI, as pods `podrun get pods` shows beside podrun's own: a
// view, built when asked and never stored, so no controller adopts, heals or deletes one (they
// belong to the kubelet that made them, as a node's containers belong to its kubelet).
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import type { ContainerView, SandboxView } from '../runtime/cri-records';

/** The annotation that tells a CRI sandbox's pod from podrun's own, with the sandbox's id. */
export const CRI_SANDBOX_ANNOTATION = 'podrun.io/cri-sandbox-id';

function rfc3339(ns: number): string {
  return new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d+Z$/, 'Z');
}

function containerStatus(c: ContainerView): ContainerStatus {
  const base = { name: c.name, image: c.image.ref, imageID: c.image.id, containerID: `podrun://${c.id}`, restartCount: c.attempt };
  if (c.state === 'CONTAINER_RUNNING') return { ...base, ready: true, started: true, state: { running: { startedAt: rfc3339(c.startedAt) } } };
  if (c.state === 'CONTAINER_EXITED') {
    return { ...base, ready: false, started: false, state: { terminated: { exitCode: c.exitCode, reason: c.reason || undefined, message: c.message || undefined, startedAt: c.startedAt ? rfc3339(c.startedAt) : undefined, finishedAt: c.finishedAt ? rfc3339(c.finishedAt) : undefined } } };
  }
  return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
}

/** One sandbox and its containers (the latest attempt of each name) as a Pod. */
export function criPod(s: SandboxView, containers: ContainerView[], hostIP: string): Pod {
  const latest = new Map<string, ContainerView>();
  for (const c of containers) if ((latest.get(c.name)?.attempt ?? -1) < c.attempt) latest.set(c.name, c);
  const views = [...latest.values()];
  const running = views.some((c) => c.state === 'CONTAINER_RUNNING');
  const exited = views.length > 0 && views.every((c) => c.state === 'CONTAINER_EXITED');
  const phase = running ? 'Running' : exited ? (views.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed') : s.state === 'SANDBOX_READY' ? 'Pending' : 'Failed';
  const ready = views.length > 0 && views.every((c) => c.state === 'CONTAINER_RUNNING');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.config.name,
      namespace: s.config.namespace,
      uid: s.config.uid,
      creationTimestamp: rfc3339(s.createdAt),
      labels: s.config.labels,
      annotations: { ...s.config.annotations, [CRI_SANDBOX_ANNOTATION]: s.id },
    },
    spec: {
      containers: views.map((c) => ({ name: c.name, image: c.image.ref })),
      hostname: s.config.hostname || undefined,
      hostNetwork: s.config.network === 'NODE' || undefined,
    },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      hostIP,
      podIP: s.ip || undefined,
      podIPs: s.ip ? [{ ip: s.ip }] : undefined,
      startTime: rfc3339(s.createdAt),
      containerStatuses: views.map(containerStatus),
    },
  };
}
