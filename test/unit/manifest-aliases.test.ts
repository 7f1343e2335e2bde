// What the manifest fuzzer found (test/fuzz/targets/manifest.js): YAML that the yaml package
// rejects only while building the value threw a bare ReferenceError (a stack trace at the CLI);
// a mapping key that is a collection was stringified with a process warning. Both are refused
// with podrun's typed error, in one line, as go-yaml and sigs.k8s.io/yaml refuse them.
import t from 'tap';
import { ValidationError } from '../../src/errors';
import { parseManifests } from '../../src/api/manifest';

function refused(text: string): string {
  try {
    parseManifests(text, 'f.yaml');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return e.message;
  }
  return 'accepted';
}

t.test('an alias to no anchor, or expanded too often', async (t) => {
  t.match(refused('*mE9'), /^f\.yaml: .*alias/i);
  t.match(refused("*'"), /^f\.yaml: /);
  t.match(refused('apiVersion: v1\nkind: ConfigMap\ndata: *nothing\n'), /^f\.yaml: .*alias/i);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 6 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`), 'apiVersion: v1', 'kind: ConfigMap'].join('\n');
  t.match(refused(bomb), /^f\.yaml: .*alias/i, 'a billion laughs');
  t.equal(refused('apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x}\ndata: {a: b}\nx: *m\n'), 'accepted', 'an alias to an anchor is fine');
});

t.test('a mapping key that is a mapping or a list', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  t.equal(refused('apiVersion: v1\nkind: ConfigMap\ndata:\n  ? [a, b]\n  : c\n'), 'f.yaml: line 4: a mapping key must be a scalar, not a mapping or a list');
  t.equal(refused('apiVersion: v1\nkind: ConfigMap\nx: {{a: 1}: 2}\n'), 'f.yaml: line 3: a mapping key must be a scalar, not a mapping or a list');
  await new Promise((r) => setImmediate(r));
  t.same(warnings, [], 'no process warning');
});
