// Where `podrun cri` listens: --listen's forms, and the default per user.
import t from 'tap';
import { defaultCriSocket, socketPath } from '../../src/cri/server';

t.test('--listen takes unix:///path, unix:path or a path; nothing else', async (t) => {
  t.equal(socketPath('unix:///run/podrun/cri.sock'), '/run/podrun/cri.sock');
  t.equal(socketPath('unix:/tmp/x.sock'), '/tmp/x.sock');
  t.equal(socketPath('/tmp/y.sock'), '/tmp/y.sock');
  t.throws(() => socketPath('tcp://127.0.0.1:9000'), /--listen tcp:\/\/127\.0\.0\.1:9000: only unix sockets are served \(unix:\/\/\/path\)/);
});

t.test('the default: /run/podrun/cri.sock as root, else under XDG_RUNTIME_DIR', async (t) => {
  const root = (process.getuid?.() ?? 0) === 0;
  t.equal(defaultCriSocket({ XDG_RUNTIME_DIR: '/run/user/1500' }), root ? '/run/podrun/cri.sock' : '/run/user/1500/podrun/cri.sock');
  if (!root) t.equal(defaultCriSocket({}), `/tmp/podrun-${process.getuid!()}/podrun/cri.sock`, 'without XDG_RUNTIME_DIR, a folder of its own in /tmp');
});
