// tcpSocket probes (pkg/probe/tcp): a connection from inside the pod's network namespace.
import type { TCPSocketAction } from 'kubernetes-types/core/v1';
import { ValidationError } from '../../errors';
import { defaultHost, dial, GoError, resolvePort, type ProbeResult, type ProbeTarget } from './common';

// ---- tcpSocket

export async function tcpProbe(action: TCPSocketAction, target: ProbeTarget, timeoutMs: number, field: string): Promise<ProbeResult> {
  let port: number;
  try {
    port = resolvePort(action.port, target.ports, `${field}.port`);
  } catch (e) {
    return { result: 'unknown', output: (e as ValidationError).detail };
  }
  try {
    const s = await dial(target, action.host || defaultHost(target), port, timeoutMs);
    s.destroy();
    return { result: 'success', output: '' };
  } catch (e) {
    if (e instanceof GoError) return { result: 'failure', output: e.message };
    throw e;
  }
}
