import t from 'tap';
import { PodrunError } from '../../src/errors';
import { resolveCommand } from '../../src/plan/command';

const image = { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] };
const env = [
  { name: 'PORT', value: '8080' },
  { name: 'MSG', value: 'hello world' },
];

t.test('the four Kubernetes cases', async (t) => {
  t.same(resolveCommand({ command: ['/bin/app'], args: ['--port', '1'] }, image, []), ['/bin/app', '--port', '1'], 'command and args');
  t.same(resolveCommand({ command: ['/bin/app'] }, image, []), ['/bin/app'], 'command only: the image CMD is ignored');
  t.same(resolveCommand({ args: ['--debug'] }, image, []), ['/docker-entrypoint.sh', '--debug'], 'args only: ENTRYPOINT + args');
  t.same(resolveCommand({}, image, []), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'], 'neither: ENTRYPOINT + CMD');
});

t.test('empty lists count as absent', async (t) => {
  t.same(resolveCommand({ command: [], args: [] }, image, []), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
  t.same(resolveCommand({ command: [], args: ['x'] }, image, []), ['/docker-entrypoint.sh', 'x']);
});

t.test('images with only a CMD or only an ENTRYPOINT', async (t) => {
  t.same(resolveCommand({}, { cmd: ['sh'] }, []), ['sh']);
  t.same(resolveCommand({ args: ['-c', 'true'] }, { cmd: ['sh'] }, []), ['-c', 'true'], 'args replace CMD even with no ENTRYPOINT');
  t.same(resolveCommand({}, { entrypoint: ['/init'] }, []), ['/init']);
  t.same(resolveCommand({}, { entrypoint: [''], cmd: ['sh'] }, []), ['sh'], 'an ENTRYPOINT of [""] means none');
});

t.test('$(VAR) expansion in command and args, not in the image argv', async (t) => {
  t.same(
    resolveCommand({ command: ['/bin/app', '--port=$(PORT)'], args: ['$(MSG)', '$$(PORT)', '$(NOPE)'] }, image, env),
    ['/bin/app', '--port=8080', 'hello world', '$(PORT)', '$(NOPE)'],
  );
  t.same(resolveCommand({ args: ['$(PORT)'] }, { entrypoint: ['/e', '$(PORT)'] }, env), ['/e', '$(PORT)', '8080']);
  t.same(resolveCommand({}, { cmd: ['echo', '$(PORT)'] }, env), ['echo', '$(PORT)']);
});

t.test('no command at all is the kubelet error', async (t) => {
  t.throws(() => resolveCommand({}, {}, []), { message: 'no command specified', code: 'Invalid' });
  t.throws(() => resolveCommand({}, { entrypoint: [''] }, []), PodrunError);
  t.throws(() => resolveCommand({ command: [], args: [] }, { entrypoint: [], cmd: [] }, []), { message: 'no command specified' });
});
