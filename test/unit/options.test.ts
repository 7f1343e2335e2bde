// Option layers over defaults: undefined (and NaN) never wins, whatever the layer or its order.
import t from 'tap';
import { envNumber, withDefaults } from '../../src/options';
import { backoffDelay, KUBELET_BACKOFF } from '../../src/kubelet/backoff';

t.test('a key left undefined keeps the default', async (t) => {
  const merged = withDefaults(KUBELET_BACKOFF, { initialMs: undefined, maxMs: undefined });
  t.same(merged, { initialMs: 10_000, maxMs: 300_000 });
  t.equal(backoffDelay(merged, 2), 20_000, 'the second back-off is a number of ms, not NaN');
});

t.test('layers apply in order; only defined values win', async (t) => {
  t.same(withDefaults(KUBELET_BACKOFF, { initialMs: 500 }, { initialMs: undefined, maxMs: 900 }), { initialMs: 500, maxMs: 900 });
  t.same(withDefaults(KUBELET_BACKOFF, undefined, { maxMs: undefined }), KUBELET_BACKOFF);
  t.same(withDefaults(KUBELET_BACKOFF, { initialMs: Number.NaN }), KUBELET_BACKOFF, 'NaN is no value');
  t.same(withDefaults(KUBELET_BACKOFF, { initialMs: 0 }), { initialMs: 0, maxMs: 300_000 }, '0 is a value');
  t.same(KUBELET_BACKOFF, { initialMs: 10_000, maxMs: 300_000 }, 'the defaults themselves are untouched');
});

t.test('environment numbers: unset is undefined, garbage is refused by name', async (t) => {
  t.equal(envNumber('X', {}), undefined);
  t.equal(envNumber('X', { X: '' }), undefined);
  t.equal(envNumber('X', { X: '250' }), 250);
  t.throws(() => envNumber('X', { X: 'soon' }), /X="soon": not a non-negative number/);
});
