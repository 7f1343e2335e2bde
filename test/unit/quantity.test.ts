import t from 'tap';
import { ValidationError } from '../../src/errors';
import { isQuantity, parseQuantity, QUANTITY_PATTERN } from '../../src/api/quantity';

t.test('decimal and binary suffixes', async (t) => {
  const cases: [string | number, number][] = [
    ['100m', 0.1],
    ['1', 1],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['+2', 2],
    ['-2', -2],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['250n', 250e-9],
    ['3u', 3e-6],
    ['1Ki', 1024],
    ['64Mi', 64 * 1024 * 1024],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E3', 1000],
    ['12e-3', 0.012],
    ['5e+2', 500],
    [' 128Mi ', 128 * 2 ** 20],
    [0.5, 0.5],
    [2, 2],
    [1e3, 1000],
  ];
  for (const [input, want] of cases) t.equal(parseQuantity(input), want, JSON.stringify(input));
});

t.test('invalid quantities name the accepted pattern', async (t) => {
  for (const bad of ['', 'abc', '1Kb', '1 Gi', '1.2.3', '--1', '1ki', '1e', 'e3', 'Gi', '.', '1mm', '0x10']) {
    t.throws(
      () => parseQuantity(bad),
      { message: `Invalid value: ${JSON.stringify(bad)}: must match the regex '${QUANTITY_PATTERN}'` },
      JSON.stringify(bad),
    );
  }
  t.throws(() => parseQuantity(Number.NaN), ValidationError);
  t.throws(() => parseQuantity(Infinity), ValidationError);
});

t.test('the pattern quoted is the API server one', async (t) => {
  t.equal(QUANTITY_PATTERN, '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$');
  try {
    parseQuantity('x');
    t.fail('no error');
  } catch (e) {
    t.type(e, ValidationError);
    t.equal((e as ValidationError).code, 'Invalid');
    t.equal((e as ValidationError).field, '');
  }
});

t.test('isQuantity', async (t) => {
  t.ok(isQuantity('1Gi'));
  t.ok(isQuantity(3));
  t.notOk(isQuantity('x'));
  t.notOk(isQuantity(true));
  t.notOk(isQuantity(undefined));
});
