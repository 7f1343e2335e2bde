// Ages as kubectl prints them (AGE column, restart suffix, describe's event ages): the rules of
// k8s.io/apimachinery/pkg/util/duration.HumanDuration, so `5s`, `3m2s`, `2d3h` read the same
// here as in a cluster. Precision drops as the duration grows, which keeps the column narrow.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's integer division of durations truncates toward zero. */
const div = (a: number, b: number): number => Math.trunc(a / b);

/** kubectl's HumanDuration for a span in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = div(ms, SECOND);
  // Up to 2 s in the future counts as now: clocks of different machines (and processes) drift.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = div(ms, MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = div(ms, HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${div(hours, 24)}d` : `${div(hours, 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${div(hours, 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = div(hours, 24) % 365;
    return dy === 0 ? `${div(hours, 24 * 365)}y` : `${div(hours, 24 * 365)}y${dy}d`;
  }
  return `${div(hours, 24 * 365)}y`;
}

/**
 * kubectl's translateTimestampSince: the age of an RFC 3339 timestamp at `now` (ms since the
 * epoch), `<unknown>` when the timestamp is absent or unreadable.
 */
export function ageSince(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}
