import t from 'tap';
import { ageSince, humanDuration } from '../../src/cli/age';
import { parseDuration } from '../../src/cli/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

t.test("kubectl's HumanDuration", async (t) => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1500, '0s'], // up to 2 s of clock skew reads as now
    [0, '0s'],
    [999, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D + 100 * D, '8y'],
  ];
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms`);
});

t.test('ageSince: against a given now, unknown without a time', async (t) => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  t.equal(ageSince('2024-05-01T11:56:58Z', now), '3m2s');
  t.equal(ageSince(undefined, now), '<unknown>');
  t.equal(ageSince('not a time', now), '<unknown>');
});

t.test("durations as kubectl's flags read them", async (t) => {
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('0'), 0);
  t.equal(parseDuration('-1s'), -1000);
  t.throws(() => parseDuration('10'), { message: 'time: missing unit in duration "10"' });
  t.throws(() => parseDuration('1d'), { message: 'time: unknown unit "d" in duration "1d"' });
  t.throws(() => parseDuration(''), { message: 'time: invalid duration ""' });
  t.throws(() => parseDuration('s'), { message: 'time: invalid duration "s"' });
  t.throws(() => parseDuration('1s2'), { message: 'time: missing unit in duration "1s2"' });
});
