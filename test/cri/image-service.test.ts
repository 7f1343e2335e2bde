// `podrun cri` through its front door (bin/podrun, defaults but the socket's place), driven by
// @grpc/grpc-js clients of podrun's own runtime-v1.proto as a kubelet or crictl would: Version,
// Status, RuntimeConfig, and the ImageService against a real registry on 127.0.0.1, with the
// status codes a kubelet reads for bad input. Root and rootless alike.
import t from 'tap';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadRuntimeV1 } from '../../src/cri/server';
import { call, failure, startCri, type Callable } from './cri-harness';
import { CLI, missingCli } from '../integration/cli-harness';
import { tempDir, until, type Test } from '../integration/harness';
import { writeOciLayout } from '../integration/oci-harness';
import { missingRegistryTools, startRegistry } from '../integration/registry-harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('Version, Status and RuntimeConfig; the socket is owner-only and goes with the server', async (t) => {
  const cri = await startCri(t);
  t.match(await call(cri.runtime, 'Version', { version: '0.1.0' }), { version: '0.1.0', runtime_name: 'podrun', runtime_api_version: 'v1' });
  const status = await call(cri.runtime, 'Status', { verbose: true });
  t.same(
    (status.status as { conditions: { type: string; status: boolean }[] }).conditions.map((c) => [c.type, c.status]),
    [
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ],
    'ready, and the network too',
  );
  t.match(JSON.parse((status.info as Record<string, string>).config ?? '{}'), { rootless: process.getuid!() !== 0, cgroupDriver: 'cgroupfs' }, 'verbose info');
  t.same(await call(cri.runtime, 'RuntimeConfig', {}), { linux: { cgroup_driver: 'CGROUPFS' } }, 'the cgroup driver the kubelet must match');
  t.equal(fs.statSync(cri.socket).mode & 0o777, 0o600, 'socket 0600');
  t.equal(fs.statSync(path.dirname(cri.socket)).mode & 0o777, 0o700, 'in a folder of 0700');

  // Clients that send the socket's path as :authority (crictl and critest before 1.31, older
  // kubelets) are answered too: Node's HTTP/2 alone would reset them (PROTOCOL_ERROR).
  const v1 = loadRuntimeV1();
  const pathAuthority = new v1.RuntimeService(`unix://${cri.socket}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': cri.socket }) as unknown as Callable & grpc.Client;
  t.teardown(() => (pathAuthority as unknown as grpc.Client).close());
  let answered = 0;
  for (let i = 0; i < 30; i++) if ((await call(pathAuthority, 'Version', {})).runtime_name === 'podrun') answered++;
  t.equal(answered, 30, 'with the path as :authority, 30 calls in a row are answered');
  const big = new grpc.Metadata();
  big.set('x-padding', 'p'.repeat(40_000));
  const withBigHeaders = await new Promise<Record<string, unknown>>((resolve, reject) => (pathAuthority as unknown as Record<string, (r: object, m: grpc.Metadata, cb: (e: Error | null, r: Record<string, unknown>) => void) => void>).Version!({}, big, (e, r) => (e ? reject(e) : resolve(r))));
  t.equal(withBigHeaders.runtime_name, 'podrun', 'and one whose headers span CONTINUATION frames');
  // A connection that speaks no HTTP/2 is closed; the server goes on.
  await new Promise<void>((resolve) => {
    const s = net.createConnection(cri.socket, () => s.end('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff'));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.resume();
  });
  t.match(await call(cri.runtime, 'Version', {}), { runtime_name: 'podrun' }, 'after a broken connection, calls are answered');

  // A second server on the same socket is refused, and the first keeps it.
  const second = spawn(process.execPath, [CLI, '--root', path.join(cri.dir, 'state2'), '--data-root', path.join(cri.dir, 'data2'), 'cri', '--listen', cri.socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  second.stderr!.setEncoding('utf8').on('data', (d: string) => (said += d));
  const code = await new Promise((r) => second.once('exit', r));
  t.equal(code, 1, 'a second podrun cri on the socket exits 1');
  t.match(said, /another server is listening there/, 'saying why');
  t.match(await call(cri.runtime, 'Version', {}), { runtime_name: 'podrun' }, 'the first still answers');

  cri.child.kill('SIGTERM');
  t.equal(await new Promise((r) => cri.child.once('exit', r)), 0, 'SIGTERM ends it with 0');
  t.notOk(fs.existsSync(cri.socket), 'and the socket is removed');
});

t.test('ImageService against a registry: pull with the request’s credentials, list, status, remove', { skip: missingRegistryTools() ?? false }, async (t) => {
  const dir = tempDir(t, 'podrun-cri-reg-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', { layers: [[{ name: 'hello', body: 'from the registry\n' }]], config: { Cmd: ['/hello'], User: '1000:1000' } });
  const reg = await startRegistry(t, path.join(dir, 'registry'), { user: 'kube', password: 'let-me-in' });
  await reg.push(layout.dir, '1', 'cri/app:1');
  const cri = await startCri(t);
  const ref = `${reg.host}/cri/app:1`;

  const denied = await failure(cri.image, 'PullImage', { image: { image: ref }, auth: { username: 'kube', password: 'wrong' } });
  t.match(denied, { details: /UNAUTHORIZED/ }, 'wrong credentials: the registry says so');
  t.match(await failure(cri.image, 'PullImage', { image: { image: ref }, auth: { identity_token: 'x' } }), { code: grpc.status.INVALID_ARGUMENT, details: 'auth.identity_token: not supported by podrun: give username and password' }, 'an identity token is refused, naming the field');
  t.match(await failure(cri.image, 'PullImage', { image: {} }), { code: grpc.status.INVALID_ARGUMENT, details: 'image.image: Required value' }, 'a pull of nothing');

  // `auth` as the kubelet fills it from a dockerconfigjson secret: base64 of user:password.
  const pulled = await call(cri.image, 'PullImage', { image: { image: ref }, auth: { auth: Buffer.from('kube:let-me-in').toString('base64'), server_address: reg.host } });
  t.equal(pulled.image_ref, layout.configDigest, "image_ref is the image's id (its config digest)");

  const listed = (await call(cri.image, 'ListImages', {})).images as { id: string; repo_tags: string[]; uid: { value: number } | null; pinned: boolean }[];
  const app = listed.find((i) => i.id === pulled.image_ref);
  t.same(app?.repo_tags, [ref], 'listed by its name');
  t.equal(app?.uid?.value, 1000, "the image's numeric user");
  t.ok(listed.find((i) => i.repo_tags.includes('host:latest'))?.pinned, "podrun's built-in image is pinned (the kubelet never collects it)");
  t.same(((await call(cri.image, 'ListImages', { filter: { image: { image: ref } } })).images as { id: string }[]).map((i) => i.id), [pulled.image_ref], 'the filter by name');

  for (const by of [ref, pulled.image_ref as string]) {
    const st = await call(cri.image, 'ImageStatus', { image: { image: by }, verbose: true });
    t.equal((st.image as { id: string }).id, pulled.image_ref, `ImageStatus by ${by === ref ? 'name' : 'id'}`);
    t.match(JSON.parse((st.info as Record<string, string>).info ?? '{}'), { config: { user: '1000:1000', cmd: ['/hello'] } }, 'verbose info carries the config');
  }
  t.same(await call(cri.image, 'ImageStatus', { image: { image: 'nothing/here:1' } }), { image: null, info: {} }, 'an image not there: no image, no error');
  const fsInfo = (await call(cri.image, 'ImageFsInfo', {})).image_filesystems as { fs_id: { mountpoint: string }; used_bytes: { value: number }; inodes_used: { value: number } }[];
  t.equal(fsInfo[0]?.fs_id.mountpoint, path.join(cri.dir, 'data', 'images'), "ImageFsInfo: the store's folder");
  t.ok((fsInfo[0]?.used_bytes.value ?? 0) > 0 && (fsInfo[0]?.inodes_used.value ?? 0) > 0, 'with the bytes and inodes it uses');

  t.match(await failure(cri.image, 'RemoveImage', { image: { image: 'host' } }), { code: grpc.status.FAILED_PRECONDITION }, 'the built-in image cannot be removed');
  t.equal(await failure(cri.image, 'RemoveImage', { image: { image: pulled.image_ref } }), 'ok', 'RemoveImage by id');
  t.same(await call(cri.image, 'ImageStatus', { image: { image: ref } }), { image: null, info: {} }, 'gone');
  t.equal(await failure(cri.image, 'RemoveImage', { image: { image: pulled.image_ref } }), 'ok', 'removing it again is no error');
});
