// The pod shim's socket protocol, one JSON line per request: what each op carries. The shim
// checks every request against the same shapes (native/shim/protocol.c) and refuses one with a
// member missing or of the wrong type, naming it ("start: container.uid: Required value"),
// instead of reading a default: a field renamed here must be renamed there, or nothing starts.
import type { ContainerPlan } from './container-plan';

/** The overlay directories a probe mounts (and unmounts) at `target`, in the pod's namespaces. */
export interface OverlayProbe {
  target: string;
  lower: string[];
  upper: string;
  work: string;
}

export type ShimRequest =
  | { op: 'hello' }
  /** Exit events of every container from now on, on this connection. */
  | { op: 'subscribe' }
  | { op: 'start'; container: ContainerPlan }
  | ({ op: 'probe-overlay'; userxattr: boolean } & OverlayProbe)
  | ({ op: 'probe-fuse-overlayfs'; program: string } & OverlayProbe)
  | { op: 'signal'; name: string; signal: number }
  /** From the reply on, the connection is the container's terminal or stdin and output. */
  | { op: 'attach'; name: string }
  | { op: 'resize'; name: string; rows: number; cols: number }
  /** The running container's log file opened again at its path (the kubelet rotated it). */
  | { op: 'reopen-log'; name: string }
  | { op: 'list' }
  /** Ends the pod now; `remove` lists folders the shim deletes before it exits. */
  | { op: 'shutdown'; remove: string[] };

/** A request as written to the socket: with the id its reply carries. */
export type ShimRequestLine = ShimRequest & { id: number };
