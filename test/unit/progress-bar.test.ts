import t from 'tap';
import { progressLine } from '../../src/cli/progress-bar';

const d = 'sha256:3f4d90098f5b5a6f6a76e9d217da85aa39b2081e30fa1f7d287138d6e7bf0ad7';

t.test('a bar per layer: filled in proportion, an arrow at the edge, the counts after', async (t) => {
  t.equal(progressLine(d, 'start', 0, 32 << 20, 10), '3f4d90098f5b: [>         ]    0.0 MiB / 32.0 MiB');
  t.equal(progressLine(d, 'bytes', 12 << 20, 32 << 20, 10), '3f4d90098f5b: [===>      ]   12.0 MiB / 32.0 MiB');
  t.equal(progressLine(d, 'bytes', 32 << 20, 32 << 20, 10), '3f4d90098f5b: [==========]   32.0 MiB / 32.0 MiB');
  t.equal(progressLine(d, 'bytes', 40 << 20, 32 << 20, 10), '3f4d90098f5b: [==========]   40.0 MiB / 32.0 MiB', 'more than announced does not overflow the bar');
  t.equal(progressLine(d, 'bytes', 3 << 20, undefined), '3f4d90098f5b: 3.0 MiB', 'no size: just the count');
  t.equal(progressLine(d, 'done', 32 << 20, 32 << 20), '3f4d90098f5b: done 32.0 MiB');
  t.equal(progressLine(d, 'cached', 0, 32 << 20), '3f4d90098f5b: already stored');
});
