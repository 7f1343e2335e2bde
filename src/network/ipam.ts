// Pod addresses from the pod CIDR, one record per address under the state root
// (network/ipam/<ip>, created with O_EXCL): creating the file is the allocation, so no two
// pods, in any number of processes, ever get the same address; deleting it gives the address
// back. Records whose pod is gone are reclaimed at start (reconcile).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';

export interface Cidr {
  /** The network address as a 32-bit number. */
  base: number;
  prefix: number;
}

export function parseCidr(s: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 30) {
    throw new PodrunError('Invalid', `pod CIDR ${JSON.stringify(s)}: must be an IPv4 network a.b.c.d/N with N from 8 to 30`);
  }
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix };
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The gateway (the bridge's address) is the first host; pods get the rest, broadcast excluded. */
export function gateway(c: Cidr): string {
  return formatIPv4(c.base + 1);
}

export interface Allocation {
  ip: string;
  prefix: number;
  gateway: string;
}

/**
 * Overwrites the hint in place, fixed width, never truncating: replacing or truncating a file
 * frees its block, and on ext4 every pod start paid that.
 */
function writeHint(file: string, offset: number): void {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
    try {
      fs.writeSync(fd, String(offset).padStart(10, ' '), 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* the hint is optional */
  }
}

export class Ipam {
  private readonly cidr: Cidr;

  constructor(
    private readonly dir: string,
    cidr: string,
  ) {
    this.cidr = parseCidr(cidr);
  }

  private size(): number {
    return 2 ** (32 - this.cidr.prefix);
  }

  /** The next free address after the last one handed out (round robin, as host-local IPAM does). */
  allocate(owner: string): Allocation {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const first = 2; // .0 is the network, .1 the gateway
    const last = this.size() - 2; // the top one is broadcast
    const count = last - first + 1;
    let start = first;
    try {
      start = Number(fs.readFileSync(path.join(this.dir, 'last'), 'utf8').trim()) + 1;
    } catch {
      /* the first allocation */
    }
    if (!Number.isInteger(start)) start = first;
    for (let i = 0; i < count; i++) {
      const offset = first + ((start - first + i) % count + count) % count;
      const ip = formatIPv4(this.cidr.base + offset);
      try {
        fs.writeFileSync(path.join(this.dir, ip), owner + '\n', { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      // Only a hint for where to look next: a lost update here costs a retry, never a duplicate.
      writeHint(path.join(this.dir, 'last'), offset);
      return { ip, prefix: this.cidr.prefix, gateway: gateway(this.cidr) };
    }
    throw new PodrunError('Conflict', `no free address in ${formatIPv4(this.cidr.base)}/${this.cidr.prefix}`, 'delete pods, or choose a larger pod CIDR');
  }

  /** Gives back the address, if OWNER holds it. */
  release(ip: string, owner: string): void {
    const file = path.join(this.dir, ip);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === owner) fs.unlinkSync(file);
    } catch {
      /* already free */
    }
  }

  /**
   * Gives back every address OWNER holds: its recorded one, and any an engine allocated for it
   * and was killed before recording (the next engine keeps those while the pod lives). Returns them.
   */
  releaseAll(owner: string): string[] {
    const freed: string[] = [];
    for (const [ip, o] of this.list()) {
      if (o !== owner) continue;
      this.release(ip, owner);
      freed.push(ip);
    }
    return freed;
  }

  /** Every allocation: address -> owner. */
  list(): Map<string, string> {
    const out = new Map<string, string>();
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const n of names) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(n)) continue;
      try {
        out.set(n, fs.readFileSync(path.join(this.dir, n), 'utf8').trim());
      } catch {
        /* released meanwhile */
      }
    }
    return out;
  }

  /** Frees the addresses whose owner is not among the living (after a crash). */
  reconcile(alive: (owner: string) => boolean): string[] {
    const freed: string[] = [];
    for (const [ip, owner] of this.list()) {
      if (!alive(owner)) {
        this.release(ip, owner);
        freed.push(ip);
      }
    }
    return freed;
  }
}
