import t from 'tap';
import type { EnvVar } from 'kubernetes-types/core/v1';
import { PodrunError } from '../../src/errors';
import { buildEnv, expand, secretData, type EnvSources } from '../../src/plan/env';

// The expansion table reproduces the behaviours covered by Kubernetes'
// third_party/forked/golang/expansion tests (TestMapReference, TestMapping).
t.test('expand: Kubernetes expansion rules', async (t) => {
  const vars: Record<string, string> = {
    VAR_A: 'A',
    VAR_B: 'B',
    VAR_C: 'C',
    VAR_REF: '$(VAR_A)',
    VAR_EMPTY: '',
  };
  const mapping = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  const cases: [string, string, string][] = [
    ['whole string', '$(VAR_A)', 'A'],
    ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
    ['multiple repeats', '$(VAR_A)-$(VAR_B)-$(VAR_B)-$(VAR_B)-$(VAR_A)', 'A-B-B-B-A'],
    ['beginning', '$(VAR_A)-1', 'A-1'],
    ['middle', '___$(VAR_B)___', '___B___'],
    ['end', '___$(VAR_C)', '___C'],
    ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
    ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
    ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
    ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
    ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
    ['backslash escape ignored x2', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
    ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
    ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
    ['nested var references second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
    ['value is a reference', '$(VAR_REF)', '$(VAR_A)'],
    ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
    ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
    ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
    ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
    ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
    ['bare operators are ignored', '$VAR_A', '$VAR_A'],
    ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
    ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
    ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
    ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
    ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
    ['missing open expression', '$VAR_A)', '$VAR_A)'],
    ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
    ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
    ['trailing incomplete expression, no content, is not consumed', '$(VAR_C)_______$(', 'C_______$('],
    ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
    ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
    ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
    ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
    ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
    ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
    ['newline not expanded', '\n', '\n'],
    ['empty input', '', ''],
    ['lone operator', '$', '$'],
    ['double operator', '$$', '$'],
    ['empty reference is kept', '$()', '$()'],
    ['non-ASCII after operator', '$é$(VAR_A)ü', '$éAü'],
  ];
  for (const [name, input, want] of cases) t.equal(expand(input, mapping), want, name);
});

t.test('expand: an empty-named reference goes through the mapping', async (t) => {
  t.equal(expand('x$()y', (n) => (n === '' ? 'E' : undefined)), 'xEy');
});

const sources = (over: Partial<EnvSources> = {}): EnvSources => ({
  configMap: (name) => (name === 'cfg' ? { LEVEL: 'debug', MODE: 'fast', 'bad=key': 'x' } : undefined),
  secret: (name) => (name === 'creds' ? { PASSWORD: 'hunter2' } : undefined),
  fieldRef: (path) => ({ 'metadata.name': 'web-0', 'metadata.namespace': 'default', "metadata.labels['app']": 'web' })[path],
  ...over,
});

t.test('buildEnv: image env first, container env in order, replaced in place', async (t) => {
  const env: EnvVar[] = [
    { name: 'B', value: '2' },
    { name: 'PATH', value: '/opt/bin:$(PATH)' },
    { name: 'A', value: '1' },
  ];
  t.same(buildEnv(env, ['PATH=/usr/bin:/bin', 'A=0', 'HOME=/root']), [
    { name: 'PATH', value: '/opt/bin:/usr/bin:/bin' },
    { name: 'A', value: '1' },
    { name: 'HOME', value: '/root' },
    { name: 'B', value: '2' },
  ]);
});

t.test('buildEnv: values expand against earlier definitions only', async (t) => {
  const env: EnvVar[] = [
    { name: 'X', value: 'x' },
    { name: 'Y', value: '$(X)-$(Z)' }, // Z is defined later: kept as written
    { name: 'Z', value: 'z' },
    { name: 'X', value: 'new-$(X)' }, // redefinition sees the old X, keeps X's place
    { name: 'ESC', value: '$$(X)' },
    { name: 'EMPTY', value: '' },
    { name: 'NOVALUE' },
  ];
  t.same(buildEnv(env, []), [
    { name: 'X', value: 'new-x' },
    { name: 'Y', value: 'x-$(Z)' },
    { name: 'Z', value: 'z' },
    { name: 'ESC', value: '$(X)' },
    { name: 'EMPTY', value: '' },
    { name: 'NOVALUE', value: '' },
  ]);
});

t.test('buildEnv: substituted values are not expanded again', async (t) => {
  const env: EnvVar[] = [
    { name: 'A', value: '$$(B)' },
    { name: 'B', value: 'b' },
    { name: 'C', value: '$(A)' },
  ];
  t.same(buildEnv(env, []).find((e) => e.name === 'C'), { name: 'C', value: '$(B)' });
});

t.test('buildEnv: image env without "=" is an empty variable', async (t) => {
  t.same(buildEnv([], ['FLAG', 'K=v=w']), [
    { name: 'FLAG', value: '' },
    { name: 'K', value: 'v=w' },
  ]);
});

t.test('buildEnv: valueFrom', async (t) => {
  const env: EnvVar[] = [
    { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
    { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
    { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    { name: 'OPT1', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'NOPE', optional: true } } },
    { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'absent', key: 'K', optional: true } } },
    { name: 'URL', value: 'http://$(POD):$(LEVEL)' },
    // A value wins over valueFrom.
    { name: 'LIT', value: 'lit', valueFrom: { configMapKeyRef: { name: 'absent', key: 'K' } } },
  ];
  t.same(buildEnv(env, [], sources()), [
    { name: 'LEVEL', value: 'debug' },
    { name: 'PW', value: 'hunter2' },
    { name: 'POD', value: 'web-0' },
    { name: 'APP', value: 'web' },
    { name: 'URL', value: 'http://web-0:debug' },
    { name: 'LIT', value: 'lit' },
  ]);
});

t.test('buildEnv: missing references give the kubelet messages', async (t) => {
  const one = (ev: EnvVar, ns?: string): (() => unknown) => () => buildEnv([ev], [], { ...sources(), namespace: ns });
  t.throws(one({ name: 'K', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'NOPE' } } }), {
    message: "couldn't find key NOPE in ConfigMap default/cfg",
    code: 'Invalid',
  });
  t.throws(one({ name: 'K', valueFrom: { secretKeyRef: { name: 'creds', key: 'NOPE' } } }, 'prod'), {
    message: "couldn't find key NOPE in Secret prod/creds",
  });
  t.throws(one({ name: 'K', valueFrom: { configMapKeyRef: { name: 'absent', key: 'K' } } }), {
    message: 'configmap "absent" not found',
  });
  t.throws(one({ name: 'K', valueFrom: { secretKeyRef: { name: 'absent', key: 'K' } } }), { message: 'secret "absent" not found' });
  t.throws(one({ name: 'K', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }), { message: 'unsupported fieldPath: spec.bogus' });
  t.throws(one({ name: 'K', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }), {
    message: 'unsupported container resource: limits.cpu',
  });
  const err = (() => {
    try {
      one({ name: 'K', valueFrom: { configMapKeyRef: { name: 'absent', key: 'K' } } })();
    } catch (e) {
      return e;
    }
  })();
  t.type(err, PodrunError);
  // Without any sources, a reference cannot be resolved.
  t.throws(() => buildEnv([{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'K' } } }], []), {
    message: 'configmap "cfg" not found',
  });
});

t.test('buildEnv: resourceFieldRef through the resolver', async (t) => {
  const s = sources({ resourceFieldRef: (ref) => (ref.resource === 'limits.memory' ? '134217728' : undefined) });
  t.same(buildEnv([{ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }], [], s), [
    { name: 'MEM', value: '134217728' },
  ]);
});

t.test('buildEnv: envFrom with prefix, overridden by env', async (t) => {
  const out = buildEnv(
    [
      { name: 'CFG_MODE', value: 'slow' },
      { name: 'BOTH', value: '$(CFG_LEVEL)/$(PASSWORD)' },
    ],
    ['CFG_LEVEL=image'],
    sources(),
    [
      { prefix: 'CFG_', configMapRef: { name: 'cfg' } },
      { secretRef: { name: 'creds' } },
      { configMapRef: { name: 'absent', optional: true } },
    ],
  );
  t.same(out, [
    { name: 'CFG_LEVEL', value: 'debug' },
    { name: 'CFG_MODE', value: 'slow' },
    // 'CFG_bad=key' is not a valid name and is skipped, as the kubelet skips it.
    { name: 'PASSWORD', value: 'hunter2' },
    { name: 'BOTH', value: 'debug/hunter2' },
  ]);
  t.throws(() => buildEnv([], [], sources(), [{ configMapRef: { name: 'absent' } }]), { message: 'configmap "absent" not found' });
  t.throws(() => buildEnv([], [], sources(), [{ secretRef: { name: 'absent' } }]), { message: 'secret "absent" not found' });
});

t.test('secretData decodes data and lays stringData over it', async (t) => {
  t.same(
    secretData({
      data: { user: Buffer.from('admin').toString('base64'), pass: Buffer.from('old').toString('base64') },
      stringData: { pass: 'new' },
    }),
    { user: 'admin', pass: 'new' },
  );
  t.same(secretData({}), {});
});

t.test('env files (fileKeyRef): KEY=VALUE lines, comments, quotes', async (t) => {
  const { parseEnvFile } = await import('../../src/plan/env');
  t.same([...parseEnvFile("# a comment\nA='one'\nB=\"two\"\n\nC=three=3\nnot a line\n D = spaced \n")], [
    ['A', 'one'],
    ['B', 'two'],
    ['C', 'three=3'],
    ['D', 'spaced'],
  ]);
});
