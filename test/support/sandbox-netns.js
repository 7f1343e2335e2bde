// A sandbox network namespace for rootful runs of podrun in tests and benchmarks: pods' bridge
// and veths go there (PODRUN_NETWORK_NAMESPACE_PID), never into the host's namespace. It has
// only its own links and no default route, so a wrong address fails here instead of leaving
// the machine. The holder reads its stdin: when the process that made it dies, it ends too.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const wait = new Int32Array(new SharedArrayBuffer(4));

function netns(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** Sets PODRUN_NETWORK_NAMESPACE_PID for this process and its children; root only. */
function useSandboxNetns() {
  if (process.geteuid() !== 0 || process.env.PODRUN_NETWORK_NAMESPACE_PID) return;
  const holder = spawn('unshare', ['--net', 'sh', '-c', '(ip link set lo up || busybox ip link set lo up) 2>/dev/null; read x'], { stdio: ['pipe', 'ignore', 'inherit'] });
  holder.unref();
  holder.stdin.unref?.();
  const ours = netns(process.pid);
  for (let i = 0; i < 500 && (netns(holder.pid) === undefined || netns(holder.pid) === ours); i++) Atomics.wait(wait, 0, 0, 5);
  if (netns(holder.pid) === ours) throw new Error('could not make a sandbox network namespace (unshare --net)');
  process.env.PODRUN_NETWORK_NAMESPACE_PID = String(holder.pid);
  process.on('exit', () => holder.kill('SIGKILL'));
}

module.exports = { useSandboxNetns };
