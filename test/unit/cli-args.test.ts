import t from 'tap';
import { Flags, parseArgs, type FlagSpec } from '../../src/cli/args';

const GLOBAL: FlagSpec[] = [
  { name: 'namespace', short: 'n', kind: 'string', help: '' },
  { name: 'root', kind: 'string', help: '' },
  { name: 'help', short: 'h', kind: 'bool', help: '' },
];
const EXEC: FlagSpec[] = [
  { name: 'container', short: 'c', kind: 'string', help: '' },
  { name: 'stdin', short: 'i', kind: 'bool', help: '' },
  { name: 'tty', short: 't', kind: 'bool', help: '' },
];
const LOGS: FlagSpec[] = [
  { name: 'follow', short: 'f', kind: 'bool', help: '' },
  { name: 'tail', kind: 'int', help: '' },
];
const APPLY: FlagSpec[] = [{ name: 'filename', short: 'f', kind: 'list', help: '' }];

// The flags depend on the command, as in run.ts.
const flagsFor = (pos: string[]): FlagSpec[] => {
  switch (pos[0]) {
    case 'exec':
      return [...GLOBAL, ...EXEC];
    case 'logs':
      return [...GLOBAL, ...LOGS];
    case 'apply':
      return [...GLOBAL, ...APPLY];
    default:
      return GLOBAL;
  }
};

t.test('long flags: --flag=value and --flag value, anywhere', async (t) => {
  const p = parseArgs(['--root', '/r', 'exec', 'web', '--container=app', '-n', 'prod'], flagsFor);
  t.equal(p.error, undefined);
  t.same(p.positionals, ['exec', 'web']);
  const f = new Flags(p.flags);
  t.equal(f.string('root'), '/r');
  t.equal(f.string('container'), 'app');
  t.equal(f.string('namespace'), 'prod');
  t.equal(f.has('tty'), false);
});

t.test('short flags: grouped booleans, attached and = values', async (t) => {
  let f = new Flags(parseArgs(['exec', '-it', 'web', '-capp', '-n=ns'], flagsFor).flags);
  t.ok(f.bool('stdin'));
  t.ok(f.bool('tty'));
  t.equal(f.string('container'), 'app');
  t.equal(f.string('namespace'), 'ns');
  f = new Flags(parseArgs(['exec', '-itc', 'app', 'web'], flagsFor).flags);
  t.equal(f.string('container'), 'app', 'a value flag at the end of a group takes the next word');
});

t.test('-- ends the flags; what follows is kept whole', async (t) => {
  const p = parseArgs(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo --x'], flagsFor);
  t.same(p.positionals, ['exec', 'web']);
  t.same(p.afterDash, ['sh', '-c', 'echo --x']);
  t.equal(parseArgs(['exec', 'web'], flagsFor).afterDash, undefined);
  t.same(parseArgs(['exec', 'web', '--'], flagsFor).afterDash, []);
});

t.test('the same letter means what the command says', async (t) => {
  t.equal(new Flags(parseArgs(['logs', 'web', '-f'], flagsFor).flags).bool('follow'), true);
  const p = parseArgs(['apply', '-f', 'a.yaml', '--filename=b.yaml', '-f', '-'], flagsFor);
  t.same(new Flags(p.flags).list('filename'), ['a.yaml', 'b.yaml', '-'], 'repeatable, and - is a value');
});

t.test('errors in pflag words', async (t) => {
  t.equal(parseArgs(['get', '--x'], flagsFor).error, 'unknown flag: --x');
  t.equal(parseArgs(['get', '--x=1'], flagsFor).error, 'unknown flag: --x');
  t.equal(parseArgs(['get', '-z'], flagsFor).error, "unknown shorthand flag: 'z' in -z");
  t.equal(parseArgs(['-c', 'x', 'exec'], flagsFor).error, "unknown shorthand flag: 'c' in -c", 'command flags only after the command');
  t.equal(parseArgs(['get', '--root'], flagsFor).error, 'flag needs an argument: --root');
  t.equal(parseArgs(['get', '-n'], flagsFor).error, "flag needs an argument: 'n' in -n");
  t.equal(
    parseArgs(['logs', 'web', '--tail', 'ten'], flagsFor).error,
    'invalid argument "ten" for "--tail" flag: strconv.ParseInt: parsing "ten": invalid syntax',
  );
  t.equal(
    parseArgs(['logs', '--follow=maybe'], flagsFor).error,
    'invalid argument "maybe" for "--follow" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
  );
  t.same(parseArgs(['get', 'a', '--x', 'b'], flagsFor).positionals, ['get', 'a'], 'positionals read so far are kept');
});

t.test('values: ints (negative too), bools with =false', async (t) => {
  const f = new Flags(parseArgs(['logs', 'web', '--tail', '-1', '--follow=false'], flagsFor).flags);
  t.equal(f.int('tail'), -1);
  t.equal(f.bool('follow'), false);
  t.equal(f.has('follow'), true);
  t.equal(f.string('tail'), undefined, 'typed reads do not coerce');
});
