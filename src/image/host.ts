// The built-in `host` image: a sandbox root assembled from the host's own read-only system
// directories, for pods that need a shell and tools but no image (bubblewrap's usual
// `--ro-bind /usr /usr --symlink usr/bin /bin …` recipe). This is the description only; the
// runtime turns it into mounts in the container's fresh root. /proc, /dev and /sys are not
// listed: every container gets those from the runtime, whatever its image.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HostEntry {
  /** Absolute path inside the sandbox. */
  path: string;
  kind: 'bind-ro' | 'symlink' | 'tmpfs' | 'dir';
  /** The link's text, for `symlink` (e.g. `usr/bin` on merged-/usr Debian). */
  target?: string;
}

// Shared read-only from the host. /etc comes along for the loader cache, passwd, TLS roots.
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
// Private and writable per sandbox.
const SCRATCH_DIRS = ['/tmp', '/run', '/var/tmp', '/root', '/home'];

export function hostRootLayout(hostRoot = '/'): HostEntry[] {
  const out: HostEntry[] = [];
  for (const p of SYSTEM_DIRS) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(hostRoot, p));
    } catch {
      continue; // absent on this host (e.g. /libx32 outside x32 multilib)
    }
    if (st.isSymbolicLink()) {
      // Kept as a link, not bound: binding would follow it and duplicate /usr under a second name.
      out.push({ path: p, kind: 'symlink', target: fs.readlinkSync(path.join(hostRoot, p)) });
    } else {
      out.push({ path: p, kind: 'bind-ro' });
    }
  }
  const made = new Set(out.map((e) => e.path));
  for (const p of SCRATCH_DIRS) {
    // Parents first: a tmpfs needs its mount point's parent to exist in the new root.
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const parent = '/' + parts.slice(0, i).join('/');
      if (!made.has(parent)) {
        out.push({ path: parent, kind: 'dir' });
        made.add(parent);
      }
    }
    out.push({ path: p, kind: 'tmpfs' });
    made.add(p);
  }
  return out;
}
