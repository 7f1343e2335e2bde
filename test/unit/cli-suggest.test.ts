import t from 'tap';
import { parseArgs, type FlagSpec } from '../../src/cli/args';
import { didYouMean, levenshtein, suggestionsFor } from '../../src/cli/suggest';

t.test('levenshtein: insertions, deletions, substitutions, case ignored', async (t) => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['get', 'get', 0],
    ['gte', 'get', 2],
    ['ge', 'get', 1],
    ['gett', 'get', 1],
    ['GET', 'get', 0],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ];
  for (const [a, b, d] of cases) t.equal(levenshtein(a, b), d, `${a} -> ${b}`);
});

t.test("cobra's rule: distance <= 2 or a prefix; sorted, each once", async (t) => {
  const commands = ['get', 'delete', 'describe', 'exec', 'explain', 'label', 'logs', 'apply', 'annotate'];
  t.same(suggestionsFor('gte', commands), ['get']);
  t.same(suggestionsFor('ge', commands), ['get']);
  t.same(suggestionsFor('de', commands), ['delete', 'describe', 'get'], 'a short word is near many (cobra suggests them all)');
  t.same(suggestionsFor('lable', commands), ['label']);
  t.same(suggestionsFor('expla', commands), ['explain']);
  t.same(suggestionsFor('frobnicate', commands), []);
  t.same(suggestionsFor('get', commands), [], 'the word itself is no suggestion');
  t.same(suggestionsFor('selectr', ['selector', 'show-labels', 'output']), ['selector']);
});

t.test('the lines after the error: blank line, "Did you mean this?", tab-indented names', async (t) => {
  t.equal(didYouMean([]), '');
  t.equal(didYouMean(['get']), '\n\nDid you mean this?\n\tget\n');
  t.equal(didYouMean(['delete', 'describe']), '\n\nDid you mean this?\n\tdelete\n\tdescribe\n');
});

t.test('the parser suggests the flags of the command near an unknown one', async (t) => {
  const specs: FlagSpec[] = [
    { name: 'selector', short: 'l', kind: 'string', help: '' },
    { name: 'output', short: 'o', kind: 'string', help: '' },
  ];
  const r = parseArgs(['get', 'pods', '--selectr', 'app=x'], () => specs);
  t.equal(r.error, 'unknown flag: --selectr');
  t.same(r.suggestions, ['--selector']);
  t.same(parseArgs(['get', '--frobnicate'], () => specs).suggestions, []);
});
