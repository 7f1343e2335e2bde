// Capability names and bits, and the set a container gets (Kubernetes' defaults via containerd).
import * as fs from 'node:fs';
import { ValidationError } from '../errors';

const NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export const DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

export function capabilityBit(name: string, field: string): bigint {
  const bare = name.toUpperCase().replace(/^CAP_/, '');
  if (bare === 'ALL') return (1n << BigInt(NAMES.length)) - 1n;
  const i = NAMES.indexOf(bare as (typeof NAMES)[number]);
  if (i < 0) throw new ValidationError(field, `Unsupported value: "${name}": not a Linux capability`);
  return 1n << BigInt(i);
}

/** The names (CAP_X) of the capabilities in a mask, lowest bit first. */
export function capabilityNames(mask: bigint): string[] {
  return NAMES.filter((_, i) => mask & (1n << BigInt(i))).map((n) => `CAP_${n}`);
}

export function capabilityMask(names: string[], field = ''): bigint {
  return names.reduce((m, n, i) => m | capabilityBit(n, `${field}[${i}]`), 0n);
}

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
}

let bounding: bigint | undefined;

/**
 * This process's bounding set (CapBnd), which the shim and its containers inherit: what
 * `privileged` and `add: [ALL]` come to, as containerd's WithAllCurrentCapabilities and crun
 * grant them. A host may lack some (this one CAP_SYS_RESOURCE); asking capset for more fails.
 */
export function hostBoundingSet(): bigint {
  if (bounding === undefined) {
    const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    bounding = line ? BigInt(`0x${line[1]}`) : capabilityBit('ALL', '');
  }
  return bounding;
}

/** Kubernetes semantics: defaults + add - drop; privileged gets all the host has; a non-root user gets none effective. */
export function containerCapabilities(opts: { add?: string[]; drop?: string[]; privileged?: boolean; uid: number; field: string; all?: bigint }): CapabilitySets {
  const all = opts.all ?? hostBoundingSet();
  const add = opts.add ?? [];
  let set = opts.privileged ? all : capabilityMask(DEFAULT_CAPABILITIES);
  set |= capabilityMask(add, `${opts.field}.add`) & (add.some((n) => n.toUpperCase().replace(/^CAP_/, '') === 'ALL') ? all : ~0n);
  set &= ~capabilityMask(opts.drop ?? [], `${opts.field}.drop`);
  return { bounding: set, effective: opts.uid === 0 ? set : 0n };
}
