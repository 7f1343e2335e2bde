import t from 'tap';
import { Flags, parseArgs } from '../../src/cli/args';
import { DRY_RUN_FLAG, dryRunOf, dryRunSuffix, parseDryRun } from '../../src/cli/dry-run';
import type { KubeObject } from '../../src/api/manifest';
import { dryRunApply } from '../../src/store/dry-run';

const parse = (argv: string[]) => parseArgs(argv, () => [DRY_RUN_FLAG, { name: 'output', short: 'o', kind: 'string', help: '' }]);

t.test('the flag is read as pflag reads a flag with NoOptDefVal', async (t) => {
  // Bare: the next word stays an argument (kubectl apply --dry-run -f x is -f x).
  const bare = parse(['apply', '--dry-run', 'client']);
  t.equal(bare.flags.get('dry-run'), 'unchanged');
  t.same(bare.positionals, ['apply', 'client']);
  t.equal(parse(['--dry-run=server']).flags.get('dry-run'), 'server');
  t.equal(parse(['--dry-run']).error, undefined, 'bare as the last word is no missing argument');
});

t.test('strategies and kubectl words', async (t) => {
  t.same(parseDryRun(undefined), { strategy: 'none' });
  t.same(parseDryRun('client'), { strategy: 'client' });
  t.same(parseDryRun('server'), { strategy: 'server' });
  t.same(parseDryRun('none'), { strategy: 'none' });
  t.same(parseDryRun('unchanged'), { strategy: 'client', warning: '--dry-run is deprecated and can be replaced with --dry-run=client.' });
  t.same(parseDryRun('true'), { strategy: 'client', warning: '--dry-run=true is deprecated (boolean value) and can be replaced with --dry-run=client.' });
  t.same(parseDryRun('false'), { strategy: 'none', warning: '--dry-run=false is deprecated (boolean value) and can be replaced with --dry-run=none.' });
  t.throws(() => parseDryRun('x'), { message: 'Invalid dry-run value (x). Must be "none", "server", or "client".' });
  t.equal(dryRunSuffix('client'), ' (dry run)');
  t.equal(dryRunSuffix('server'), ' (server dry run)');
  t.equal(dryRunSuffix('none'), '');
  const warned: string[] = [];
  t.equal(dryRunOf(new Flags(parse(['--dry-run']).flags), (l) => warned.push(l)), 'client');
  t.same(warned, ['Warning: --dry-run is deprecated and can be replaced with --dry-run=client.\n']);
});

t.test('a server dry run admits as the engine does: privileged is refused rootless, and allowed as root', async (t) => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox', securityContext: { privileged: true } }] } } as KubeObject;
  const now = '2026-12-07T00:00:00Z';
  t.throws(() => dryRunApply(pod, undefined, now, true), { message: /^Pod "p" is invalid: spec\.containers\[1\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/ });
  t.equal(dryRunApply(pod, undefined, now, false).action, 'created');
});
