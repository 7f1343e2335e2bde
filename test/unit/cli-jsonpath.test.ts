import t from 'tap';
import { evaluate, parseJSONPath, renderTemplate } from '../../src/cli/jsonpath';

const pod = {
  metadata: { name: 'web', labels: { app: 'web', 'k8s.io/x': 'y' } },
  status: {
    phase: 'Running',
    containerStatuses: [
      { name: 'app', restartCount: 2, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      { name: 'side', restartCount: 0, ready: true, state: { running: { startedAt: 't' } } },
    ],
  },
};

const get = (expr: string, obj: unknown = pod): unknown[] => evaluate(parseJSONPath(expr), obj);

t.test('fields and indexes', async (t) => {
  t.same(get('{.status.phase}'), ['Running']);
  t.same(get('.status.phase'), ['Running'], 'braces optional');
  t.same(get('{.status.containerStatuses[0].state.terminated.reason}'), ['Completed']);
  t.same(get('{.status.containerStatuses[-1].name}'), ['side']);
  t.same(get('{.status.containerStatuses[5].name}'), []);
  t.same(get('{.status.nothing.here}'), []);
  t.same(get("{.metadata.labels['k8s.io/x']}"), ['y']);
  t.same(get('{$.metadata.name}'), ['web']);
  t.same(get('{.status.containerStatuses[0].restartCount}'), [2], 'numbers stay numbers');
});

t.test('wildcards and filters', async (t) => {
  t.same(get('{.status.containerStatuses[*].name}'), ['app', 'side']);
  t.same(get('{.status.containerStatuses[?(@.name=="side")].ready}'), [true]);
  t.same(get("{.status.containerStatuses[?(@.name=='app')].restartCount}"), [2]);
  t.same(get('{.status.containerStatuses[?(@.name!="app")].name}'), ['side']);
  t.same(get('{.status.containerStatuses[?(@.restartCount==2)].name}'), ['app']);
  t.same(get('{.status.containerStatuses[?(@.state.running.startedAt=="t")].name}'), ['side'], 'nested path in a filter');
  t.same(get('{.status.containerStatuses[?(@.name=="none")].name}'), []);
});

t.test('refused expressions say why', async (t) => {
  t.throws(() => parseJSONPath('{..name}'), /recursive descent/);
  t.throws(() => parseJSONPath('{.a[1:2]}'), /unsupported expression \[1:2\]/);
  t.throws(() => parseJSONPath('{.a[0}'), /unclosed \[/);
});

t.test('templates: text verbatim, results joined by spaces, objects as JSON', async (t) => {
  t.equal(renderTemplate('{.metadata.name}', pod), 'web');
  t.equal(renderTemplate('name={.metadata.name} phase={.status.phase}', pod), 'name=web phase=Running');
  t.equal(renderTemplate('{.status.containerStatuses[*].name}', pod), 'app side');
  t.equal(renderTemplate('{.metadata.labels}', pod), '{"app":"web","k8s.io/x":"y"}');
});
