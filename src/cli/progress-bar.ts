// The per-layer line `podrun pull` draws on a terminal, as podman and docker draw theirs:
// `3f4d90098f5b: [=========>          ]  12.0 MiB / 32.0 MiB`.

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** A bar of `width` cells for `bytes` of `size`; without a size, only the count. */
export function progressLine(digest: string, event: 'start' | 'bytes' | 'done' | 'cached', bytes: number, size: number | undefined, width = 30): string {
  const name = shortDigest(digest);
  if (event === 'cached') return `${name}: already stored`;
  if (event === 'done') return `${name}: done ${size ? mib(size) : mib(bytes)}`;
  if (!size) return `${name}: ${mib(bytes)}`;
  const filled = Math.min(width, Math.floor((bytes / size) * width));
  const bar = filled >= width ? '='.repeat(width) : '='.repeat(filled) + '>' + ' '.repeat(width - filled - 1);
  return `${name}: [${bar}] ${mib(bytes).padStart(10)} / ${mib(size)}`;
}
