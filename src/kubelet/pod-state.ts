// What the engine decided about a pod, persisted beside the shim's records (state.jsonl, a log
// whose last line is the state): the records say what ran; this says what the kubelet rules
// concluded from it.
import { appendRecord, readLastRecord } from '../state/record-log';

export interface ContainerHint {
  /** Set while a restart waits for its back-off (CrashLoopBackOff). */
  waiting?: { reason: string; message: string };
  /** RFC 3339 time before which the container must not be restarted. */
  backoffUntil?: string;
  /** The spec hash the attempt `hashAttempt` was started from, and the attempt its back-off counts from. */
  hash?: string;
  hashAttempt?: number;
  backoffFrom?: number;
  /** Attempts below this one belong to an earlier sandbox of the pod. */
  sandboxFrom?: number;
  /** Image pulls that failed in a row, the last one's error, and when the next may be tried. */
  pullFailures?: number;
  pullError?: string;
  pullBackoffUntil?: string;
}

export interface ConditionRecord {
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface PodState {
  startTime: string;
  /** Every init container has completed; they never run again. */
  initialized: boolean;
  /** Terminal decision (Succeeded/Failed); the pod never leaves it. */
  phase?: 'Succeeded' | 'Failed';
  reason?: string;
  message?: string;
  containers: Record<string, ContainerHint>;
  conditions: Record<string, ConditionRecord>;
  deletionTimestamp?: string;
}

export function newPodState(now: string): PodState {
  return { startTime: now, initialized: false, containers: {}, conditions: {} };
}

/** The state last written to FILE; undefined when there is none (creation never got that far). */
export function readPodState(file: string): PodState | undefined {
  const s = readLastRecord(file) as PodState | undefined;
  return s && typeof s === 'object' && typeof s.startTime === 'string' ? s : undefined;
}

/** Records STATE as the pod's latest (one appended line; the log compacts itself to it). */
export function writePodState(file: string, state: PodState): void {
  appendRecord(file, state, () => [state]);
}
