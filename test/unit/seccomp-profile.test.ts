import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { parseProfile, ProfileError } from '../../src/seccomp/profile';
import { applicableRules, kernelVersion } from '../../src/seccomp/resolve';
import { localhostPath, seccompFilter, SeccompProfileError } from '../../src/seccomp/container-profile';
import { effectiveProfile, profileText } from '../../src/seccomp/effective';
import runtimeDefault from '../../src/seccomp/runtime-default.json';
import { checkProfile } from '../../src/seccomp/profile';

function err(text: string): string {
  try {
    parseProfile(text);
  } catch (e) {
    if (e instanceof ProfileError) return e.message;
    throw e;
  }
  return '';
}

t.test('profile errors name the field', async (t) => {
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO",'), /^malformed JSON: /);
  t.equal(err('[]'), 'a profile is a JSON object');
  t.equal(err('{}'), 'defaultAction: Required value');
  t.match(err('{"defaultAction": "SCMP_ACT_FOO"}'), /^defaultAction: unknown action "SCMP_ACT_FOO": one of SCMP_ACT_ALLOW, /);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "ALLOW"}]}'), /^syscalls\[1\]\.action: unknown action "ALLOW"/);
  t.equal(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "mkdirr"], "action": "SCMP_ACT_ALLOW"}]}'), 'syscalls[0].names[1]: unknown system call "mkdirr"');
  t.equal(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}'), 'syscalls[0].names: Required value: at least one system call');
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}'), /^syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'), /^syscalls\[0\]\.args\[0\]\.index: must be an integer from 0 to 5/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]}'), /^syscalls\[0\]\.args\[0\]\.op: unknown operator "SCMP_CMP_XX"/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}'), /^syscalls\[0\]\.args\[0\]\.value: must be an integer from 0 to 9007199254740991/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5}]}'), /^syscalls\[0\]\.errnoRet: only with SCMP_ACT_ERRNO/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"]}'), /^architectures\[0\]: unknown architecture/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["SYS_ADMIN"]}}]}'), /^syscalls\[0\]\.includes\.caps\[0\]: not a capability/);
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "five"}}]}'), /^syscalls\[0\]\.includes\.minKernel: must be a kernel version/);
  t.equal(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscall": []}'), 'syscall: unknown field');
  t.match(err('{"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/agent.sock"}'), /^listenerPath: not supported/);
  // Another architecture's call is a known name (skipped when compiled), and Docker's old `name` is read.
  t.equal(err('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["chown32", "arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW"}, {"name": "read", "action": "SCMP_ACT_ALLOW"}]}'), '');
  // containers/common's (podman's) format names the errno beside its number.
  t.equal(err('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "defaultErrno": "ENOSYS", "syscalls": [{"names": ["bdflush"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EPERM", "args": [], "comment": "", "includes": {}, "excludes": {}}]}'), '');
});

t.test('includes and excludes: capabilities, architecture, kernel', async (t) => {
  const p = checkProfile(runtimeDefault);
  const names = (caps: string[], kernel = [6, 18, 0]) =>
    applicableRules(p, { caps: new Set(caps), arch: 'amd64', kernel })
      .flatMap((r) => r.names.map((n) => `${n}${r.args.length ? '?' : ''}${r.action === 'SCMP_ACT_ERRNO' ? `=${r.errnoRet}` : ''}`));
  const plain = names([]);
  t.ok(plain.includes('read'));
  t.notOk(plain.includes('io_uring_setup'), 'io_uring is denied');
  t.notOk(plain.includes('mount'));
  t.notOk(plain.includes('unshare'));
  t.ok(plain.includes('clone?'), 'clone only without namespace flags');
  t.ok(plain.includes('clone3=38'), 'clone3 answered ENOSYS');
  t.ok(plain.includes('arch_prctl') && plain.includes('modify_ldt'), 'amd64 calls');
  t.notOk(plain.includes('riscv_flush_icache') || plain.includes('set_tls'), 'no other architecture calls');
  t.ok(plain.includes('ptrace'), 'ptrace from 4.8');
  t.notOk(names([], [4, 4, 0]).includes('ptrace'), 'not on 4.4');
  const admin = names(['CAP_SYS_ADMIN']);
  t.ok(admin.includes('mount') && admin.includes('unshare') && admin.includes('clone') && admin.includes('clone3'));
  t.notOk(admin.includes('clone?') || admin.includes('clone3=38'), 'the restricted clone rules are excluded with CAP_SYS_ADMIN');
  t.ok(names(['CAP_DAC_READ_SEARCH']).includes('open_by_handle_at'));
  t.notOk(plain.includes('open_by_handle_at'));
  t.same(kernelVersion('6.18.44-fc-v1300'), [6, 18, 44]);
});

t.test('the container profile: Kubernetes defaults and Localhost paths', async (t) => {
  const pod = (psc?: object, csc?: object) => ({ spec: { securityContext: psc, containers: [{ name: 'c', securityContext: csc }] } }) as never;
  const c = (p: { spec: { containers: object[] } }) => p.spec.containers[0] as never;
  const e = (psc?: object, csc?: object) => { const p = pod(psc, csc); return profileText(effectiveProfile(p, c(p))); };
  t.equal(e(), 'RuntimeDefault', 'unset: RuntimeDefault');
  t.equal(e({ seccompProfile: { type: 'Unconfined' } }), 'Unconfined');
  t.equal(e({ seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'RuntimeDefault' } }), 'RuntimeDefault', 'the container overrides the pod');
  t.equal(e(undefined, { seccompProfile: { type: 'Localhost', localhostProfile: 'p/a.json' } }), 'Localhost (p/a.json)');
  t.equal(e(undefined, { privileged: true }), 'Unconfined', 'privileged without a profile');
  t.equal(e(undefined, { privileged: true, seccompProfile: { type: 'RuntimeDefault' } }), 'RuntimeDefault', 'privileged with one keeps it');
  t.equal(localhostPath('/data/seccomp', 'p/a.json'), '/data/seccomp/p/a.json');
  t.throws(() => localhostPath('/data/seccomp', '../x.json'), /not a path under \/data\/seccomp/);
  t.throws(() => localhostPath('/data/seccomp', '/etc/x.json'), /not a path under/);
});

t.test('Localhost profiles are read from the seccomp folder only', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-seccomp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'seccomp');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(dir, 'outside.json'), '{"defaultAction": "SCMP_ACT_ALLOW"}');
  fs.writeFileSync(path.join(folder, 'ok.json'), '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}');
  fs.symlinkSync('../outside.json', path.join(folder, 'link.json'));
  fs.symlinkSync('ok.json', path.join(folder, 'inside-link.json'));
  const pod = (file: string) => ({ spec: { containers: [{ name: 'c', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: file } } }] } }) as never;
  const filter = (file: string) => { const p = pod(file) as { spec: { containers: never[] } }; return seccompFilter(p as never, p.spec.containers[0], 0n, folder); };
  t.match(filter('ok.json')?.filter, /^[0-9a-f]+$/);
  t.equal(filter('inside-link.json')?.filter, filter('ok.json')?.filter, 'a link inside the folder is followed; one compile serves both');
  t.throws(() => filter('link.json'), { message: /cannot load seccomp profile ".*link\.json": it resolves to .*outside\.json, outside / });
  t.throws(() => filter('none.json'), { message: /cannot load seccomp profile ".*none\.json": no such file or directory/ });
  t.throws(() => filter('ok.json/x'), SeccompProfileError);
});
