// Rootless outbound network: one pasta (Debian's passt) per network host, as podman 5 gives its
// rootless netns one. pasta owns a tap device in the network host's namespace (--config-net copies
// the host's address, routes and gateway onto it) and carries what leaves through it over
// ordinary sockets of the user's. The pods sit behind the network host's bridge, so their
// traffic is forwarded and masqueraded there (nftables, as netavark does in the rootless netns):
// pasta sees one guest address, the network host's, as it expects.
//
// pasta's lifetime is the network host's: it runs in the holder's PID namespace, whose PID 1 is
// the holder, so the kernel ends pasta when the holder goes however it goes (podrun's stop, a
// kill, a crash); nothing of it outlives the namespace. It reaches the host's 127.0.0.1 through
// the gateway address (pasta maps the gateway to the host's loopback by default: --map-gw in old
// versions, --map-host-loopback in new ones). No ports are forwarded: hostPorts are podrun's own.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeStateFile } from '../state/atomic-file';
import { processStartTime } from '../state/process';
import { which } from '../which';

export interface PastaRecord {
  pid: number;
  startTime: string;
}

const WHAT_WORKS = 'pod IPs, localhost, hostPort and port-forward work';

/** The programs outbound networking needs, or the notice that says which one is missing. */
export function outboundTools(): { pasta: string; nft: string; nsenter: string } | { notice: string } {
  const pasta = which('pasta');
  if (!pasta) return { notice: `rootless pods have no outbound network: pasta was not found (apt-get install passt) to connect the network host to the host's network; ${WHAT_WORKS}` };
  const nft = which('nft');
  if (!nft) return { notice: `rootless pods have no outbound network: nft was not found (apt-get install nftables) to masquerade pods' traffic in the network host; ${WHAT_WORKS}` };
  const nsenter = which('nsenter');
  if (!nsenter) return { notice: `rootless pods have no outbound network: nsenter was not found (apt-get install util-linux) to start pasta in the network host; ${WHAT_WORKS}` };
  return { pasta, nft, nsenter };
}

/** Why this user cannot open /dev/net/tun (an errno code), or undefined when it can. */
export function tunUnusable(device = '/dev/net/tun'): string | undefined {
  try {
    fs.closeSync(fs.openSync(device, fs.constants.O_RDWR));
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

export function tunNotice(code: string): string {
  const user = process.env.USER || `uid ${process.getuid?.()}`;
  return `rootless pods have no outbound network: /dev/net/tun cannot be opened by this user (${code}), so pasta cannot run; udev normally makes it mode 0666: chmod 0666 /dev/net/tun (or setfacl -m u:${user}:rw /dev/net/tun) to enable it; ${WHAT_WORKS}`;
}

/** The nft script for the network host: pods' traffic beyond their CIDR leaves as the host's. */
export function masqueradeScript(cidr: string): string {
  return [
    'add table ip podrun-outbound',
    'add chain ip podrun-outbound postrouting { type nat hook postrouting priority srcnat; policy accept; }',
    'flush chain ip podrun-outbound postrouting',
    `add rule ip podrun-outbound postrouting ip saddr ${cidr} ip daddr != ${cidr} masquerade`,
    '',
  ].join('\n');
}

/** pasta's arguments: the tap configured, no port forwarded either way, quiet, as this user. */
export function pastaArgs(netnsFile: string): string[] {
  // --runas 0:0 is the user itself (uid 0 of the network host maps to it): pasta would otherwise
  // switch to nobody, which a single-id mapping does not have.
  return ['--config-net', '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none', '-q', '--runas', '0:0', '--netns', netnsFile];
}

function run(cmd: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10_000, encoding: 'utf8' }, (err, _out, stderr) => {
      if (!err) return resolve();
      // pasta also says each line to syslog, and says so when there is none: not the reason.
      const why = (stderr || '').split('\n').find((l) => l.trim() && !l.startsWith('Failed to send')) || err.message;
      reject(new Error(why.trim()));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function recordFile(dir: string): string {
  return path.join(dir, 'pasta.json');
}

function netnsFile(dir: string): string {
  return path.join(dir, 'netns');
}

/** The recorded pasta of the network host in `dir`, when it still runs. */
export function runningPasta(dir: string): PastaRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(recordFile(dir), 'utf8')) as PastaRecord;
    return processStartTime(r.pid) === r.startTime ? r : undefined;
  } catch {
    return undefined;
  }
}

/** pasta among the holder's children (it daemonized, so the holder, PID 1 of its namespace, adopted it). */
function findPasta(holderPid: number, file: string): number | undefined {
  let children: string[];
  try {
    children = fs.readFileSync(`/proc/${holderPid}/task/${holderPid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  for (const c of children) {
    try {
      if (fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').includes(file)) return Number(c);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/**
 * Connects the network host held by `holderPid` (state in `dir`) to the host's network: NAT and
 * forwarding in it, then pasta, unless the recorded one still runs. Throws with the step that
 * failed and pasta's or nft's reason.
 */
export async function startPasta(dir: string, holderPid: number, cidr: string, tools: { pasta: string; nft: string; nsenter: string }): Promise<PastaRecord> {
  const running = runningPasta(dir);
  if (running && findPasta(holderPid, netnsFile(dir)) === running.pid) return running;
  const target = String(holderPid);
  // Forwarding and masquerade in the network host's own namespaces (where this user is root).
  // A kernel that has not loaded nf_tables' NAT modules does not load them for a user namespace.
  await run(tools.nsenter, ['-t', target, '-U', '-n', '--preserve-credentials', '--', 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && exec "$0" -f -', tools.nft], masqueradeScript(cidr)).catch((e: Error) => {
    throw new Error(`the network host's masquerade (nft) failed: ${e.message}`);
  });
  // pasta joins a network namespace by path, with a ptrace check on /proc/PID/ns/net that the
  // holder (not dumpable) fails once pasta has dropped its capabilities: the namespace is bound
  // to a file in the holder's mount namespace instead. pasta runs in the holder's user, mount and
  // PID namespaces; its sockets stay in the host's network namespace, which it never leaves.
  const file = netnsFile(dir);
  fs.writeFileSync(file, '', { mode: 0o600 });
  const script = 'mount --bind "/proc/$1/ns/net" "$2" && shift 2 && exec "$@"';
  await run(tools.nsenter, ['-t', target, '-U', '-m', '-p', '--preserve-credentials', '--', 'sh', '-c', script, 'sh', target, file, tools.pasta, ...pastaArgs(file)]).catch((e: Error) => {
    throw new Error(`pasta could not start: ${e.message}`);
  });
  const pid = findPasta(holderPid, file);
  const startTime = pid === undefined ? undefined : processStartTime(pid);
  if (pid === undefined || startTime === undefined) throw new Error('pasta exited as soon as it started');
  const record = { pid, startTime };
  writeStateFile(recordFile(dir), JSON.stringify(record) + '\n');
  return record;
}
