import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors';
import { dropNulls, loadManifestFile, parseManifests } from '../../src/api/manifest';

const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`;

t.test('a YAML stream: several documents, empty ones skipped', async (t) => {
  const text = `---\n${pod('a')}---\n---\n# only a comment\n---\n${pod('b')}...\n`;
  const objs = parseManifests(text);
  t.same(
    objs.map((o) => o.metadata?.name),
    ['a', 'b'],
  );
  t.equal(objs[0].apiVersion, 'v1');
  t.equal(objs[0].kind, 'Pod');
  t.same(parseManifests(''), []);
  t.same(parseManifests('\n# nothing\n'), []);
  t.same(parseManifests('---\n---\n'), []);
});

t.test('YAML 1.1 scalars, as go-yaml v2 reads them', async (t) => {
  const [o] = parseManifests(
    [
      'apiVersion: v1',
      'kind: X',
      'yesv: yes',
      'nov: no',
      'onv: on',
      'offv: Off',
      'truev: True',
      'quoted: "yes"',
      'mode: 0644',
      'hex: 0x1F',
      'time: 1:20',
      'date: 2024-01-02',
      'stamp: 2024-01-02T03:04:05Z',
      'float: 1.5',
      'exp: 1e3',
      'tilde: ~',
      'empty:',
      'str: 012abc',
    ].join('\n'),
  );
  t.equal(o.yesv, true);
  t.equal(o.nov, false);
  t.equal(o.onv, true);
  t.equal(o.offv, false);
  t.equal(o.truev, true);
  t.equal(o.quoted, 'yes');
  t.equal(o.mode, 420, '0644 is octal');
  t.equal(o.hex, 31);
  t.equal(o.time, '1:20', 'no sexagesimal numbers');
  t.equal(o.date, '2024-01-02', 'timestamps stay strings');
  t.equal(o.stamp, '2024-01-02T03:04:05Z');
  t.equal(o.float, 1.5);
  t.equal(o.exp, 1000);
  t.notOk('tilde' in o, 'null fields are dropped, as absent');
  t.notOk('empty' in o);
  t.equal(o.str, '012abc');
});

t.test('anchors and merge keys', async (t) => {
  const [o] = parseManifests('apiVersion: v1\nkind: X\nbase: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n');
  t.same(o.derived, { a: 1, b: 3 });
});

t.test('duplicate keys are rejected with the line', async (t) => {
  t.throws(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n', 'x.yaml'), {
    message: 'x.yaml: line 5: Map keys must be unique',
    field: '',
    code: 'Invalid',
  });
  t.throws(() => parseManifests('{"apiVersion": "v1", "kind": "Pod",\n "kind": "Pod"}', 'p.json'), {
    message: 'p.json: line 2: Map keys must be unique',
  });
});

t.test('syntax errors name the source and line', async (t) => {
  const err = t.throws(() => parseManifests('apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n', 'x.yaml')) as ValidationError;
  t.type(err, ValidationError);
  t.match(err.message, /^x\.yaml: line \d+: \S/);
  t.notMatch(err.message, /\n/, 'one line');
  t.throws(() => parseManifests('a: 1\n b: 2\n', 'y.yaml'), { message: /^y\.yaml: line 1: / });
  t.throws(() => parseManifests('key: "unterminated\n'), { message: /^<input>: line \d+: Missing closing "quote$/ });
  // JSON input must be JSON, though YAML would accept this as `kind: null`.
  t.throws(() => parseManifests('{"apiVersion": "v1", "kind": }', 'bad.json'), { message: "bad.json: line 1: Unexpected token '}'" });
  t.throws(() => parseManifests('{\n "apiVersion": "v1",\n "x": "}",\n "kind": }', 'b.json'), {
    message: "b.json: line 4: Unexpected token '}'",
  });
  t.throws(() => parseManifests('{\n"a": 1,\n}', 'c.json'), { message: 'c.json: line 3: Expected double-quoted property name' });
  t.throws(() => parseManifests('[1,\n]', 'd.json'), { message: "d.json: line 2: Unexpected token ']'" });
  // The second document holds the error: its line in the whole stream is reported.
  t.throws(() => parseManifests(`${pod('a')}---\nx: [1,\n`, 's.yaml'), { message: /^s\.yaml: line [67]: / });
});

t.test('JSON: one object, or a List', async (t) => {
  const one = parseManifests(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' } }, null, '\t'));
  t.equal(one.length, 1);
  t.equal(one[0].metadata?.name, 'j');
  const list = parseManifests(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
      ],
    }),
  );
  t.same(
    list.map((o) => `${o.kind}/${o.metadata?.name}`),
    ['Pod/a', 'ConfigMap/b'],
  );
});

t.test('a List in YAML, and typed lists lend their kind to items', async (t) => {
  const objs = parseManifests('apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n');
  t.same(
    objs.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata?.name}`),
    ['v1 Pod/a', 'v1 Pod/b'],
  );
  t.same(parseManifests('apiVersion: v1\nkind: List\nitems: []\n'), []);
});

t.test('apiVersion and kind are required strings', async (t) => {
  t.throws(() => parseManifests('apiVersion: v1\nmetadata: {name: a}\n'), { message: 'kind: Required value', field: 'kind' });
  t.throws(() => parseManifests('kind: Pod\n'), { message: 'apiVersion: Required value' });
  t.throws(() => parseManifests('apiVersion: v1\nkind: ""\n'), { message: 'kind: Required value' });
  t.throws(() => parseManifests('apiVersion: 1\nkind: Pod\n'), { message: 'apiVersion: Invalid value: 1: must be a string' });
  t.throws(() => parseManifests('apiVersion: v1\nkind: yes\n'), { message: 'kind: Invalid value: true: must be a string' });
  // With several documents, the document index leads the field path.
  t.throws(() => parseManifests(`${pod('a')}---\napiVersion: v1\n`), { message: '[1].kind: Required value', field: '[1].kind' });
  t.throws(() => parseManifests('- a\n- b\n'), { message: 'Invalid value: ["a","b"]: must be an object' });
  t.throws(() => parseManifests(`${pod('a')}---\njust a string\n`), { message: '[1]: Invalid value: "just a string": must be an object' });
});

t.test('dropNulls keeps nulls inside arrays', async (t) => {
  t.same(dropNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] }), { b: { d: 1 }, e: [null, {}] });
});

t.test('loadManifestFile reads a file and names it in errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podrun-manifest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'pod.yaml');
  writeFileSync(good, pod('from-file'));
  t.equal(loadManifestFile(good)[0].metadata?.name, 'from-file');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'a: 1\na: 2\n');
  t.throws(() => loadManifestFile(bad), { message: `${bad}: line 2: Map keys must be unique` });
  t.throws(() => loadManifestFile(join(dir, 'missing.yaml')), { code: 'ENOENT' });
});

t.test("\\' in a double-quoted string reads as ' (go-yaml's scanner, so kubectl, accepts it)", async (t) => {
  // As the documentation's envars-file-container.yaml writes it.
  const [o] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: "it\\\'s"\n  b: "a \\\\\'quoted\\\\\' path"\n  c: "tab\\tand \\"dq\\""\n');
  t.same((o as { data: Record<string, string> }).data, { a: "it's", b: "a \\'quoted\\' path", c: 'tab\tand "dq"' });
  t.throws(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: "bad \\q"\n'), /line 5: Invalid escape sequence \\q/, 'other unknown escapes are still errors');
});
