// The addon refuses a request with a key missing or of the wrong type, by name, before it
// clones anything: an exec whose uid was renamed must not run as 0, nor one without capBounding
// with the default capabilities (ExecRequest and ConnectInNetnsRequest in src/native.ts).
import t from 'tap';
import { native, type ExecRequest } from '../../src/native';
import { missingFeature } from './harness';

const missing = missingFeature();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const exec: ExecRequest = { pidfd: -1, nsFlags: 0, uid: 1000, gid: 1000, groups: [], setGroups: false, capBounding: 0n, capEffective: 0n, noNewPrivs: true, seccomp: null, cwd: '/', argv: ['/bin/true'], env: [], path: '', tty: false, cgroupProcs: [] };

t.test('exec: each required key, missing or mistyped, is refused by name', async (t) => {
  const without = (key: keyof ExecRequest) => {
    const r: Record<string, unknown> = { ...exec };
    delete r[key];
    return r as unknown as ExecRequest;
  };
  const cases: [string, ExecRequest, RegExp][] = [
    ['no uid', without('uid'), /^request\.uid and request\.gid: required ids/],
    ['a negative gid', { ...exec, gid: -1 }, /^request\.uid and request\.gid: required ids/],
    ['no capBounding', without('capBounding'), /^request\.capBounding: required non-negative integer/],
    ['capEffective a string', { ...exec, capEffective: '0' as unknown as bigint }, /^request\.capEffective: required non-negative integer/],
    ['no noNewPrivs', without('noNewPrivs'), /^request\.noNewPrivs: required boolean/],
    ['no setGroups', without('setGroups'), /^request\.setGroups: required boolean/],
    ['a group as a string', { ...exec, groups: ['0' as unknown as number] }, /^request\.groups: required array of ids/],
    ['no pidfd', without('pidfd'), /^request\.pidfd: required number/],
    ['no nsFlags', without('nsFlags'), /^request\.nsFlags: required number/],
    ['no cwd', without('cwd'), /^request\.cwd: required string/],
    ['no path', without('path'), /^request\.path: required string/],
    ['no tty', without('tty'), /^request\.tty: required boolean/],
    ['argv with a number', { ...exec, argv: ['/bin/true', 1 as unknown as string] }, /^request\.argv: required array of strings/],
    ['no env', without('env'), /^request\.env: required array of strings/],
  ];
  for (const [what, req, want] of cases) t.throws(() => native.exec(req), want, what);
});

t.test('connectInNetns: the pod is required; listenSocket: absent means our own namespace', async (t) => {
  t.throws(() => native.connectInNetns({ rootless: false, host: '127.0.0.1', port: 80 } as never), /^request\.pidfd: required number/, 'a connect without its pod');
  t.throws(() => native.connectInNetns({ pidfd: -1, host: '127.0.0.1', port: 80 } as never), /^request\.rootless: required boolean/, 'nor whether to join its user namespace');
  t.throws(() => native.connectInNetns({ pidfd: -1, rootless: false, port: 80 } as never), /^request\.host: required string/, 'nor a host');
  const fd = native.listenSocket({ host: '127.0.0.1', port: 0 });
  t.ok(fd > 2, 'a listening socket of our own, pidfd and udp left out as ListenRequest allows');
  (await import('node:fs')).closeSync(fd);
});
