// The public shapes of the Node API. Kubernetes objects come from kubernetes-types.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { Readable, Writable } from 'node:stream';
import type { PodrunError } from './errors';

export type { Event, Pod };

export type IdMapping = 'auto' | 'single' | 'subid';

export interface PodrunOptions {
  /** State root; default $PODRUN_ROOT, else $XDG_RUNTIME_DIR/podrun, /run/podrun for root. */
  root?: string;
  /** Image store; default $PODRUN_DATA_ROOT, else $XDG_DATA_HOME/podrun (~/.local/share/podrun), /var/lib/podrun for root. */
  dataRoot?: string;
  /** How a rootless pod maps ids: one id (no helpers), the /etc/subuid range (newuidmap), or subid when available. */
  idMapping?: IdMapping;
  /**
   * Where the engine runs. 'auto' (default): in this process when no `podrun serve` owns the root,
   * else through that serve. 'spawn': start `podrun serve` in the background when none runs (the CLI's way).
   */
  engine?: 'auto' | 'spawn';
  /** Container log rotation: rotate at maxSize bytes, keep maxFiles files (kubelet defaults: 10 MiB, 5). */
  logs?: { maxSize?: number; maxFiles?: number };
  /** Restart back-off (kubelet defaults: 10 s doubling to 300 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Namespaced sysctls beyond the kubelet's safe set that pods may set, as the kubelet's
   * --allowed-unsafe-sysctls: names or patterns ending in `*` (`kernel.msg*`, `net.core.*`).
   * Only ipc (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) and net (net.*) ones: any other
   * (kernel.core_pattern, vm.*) would change the host, and is refused here at once.
   */
  allowedUnsafeSysctls?: string[];
  /**
   * Where notices go: what this machine lacks that changes what pods get (no subordinate ids,
   * limits not enforced, ...), each said once per state root. Default: a process warning
   * (`process.emitWarning(text, 'PodrunNotice')`), printed on stderr as Node prints its own.
   */
  onNotice?: (text: string) => void;
}

export interface ApplyResult {
  kind: string;
  namespace: string;
  name: string;
  /** kubectl's words: created, unchanged, configured; failed with `error` set. */
  action: 'created' | 'unchanged' | 'configured' | 'failed';
  /** Why this object was not applied (the others were). */
  error?: PodrunError;
  /** Fields accepted but not carried out (kubectl prints such server warnings as `Warning: ...`). */
  warnings?: string[];
}

export interface DeleteOptions {
  namespace?: string;
  /** Seconds between SIGTERM and SIGKILL; default the pod's terminationGracePeriodSeconds. 0 = now. */
  gracePeriodSeconds?: number;
}

export interface LogOptions {
  namespace?: string;
  container?: string;
  follow?: boolean;
  previous?: boolean;
  /** Prefix each line with its RFC 3339 timestamp (kubectl logs --timestamps). */
  timestamps?: boolean;
  tailLines?: number;
  /**
   * Only lines logged in the last this many seconds (kubectl logs --since), judged by each
   * line's CRI timestamp, after tailLines has picked the last lines (as the kubelet filters).
   */
  sinceSeconds?: number;
  /** Only lines logged at or after this RFC 3339 time (--since-time); at most one of the two. */
  sinceTime?: string;
  /** Stops a follow: the iteration ends (without an error) when it aborts. */
  signal?: AbortSignal;
}

export interface ExecOptions {
  namespace?: string;
  container?: string;
  tty?: boolean;
  /** Keep stdin open (kubectl exec -i); otherwise stdin is closed at once. */
  stdin?: boolean;
  rows?: number;
  cols?: number;
  /** Kills the process (SIGKILL) when it aborts; `exit` then resolves as the process ends. */
  signal?: AbortSignal;
}

export interface ExecSession {
  stdin: Writable;
  stdout: Readable;
  /** null with a tty (stderr goes to the terminal). */
  stderr: Readable | null;
  /** Resolves when the process exits. */
  exit: Promise<{ exitCode: number; signal: number }>;
  resize(rows: number, cols: number): void;
  kill(signal?: number): void;
  /** `await using`: kills the process if it still runs (SIGKILL) and waits for its end. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface WaitOptions {
  namespace?: string;
  /** Gives up with a Timeout error after this long (default 60 s). */
  timeoutMs?: number;
  /** Gives up at once when it aborts: the promise rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
}

export interface ListEventsOptions {
  /** Only events in this namespace; all namespaces when absent. */
  namespace?: string;
  /** Only events about the pod of this name (involvedObject.name). */
  pod?: string;
}

/**
 * One change seen by `watch`, in the words of a Kubernetes watch: a pod ADDED, MODIFIED or
 * DELETED (the object as last seen), or an EVENT recorded or updated (count, lastTimestamp).
 */
export type WatchEvent<T = Pod> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'EVENT'; object: Event }
  /** With allowBookmarks: the resourceVersion reached; annotated `k8s.io/initial-events-end` after the first listing. */
  | { type: 'BOOKMARK'; object: { apiVersion: string; kind: string; metadata: { resourceVersion?: string; annotations?: Record<string, string> } } };

export interface WatchOptions {
  /** Only pods and events of this namespace; all namespaces when absent. */
  namespace?: string;
  /** Ends the watch (the iterator finishes without an error). */
  signal?: AbortSignal;
  /** Also yield BOOKMARK events: where the listing ends, and the resourceVersion reached. */
  allowBookmarks?: boolean;
  /** The kinds to watch (`Pod`, `Deployment`, `rs`, `Event`, ...); pods and events when absent. */
  kinds?: string[];
  /** Resume after this resourceVersion (one an earlier watch or object showed) instead of starting from a listing. */
  resourceVersion?: string;
}
