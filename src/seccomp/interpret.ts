// A classic BPF interpreter for seccomp filters, as the kernel runs them (the subset seccomp
// allows: loads of struct seccomp_data, ALU and jumps on constants, returns). The unit tests and
// the fuzzer run compiled filters through it to check what a call would be answered, without a
// kernel.

/** What a filter sees of one call (struct seccomp_data). Arguments are 64-bit. */
export interface CallData {
  nr: number;
  arch: number;
  args?: bigint[];
}

export function runFilter(filter: Buffer, call: CallData): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(call.nr >>> 0, 0);
  data.writeUInt32LE(call.arch >>> 0, 4);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  const n = filter.length / 8;
  let a = 0;
  for (let pc = 0, steps = 0; pc < n && steps <= n; steps++) {
    const o = pc * 8;
    const code = filter.readUInt16LE(o);
    const jt = filter.readUInt8(o + 2);
    const jf = filter.readUInt8(o + 3);
    const k = filter.readUInt32LE(o + 4);
    pc++;
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 || k > 60) throw new Error(`bad load offset ${k} at ${pc - 1}`);
        a = data.readUInt32LE(k);
        break;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        break;
      case 0x05: // ja
        pc += k;
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break;
      case 0x25:
        pc += a > k ? jt : jf;
        break;
      case 0x35:
        pc += a >= k ? jt : jf;
        break;
      case 0x45:
        pc += a & k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`instruction 0x${code.toString(16)} at ${pc - 1} is not one seccomp takes`);
    }
  }
  throw new Error('the filter ran off its end');
}
