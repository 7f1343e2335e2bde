import t from 'tap';
import { PodrunError } from '../../src/errors';
import { changedMap, labelChangeWord, parseAnnotationPairs, parseLabelPairs, splitResourcesAndPairs } from '../../src/cli/metadata-pairs';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof PodrunError) return e.message;
    throw e;
  }
  return '';
};

t.test('resources come before the changes', async (t) => {
  t.same(splitResourcesAndPairs(['pods', 'web', 'app=x', 'tier-'], 'label'), { resources: ['pods', 'web'], pairs: ['app=x', 'tier-'] });
  t.same(splitResourcesAndPairs(['pod/web', 'a=b=c'], 'label'), { resources: ['pod/web'], pairs: ['a=b=c'] });
  t.equal(message(() => splitResourcesAndPairs(['pods', 'app=x', 'web'], 'label')), 'all resources must be specified before label changes: web');
  t.same(splitResourcesAndPairs(['-', '=x'], 'annotation'), { resources: ['-', '=x'], pairs: [] }, '"-" and "=x" are not changes');
});

t.test("label pairs: kubectl's checks", async (t) => {
  const c = parseLabelPairs(['app=web', 'tier-', 'empty=']);
  t.same([...c.set], [['app', 'web'], ['empty', '']]);
  t.same(c.remove, ['tier']);
  t.equal(message(() => parseLabelPairs(['a=b=c'])), 'invalid label spec: a=b=c');
  t.match(message(() => parseLabelPairs(['app=bad value'])), /^invalid label value: "app=bad value": a valid label must be an empty string or consist of alphanumeric characters/);
  t.equal(message(() => parseLabelPairs([`app=${'x'.repeat(64)}`])), `invalid label value: "app=${'x'.repeat(64)}": must be no more than 63 characters`);
  t.match(message(() => parseLabelPairs([`app=-${'x'.repeat(63)}`])), /: must be no more than 63 characters;a valid label must be/, 'several problems joined by ;');
  t.equal(message(() => parseLabelPairs(['app=x', 'app-'])), 'can not both modify and remove a label in the same command');
});

t.test('annotation pairs: the value is all after the first =', async (t) => {
  const c = parseAnnotationPairs(['note=a=b c', 'old-']);
  t.same([...c.set], [['note', 'a=b c']]);
  t.same(c.remove, ['old']);
  t.equal(message(() => parseAnnotationPairs(['x=1', 'x-'])), 'can not both modify and remove the following annotation(s) in the same command: x');
});

t.test('the change, and --overwrite', async (t) => {
  const labels = { app: 'web', tier: 'front' };
  const set = (k: string, v: string) => ({ set: new Map([[k, v]]), remove: [] });
  t.same(changedMap(labels, set('env', 'prod'), 'label', false), { app: 'web', tier: 'front', env: 'prod' });
  t.same(changedMap(labels, set('app', 'web'), 'label', false), labels, 'the same value needs no --overwrite');
  t.equal(message(() => changedMap(labels, set('app', 'db'), 'label', false)), "'app' already has a value (web), and --overwrite is false");
  t.equal(
    message(() => changedMap(labels, { set: new Map([['app', 'db'], ['tier', 'back']]), remove: [] }, 'label', false)),
    "['app' already has a value (web), and --overwrite is false, 'tier' already has a value (front), and --overwrite is false]",
  );
  t.same(changedMap(labels, set('app', 'db'), 'label', true), { app: 'db', tier: 'front' });
  t.same(changedMap(labels, { set: new Map(), remove: ['tier', 'absent'] }, 'label', false), { app: 'web' });
  t.equal(message(() => changedMap({ a: '1' }, set('a', '2'), 'annotation', false)), "--overwrite is false but found the following declared annotation(s): 'a' already has a value (1)");
  t.same(changedMap({ 'kubernetes.io/change-cause': 'x' }, set('kubernetes.io/change-cause', 'y'), 'annotation', false), { 'kubernetes.io/change-cause': 'y' });
});

t.test("label's words for what changed", async (t) => {
  t.equal(labelChangeWord({ a: '1' }, { a: '1' }), 'not labeled');
  t.equal(labelChangeWord(undefined, { a: '1' }), 'labeled');
  t.equal(labelChangeWord({ a: '1' }, { a: '2' }), 'labeled');
  t.equal(labelChangeWord({ a: '1' }, {}), 'unlabeled');
  t.equal(labelChangeWord({ a: '1' }, { b: '1' }), 'label(s) changed');
});
