// Target: the pod shim's request protocol (native/shim/main.c), at the socket of a real shim
// of a real pod. Inputs are requests of every op (hello, subscribe, start, probe-overlay,
// probe-fuse-overlayfs, signal, attach, resize, list, and unknown ones) with fields of any type,
// truncated JSON, bytes that are no JSON, lines of megabytes, and requests split across writes.
// Each line must be answered with one JSON line (or the connection closed, for a line over the
// shim's 64 MiB); a finding is a shim that dies, a reply that is no JSON, or no reply within 5 s.
// Requests are kept from harm: every path in them points under the fuzz folder, `shutdown` is
// left out (it ends the pod, as asked), and signals to the pod's container are harmless ones.
// The pod runs as the running user; as root in a sandbox network namespace.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const { FuzzFinding, within } = require('../fuzz-lib');

const OPS = ['hello', 'subscribe', 'start', 'probe-overlay', 'probe-fuse-overlayfs', 'signal', 'attach', 'resize', 'reopen-log', 'list', 'shutdownx', '', 'HELLO', 'start '];
const PATH_KEYS = new Set(['logPath', 'startPath', 'exitPath', 'root', 'oomCounter', 'procs', 'lower', 'upper', 'work', 'target', 'program', 'remove', 'source', 'path']);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Every string under a path-like key becomes a path under the fuzz folder. */
function confine(v, dir, key) {
  if (Array.isArray(v)) return v.map((x) => confine(x, dir, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, confine(x, dir, k)]));
  if (typeof v === 'string' && PATH_KEYS.has(key)) return path.join(dir, 'j', v.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'x');
  return v;
}

class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.lines = [];
    this.closed = false;
    this.waiter = undefined;
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        // Exit events (after subscribe) are not replies.
        if (!line.includes('"event":')) this.lines.push(line);
      }
      this.wake();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  wake() {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  /** The next reply line, or undefined once the shim closed the connection. */
  async next() {
    while (this.lines.length === 0 && !this.closed) await new Promise((r) => (this.waiter = r));
    return this.lines.shift();
  }
  static open(file) {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(file);
      s.once('connect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
}

function busyboxRootfs(dir) {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const l of ['sh', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', l));
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  return rootfs;
}

module.exports = {
  name: 'shim',
  async setup() {
    require('../../support/sandbox-netns.js').useSandboxNetns();
    const { Podrun } = require(path.join(dist, 'podrun'));
    const { podDirId } = require(path.join(dist, 'kubelet', 'engine'));
    const { PodPaths } = require(path.join(dist, 'state', 'paths'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-fuzz-shim-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'j'));
    const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
    const state = { dir, podrun };
    try {
      await podrun.images.importImage(busyboxRootfs(dir), 'busybox:fuzz');
      await podrun.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fuzz' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:fuzz', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] }] } });
      const pod = await podrun.waitForObject('Pod', 'fuzz', (p) => p.status?.phase === 'Running', { timeoutMs: 60_000 });
      const paths = new PodPaths(path.join(dir, 'state', 'pods', podDirId(pod.metadata.uid)));
      state.socket = paths.shimSocket;
      state.pid = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')).pid;
      state.conn = await Conn.open(state.socket);
      return state;
    } catch (e) {
      await module.exports.teardown(state);
      throw e;
    }
  },
  input(fc) {
    const any = fc.jsonValue({ maxDepth: 2 });
    const field = (right) => fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: any, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 });
    const str = fc.string({ maxLength: 16 });
    // A plan's members are mostly right, so that a good share of starts passes the shape check
    // (every member present and typed, native/shim/protocol.c) and reaches what comes after it.
    const member = (right) => fc.oneof({ arbitrary: right, weight: 30 }, { arbitrary: any, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 });
    const uint = fc.nat({ max: 70000 });
    const container = fc.record({
      name: member(fc.oneof(str, fc.constant('c'))),
      newPidns: member(fc.boolean()),
      readonlyRoot: member(fc.boolean()),
      nodev: member(fc.boolean()),
      maskedPaths: member(fc.array(str, { maxLength: 2 })),
      readonlyPaths: member(fc.array(str, { maxLength: 2 })),
      uid: member(uint),
      gid: member(uint),
      groups: member(fc.array(uint, { maxLength: 3 })),
      setGroups: member(fc.boolean()),
      capBounding: member(fc.nat()),
      capEffective: member(fc.nat()),
      noNewPrivs: member(fc.boolean()),
      seccomp: member(fc.constant(null)),
      cwd: member(fc.constantFrom('/', '/tmp', str)),
      env: member(fc.array(str, { maxLength: 2 })),
      logPath: member(str),
      startPath: member(str),
      exitPath: member(str),
      logMaxSize: member(fc.integer({ min: -1, max: 1 << 20 })),
      logMaxFiles: member(fc.integer({ min: -1, max: 5 })),
      cgroup: member(fc.record({ procs: fc.array(str, { maxLength: 2 }), oomCounter: str })),
      attempt: member(fc.integer()),
      targetContainer: field(fc.oneof(str, fc.constant('c'))),
      root: member(str),
      ops: member(fc.array(fc.record({ type: fc.constantFrom('bind', 'tmpfs', 'proc', 'fuse-overlayfs', 'overlay', 'sysfs', 'mkdir', 'x'), source: str, target: str, readonly: fc.boolean(), options: fc.constant('mode=755'), mode: fc.constant(0o755) }), { maxLength: 2 })),
      argv: member(fc.array(str, { maxLength: 2 })),
      tty: member(fc.boolean()),
      stdin: member(fc.boolean()),
    });
    const request = fc.record({
      op: fc.oneof({ arbitrary: fc.constantFrom(...OPS), weight: 5 }, { arbitrary: any, weight: 1 }),
      id: field(fc.oneof(fc.integer(), fc.double())),
      container: field(container),
      name: field(fc.oneof(str, fc.constant('c'))),
      signal: field(fc.constantFrom(0, 28, 999, -1)),
      rows: field(fc.integer()),
      cols: field(fc.integer()),
      lower: field(fc.array(str, { maxLength: 2 })),
      upper: field(str),
      work: field(str),
      target: field(str),
      program: field(str),
      userxattr: field(fc.boolean()),
      extra: any,
    });
    return fc.oneof(
      { arbitrary: request.map((r) => ({ kind: 'json', r })), weight: 8 },
      { arbitrary: fc.tuple(request, fc.nat()).map(([r, at]) => ({ kind: 'truncated', r, at })), weight: 2 },
      { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ kind: 'raw', b: Buffer.from(b.filter((x) => x !== 10)) })), weight: 2 },
      { arbitrary: fc.tuple(request, fc.integer({ min: 1, max: 5 })).map(([r, parts]) => ({ kind: 'split', r, parts })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom('hello', 'start', 'list'), fc.integer({ min: 1, max: 3 })).map(([op, mib]) => ({ kind: 'big', op, mib })), weight: 1 },
    );
  },
  async run(input, state) {
    if (state.conn.closed) state.conn = await Conn.open(state.socket);
    const c = state.conn;
    let line;
    if (input.kind === 'raw') line = input.b.length ? input.b : Buffer.from('x');
    else if (input.kind === 'big') line = Buffer.from(JSON.stringify({ op: input.op, id: 7, container: { name: 'y'.repeat(input.mib << 20) } }));
    else {
      let r = confine(input.r, state.dir);
      if (r.op === 'shutdown') r = { ...r, op: 'shutdownx' };
      // signals to the pod's container: only harmless ones (the fuzzer picks among 0, SIGWINCH and invalid)
      let text = JSON.stringify(r);
      if (input.kind === 'truncated') text = text.slice(0, Math.max(1, input.at % text.length));
      line = Buffer.from(text);
    }
    if (line.toString().trim() === '') line = Buffer.from('{}');
    if (input.kind === 'split') {
      const step = Math.ceil(line.length / input.parts);
      for (let i = 0; i < line.length; i += step) {
        c.sock.write(line.subarray(i, i + step));
        await new Promise((r) => setImmediate(r));
      }
      c.sock.write('\n');
    } else c.sock.write(Buffer.concat([line, Buffer.from('\n')]));
    const reply = await within(c.next(), 5000, 'a reply');
    if (reply === undefined) {
      if (!alive(state.pid)) throw new FuzzFinding('the shim died');
      return; // closed the connection: allowed
    }
    let msg;
    try {
      msg = JSON.parse(reply);
    } catch {
      throw new FuzzFinding(`a reply that is no JSON: ${reply.slice(0, 200)}`);
    }
    if (typeof msg.ok !== 'boolean') throw new FuzzFinding(`a reply without ok: ${reply.slice(0, 200)}`);
    // After attach the connection is the container's stdin: start another.
    if (msg.ok && (msg.tty !== undefined || msg.stdin !== undefined)) {
      c.sock.destroy();
      state.conn = await Conn.open(state.socket);
    }
    if (!alive(state.pid)) throw new FuzzFinding('the shim died');
    // Every so often: still answering hello on a fresh connection.
    if ((state.n = (state.n ?? 0) + 1) % 200 === 0) {
      const fresh = await Conn.open(state.socket);
      fresh.sock.write('{"op":"hello","id":1}\n');
      const h = await within(fresh.next(), 5000, 'hello');
      fresh.sock.destroy();
      if (!h || JSON.parse(h).protocol !== 1) throw new FuzzFinding(`hello answered ${h}`);
    }
  },
  async teardown(state) {
    state.conn?.sock.destroy();
    try {
      await state.podrun.deletePod('fuzz', { gracePeriodSeconds: 0 });
    } catch {
      /* not made */
    }
    await state.podrun.close();
    fs.rmSync(state.dir, { recursive: true, force: true });
  },
};
