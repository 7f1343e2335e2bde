// The pod behind `podrun.run(image, options)`: one container, as `kubectl run` makes it, with
// what a testcontainers user says (command, env, ports, a health check) in Kubernetes' words.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import { generateName } from '../controllers/owners';
import type { WaitStrategy } from './wait';

/** A health check in Docker's terms (testcontainers' withHealthCheck); times in milliseconds. */
export interface HealthCheck {
  /** `['CMD', 'prog', 'arg']` runs prog; `['CMD-SHELL', 'a command line']` runs it with /bin/sh -c. */
  test: string[];
  /** Between checks (default 1000; at least 1000, the kubelet's shortest probe period). */
  interval?: number;
  /** For one check (default 1000). */
  timeout?: number;
  /** Failures in a row that make the pod not Ready (default 3). */
  retries?: number;
  /** Before the first check (default 0). */
  startPeriod?: number;
}

export interface RunOptions {
  /** The pod's name (default: the image's last path part and five random characters). */
  name?: string;
  namespace?: string;
  /** Replaces the image's entrypoint and arguments (Kubernetes' `command`). */
  command?: string[];
  /** Replaces the image's arguments only (Kubernetes' `args`). */
  args?: string[];
  env?: Record<string, string>;
  /** Container ports to publish on this host, each on a free port: see `mappedPort`. */
  ports?: number[];
  labels?: Record<string, string>;
  workingDir?: string;
  /** Runs the container's process as this uid. */
  user?: number;
  /** Becomes the pod's readiness probe (see Wait.forHealthCheck). */
  healthCheck?: HealthCheck;
  /** What makes the container count as started. Default: forListeningPorts with ports, else forRunning. */
  waitFor?: WaitStrategy;
  /** How long starting may take, waiting included (default 60 000). */
  startupTimeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when stopped (default 10, as `docker stop`). */
  stopTimeoutSeconds?: number;
  /** Gives up starting: the pod is removed and the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Last changes to the generated pod (volumes, resources, a securityContext...). */
  customize?: (pod: Pod) => void;
}

const DEFAULT_STOP_TIMEOUT_S = 10;

/** `registry:5000/team/web:1.2@sha256:...` → `web`, lowercased and cut to fit a pod name. */
export function nameFromImage(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const base = last.split(':')[0]!.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  return (base || 'run').slice(0, 50);
}

function probeOf(h: HealthCheck): Probe {
  const [how, ...rest] = h.test;
  let command: string[];
  if (how === 'CMD') command = rest;
  else if (how === 'CMD-SHELL') command = ['/bin/sh', '-c', rest.join(' ')];
  else throw new RangeError(`healthCheck.test must start with "CMD" or "CMD-SHELL", not ${JSON.stringify(how)}`);
  if (command.length === 0) throw new RangeError('healthCheck.test has no command');
  const seconds = (ms: number | undefined, dflt: number) => Math.max(1, Math.ceil((ms ?? dflt) / 1000));
  return {
    exec: { command },
    periodSeconds: seconds(h.interval, 1000),
    timeoutSeconds: seconds(h.timeout, 1000),
    failureThreshold: h.retries ?? 3,
    initialDelaySeconds: Math.floor((h.startPeriod ?? 0) / 1000),
  };
}

/** The pod `run(image, opts)` creates. */
export function runPod(image: string, opts: RunOptions): Pod {
  const name = opts.name ?? generateName(`${nameFromImage(image)}-`);
  const container: Container = {
    name: nameFromImage(image),
    image,
    // A local image is used as it is; one that is missing is pulled (testcontainers' way).
    imagePullPolicy: 'IfNotPresent',
  };
  if (opts.command) container.command = opts.command;
  if (opts.args) container.args = opts.args;
  if (opts.env) container.env = Object.entries(opts.env).map(([n, value]) => ({ name: n, value }));
  if (opts.ports?.length) container.ports = opts.ports.map((containerPort) => ({ containerPort }));
  if (opts.workingDir) container.workingDir = opts.workingDir;
  if (opts.user !== undefined) container.securityContext = { runAsUser: opts.user };
  if (opts.healthCheck) container.readinessProbe = probeOf(opts.healthCheck);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { run: name, ...opts.labels }, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    spec: {
      containers: [container],
      // A started container that ends is over, as a testcontainer is: nothing restarts it.
      restartPolicy: 'Never',
      // The container's process is then not PID 1 of its own namespace (the pod's shim is), so
      // SIGTERM ends a server that never set a handler for it, as on a host or `docker run
      // --init`: stop() takes milliseconds, not the whole stop timeout.
      shareProcessNamespace: true,
      terminationGracePeriodSeconds: opts.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_S,
    },
  };
  opts.customize?.(pod);
  return pod;
}
