import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { readImageFile, resolveUser } from '../../src/image/image-user';
import type { ImageRecord } from '../../src/image/types';

/** A layered image on disk: each layer a root dir plus the layer.json lists unpacking records. */
function layered(t: Test, layers: { files: Record<string, string>; whiteouts?: string[]; opaque?: string[] }[], user?: string): ImageRecord {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-user-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const roots = layers.map((l, i) => {
    const root = path.join(dir, String(i), 'root');
    fs.mkdirSync(root, { recursive: true });
    for (const [rel, body] of Object.entries(l.files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), body);
    }
    fs.writeFileSync(path.join(dir, String(i), 'layer.json'), JSON.stringify({ whiteouts: l.whiteouts ?? [], opaque: l.opaque ?? [] }));
    return root;
  });
  return { name: 'x', tag: 'latest', id: 'sha256:0', rootfs: '', layers: roots, config: { user }, created: '', size: 0 };
}

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:102:nginx:/var/cache/nginx:/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n';
const group = 'root:x:0:\nnginx:x:102:\nstaff:x:50:app\n';

t.test("names come from the image's /etc/passwd and /etc/group, as containerd resolves them", async (t) => {
  const img = layered(t, [{ files: { 'etc/passwd': passwd, 'etc/group': group } }, { files: { 'srv/x': '' } }]);
  const r = (u: string) => resolveUser(img, u, 'spec.containers[0].image');
  t.same(r('nginx'), { uid: 101, gid: 102, named: true }, 'a name: its uid and primary group');
  t.same(r('app:staff'), { uid: 1000, gid: 50, named: true }, 'name:group');
  t.same(r('nginx:7'), { uid: 101, gid: 7, named: true }, 'name:gid');
  t.same(r('1000'), { uid: 1000, gid: 1000, named: false }, 'a uid listed in passwd takes its primary group');
  t.same(r('4242'), { uid: 4242, gid: 0, named: false }, 'a uid not listed: group 0');
  t.same(r('4242:9'), { uid: 4242, gid: 9, named: false });
  t.equal(resolveUser(img, undefined, 'f'), undefined, 'no user: nothing to resolve');
  t.throws(() => r('nobody'), /spec.containers\[0\].image: unable to find user nobody: no matching entries in the image's \/etc\/passwd/);
  t.throws(() => r('app:wheel'), /unable to find group wheel/);
});

t.test('the top-most layer wins; a whiteout or an opaque directory above hides the file below', async (t) => {
  const base = { files: { 'etc/passwd': passwd } };
  t.match(readImageFile(layered(t, [base, { files: { 'etc/passwd': 'new:x:5:5::/:/bin/sh\n' } }]), 'etc/passwd'), /^new:/, 'an upper layer replaces it');
  t.equal(readImageFile(layered(t, [base, { files: {}, whiteouts: ['etc/passwd'] }]), 'etc/passwd'), undefined, 'deleted above');
  t.equal(readImageFile(layered(t, [base, { files: {}, whiteouts: ['etc'] }]), 'etc/passwd'), undefined, 'its directory deleted above');
  t.equal(readImageFile(layered(t, [base, { files: { 'etc/hosts': '' }, opaque: ['etc'] }]), 'etc/passwd'), undefined, 'its directory made opaque above');
  t.equal(resolveUser(layered(t, [{ files: {} }]), 'root', 'f')?.uid, 0, 'root without a passwd file is still uid 0');
});

t.test('a symlink on the way is not followed out of the image', async (t) => {
  const img = layered(t, [{ files: {} }]);
  const root = img.layers![0]!;
  fs.symlinkSync('/etc', path.join(root, 'etc'));
  t.equal(readImageFile(img, 'etc/passwd'), undefined, "the host's /etc/passwd is not read");
});
