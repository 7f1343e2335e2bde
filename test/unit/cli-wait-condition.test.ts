import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { parseWaitFor, splitJSONPathSpec } from '../../src/cli/wait-condition';

const pod: Pod = {
  metadata: { name: 'web' },
  status: {
    phase: 'Succeeded',
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Initialized', status: 'True' },
    ],
    containerStatuses: [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  },
};

const test = (spec: string): boolean => {
  const c = parseWaitFor(spec);
  if (c.kind !== 'pod') throw new Error('expected a pod condition');
  return c.test(pod);
};

t.test('conditions: status True by default, case-insensitive', async (t) => {
  t.equal(test('condition=Initialized'), true);
  t.equal(test('condition=ready'), false);
  t.equal(test('condition=Ready=false'), true);
  t.equal(test('condition=Ready=False'), true);
  t.equal(test('condition=PodScheduled'), false, 'an absent condition is not met');
});

t.test('jsonpath: value, quoted forms, existence', async (t) => {
  t.equal(test('jsonpath={.status.phase}=Succeeded'), true);
  t.equal(test("jsonpath='{.status.phase}'=Succeeded"), true);
  t.equal(test("jsonpath='{.status.phase}=Succeeded'"), true);
  t.equal(test('jsonpath={.status.phase}=Running'), false);
  t.equal(test('jsonpath={.status.containerStatuses[0].state.terminated.reason}=Completed'), true);
  t.equal(test('jsonpath={.status.containerStatuses[?(@.name=="a")].state.terminated.exitCode}=0'), true);
  t.equal(test('jsonpath={.status.containerStatuses[*].name}=a'), true, 'one result');
  t.equal(test('jsonpath={.status.conditions[*].type}=Ready'), false, 'several results never equal a value');
  t.equal(test('jsonpath={.status.conditions}=x'), false);
  t.equal(test('jsonpath={.status.phase}'), true, 'without a value: the path exists');
  t.equal(test('jsonpath={.status.podIP}'), false);
});

t.test('delete and errors', async (t) => {
  t.same(parseWaitFor('delete'), { kind: 'delete' });
  t.throws(() => parseWaitFor(undefined), /--for must be specified/);
  t.throws(() => parseWaitFor('ready'), { message: 'unrecognized condition: "ready"' });
  t.throws(() => parseWaitFor('jsonpath=.status.phase=x'), /jsonpath wait format must be/);
  t.same(splitJSONPathSpec('{.a}="x y"'), { expr: '{.a}', value: 'x y' });
  t.same(splitJSONPathSpec("'{.a}'='b'"), { expr: '{.a}', value: 'b' });
  t.throws(() => splitJSONPathSpec('{.a}x'), /unrecognized condition/);
});
