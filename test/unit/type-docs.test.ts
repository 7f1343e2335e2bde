import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TypeDocs } from '../../src/api/type-docs';
import { explain, wrap } from '../../src/cli/explain';
import { PodrunError } from '../../src/errors';

t.test('the reader: fields, types, required, doc comments of kubernetes-types', async (t) => {
  const docs = new TypeDocs();
  const pod = docs.type('Pod', 'core/v1')!;
  t.match(pod.description, /^Pod is a collection of containers/);
  t.same(pod.fields!.map((f) => f.name), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const spec = docs.resolve(pod.fields!.find((f) => f.name === 'spec')!.type)!;
  const containers = spec.fields!.find((f) => f.name === 'containers')!;
  t.equal(docs.typeName(containers.type), '[]Container');
  t.equal(containers.required, true);
  const byName = (type: string, module: string, field: string) => docs.type(type, module)!.fields!.find((f) => f.name === field)!;
  t.equal(docs.typeName(byName('ObjectMeta', 'meta/v1', 'labels').type), 'map[string]string', 'multi-line member');
  t.equal(docs.typeName(byName('ObjectMeta', 'meta/v1', 'creationTimestamp').type), 'string', 'Time prints as its scalar');
  t.equal(docs.typeName(byName('ResourceRequirements', 'core/v1', 'limits').type), 'map[string]Quantity');
  t.equal(docs.typeName(byName('RollingUpdateDeployment', 'apps/v1', 'maxSurge').type), 'IntOrString');
  t.equal(docs.typeName(byName('Deployment', 'apps/v1', 'metadata').type), 'ObjectMeta', 'an import followed');
  t.equal(TypeDocs.moduleOf('v1'), 'core/v1');
  t.equal(TypeDocs.moduleOf('apps/v1'), 'apps/v1');
  t.equal(TypeDocs.moduleOf('settings.k8s.io/v1alpha1'), 'settings/v1alpha1');
  t.ok(docs.type('PodPreset', 'settings/v1alpha1')!.fields!.some((f) => f.name === 'spec'), 'PodPreset, gone from kubernetes-types, is supplied');
});

t.test('the reader on a small declaration file of the same shape', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'type-docs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'x'));
  fs.writeFileSync(
    path.join(dir, 'x', 'v1.d.ts'),
    [
      '/**',
      ' * Thing is a test.',
      ' *',
      ' * Second paragraph.',
      ' */',
      'export interface Thing {',
      '    /** a name */',
      '    name: string;',
      '    readonly count?: number;',
      '    /** nested {braces} and a ; inside */',
      '    m?: {',
      '        [name: string]: Array<Thing>;',
      '    };',
      '}',
      '',
    ].join('\n'),
  );
  const docs = new TypeDocs(dir);
  const thing = docs.type('Thing', 'x/v1')!;
  t.equal(thing.description, 'Thing is a test.\n\nSecond paragraph.');
  t.same(
    thing.fields!.map((f) => [f.name, docs.typeName(f.type), f.required, f.description]),
    [
      ['count', 'integer', false, ''],
      ['m', 'map[string][]Thing', false, 'nested {braces} and a ; inside'],
      ['name', 'string', true, 'a name'],
    ],
  );
  t.equal(docs.type('Missing', 'x/v1'), undefined);
  t.equal(docs.type('Thing', 'nope/v1'), undefined);
});

t.test('wrap: at the last space within the width; long words whole; lines kept', async (t) => {
  t.equal(wrap('aaa bbb ccc', 7), 'aaa bbb\nccc');
  t.equal(wrap('aaa https://a-very-long-url bbb', 5), 'aaa\nhttps://a-very-long-url\nbbb');
  t.equal(wrap('one\ntwo three', 5), 'one\ntwo\nthree');
});

t.test("explain: kubectl's layout", async (t) => {
  const docs = new TypeDocs();
  const page = explain(docs, { kind: 'Pod', apiVersion: 'v1', fieldPath: [], recursive: false });
  t.match(page, /^KIND: {7}Pod\nVERSION: {4}v1\n\nDESCRIPTION:\n {4}Pod is a collection of containers that can run on a host\. This resource is\n {4}created by clients and scheduled onto hosts\.\n {4}\nFIELDS:\n  apiVersion\t<string>\n {4}APIVersion defines/);
  t.match(page, /\n  spec\t<PodSpec>\n {4}Specification of the desired behavior of the pod\. More info:\n {4}https:\/\/\S+\n\n/);
  const field = explain(docs, { kind: 'Deployment', apiVersion: 'apps/v1', fieldPath: ['spec', 'template', 'spec', 'containers'], recursive: false });
  t.match(field, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: containers <\[\]Container>\n\n\nDESCRIPTION:\n/);
  t.match(field, /\n  name\t<string> -required-\n/);
  const tree = explain(docs, { kind: 'Pod', apiVersion: 'v1', fieldPath: ['spec'], recursive: true });
  t.match(tree, /\n  affinity\t<Affinity>\n    nodeAffinity\t<NodeAffinity>\n/);
  t.notMatch(tree, /\n  affinity\t<Affinity>\n    If specified/, 'no descriptions in the tree');
  const err = (() => {
    try {
      explain(docs, { kind: 'Pod', apiVersion: 'v1', fieldPath: ['spec', 'nope', 'deeper'], recursive: false });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof PodrunError);
  t.equal((err as Error).message, 'field "deeper" does not exist', 'kubectl names the last field of the path');
});
