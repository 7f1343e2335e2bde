// Where `logs --since` / `--since-time` start, as the kubelet reads PodLogOptions: sinceSeconds
// back from now, or sinceTime; at most one of them, and neither in the past of nothing.
import { PodrunError } from '../errors';
import type { LogOptions } from '../types';

/** The earliest time (ms since the epoch) a line may carry, or undefined for every line. */
export function logsSince(opts: Pick<LogOptions, 'sinceSeconds' | 'sinceTime'>, now = Date.now()): number | undefined {
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) throw new PodrunError('Invalid', 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (opts.sinceSeconds !== undefined) {
    if (!(opts.sinceSeconds >= 1)) throw new PodrunError('Invalid', `PodLogOptions "" is invalid: sinceSeconds: Invalid value: ${opts.sinceSeconds}: must be greater than 0`);
    return now - opts.sinceSeconds * 1000;
  }
  if (opts.sinceTime !== undefined) {
    const t = Date.parse(opts.sinceTime);
    if (Number.isNaN(t)) throw new PodrunError('Invalid', `sinceTime: Invalid value: "${opts.sinceTime}": must be an RFC 3339 time`);
    return t;
  }
  return undefined;
}
