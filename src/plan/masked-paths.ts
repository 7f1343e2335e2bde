// The /proc and /sys paths a container may not see or change: Kubernetes' defaults, as
// containerd's oci.WithMaskedPaths and WithReadonlyPaths give them. A privileged container
// (and procMount: Unmasked) gets none, as containerd does for privileged.

/** Hidden: a directory under an empty read-only tmpfs, a file under /dev/null. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Bound read-only over themselves. */
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function procPaths(unmasked: boolean): { maskedPaths: string[]; readonlyPaths: string[] } {
  return unmasked ? { maskedPaths: [], readonlyPaths: [] } : { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] };
}
