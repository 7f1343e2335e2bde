// The HTTP/2 header-block rewrite in front of `podrun cri` (src/cri/authority.ts): every
// literal `:authority` becomes `localhost`, and nothing else in the block changes.
import t from 'tap';
import { rewriteAuthority } from '../../src/cri/authority';

/** A raw (not Huffman-coded) HPACK string literal shorter than 127 octets. */
const str = (s: string) => Buffer.from([s.length, ...Buffer.from(s)]);
const LOCALHOST = str('localhost');

t.test('literal :authority values become localhost, whatever their form', async (t) => {
  // Literal with incremental indexing, name by static index 1.
  t.same(rewriteAuthority(Buffer.concat([Buffer.from([0x41]), str('/run/podrun/cri.sock')])), Buffer.concat([Buffer.from([0x41]), LOCALHOST]));
  // Without indexing (0000) and never indexed (0001), 4-bit name index.
  t.same(rewriteAuthority(Buffer.concat([Buffer.from([0x01]), str('/x.sock')])), Buffer.concat([Buffer.from([0x01]), LOCALHOST]));
  t.same(rewriteAuthority(Buffer.concat([Buffer.from([0x11]), str('/x.sock')])), Buffer.concat([Buffer.from([0x11]), LOCALHOST]));
  // A Huffman-coded value (H bit set) is replaced whole, undecoded.
  t.same(rewriteAuthority(Buffer.from([0x41, 0x83, 0xaa, 0xbb, 0xcc])), Buffer.concat([Buffer.from([0x41]), LOCALHOST]));
  // A literal name ":authority" (name index 0).
  t.same(rewriteAuthority(Buffer.concat([Buffer.from([0x40]), str(':authority'), str('/x.sock')])), Buffer.concat([Buffer.from([0x40]), str(':authority'), LOCALHOST]));
});

t.test('everything else passes as it was', async (t) => {
  const block = Buffer.concat([
    Buffer.from([0x20]), // dynamic table size update to 0
    Buffer.from([0x83]), // :method POST (static index 3)
    Buffer.from([0x86]), // :scheme http
    Buffer.from([0x44]), str('/runtime.v1.RuntimeService/Version'), // :path, incremental indexing
    Buffer.from([0x40]), str('te'), str('trailers'), // a literal name
    Buffer.from([0x0f, 0x10]), str('application/grpc'), // content-type by a multi-byte index (31)
  ]);
  t.same(rewriteAuthority(block), block, 'no :authority, nothing changed');
  const withAuthority = Buffer.concat([block.subarray(0, 3), Buffer.from([0x41]), str('/tmp/a.sock'), block.subarray(3)]);
  t.same(rewriteAuthority(withAuthority), Buffer.concat([block.subarray(0, 3), Buffer.from([0x41]), LOCALHOST, block.subarray(3)]), 'only the authority, in its place');
});

t.test('a block cut short is an error (the connection ends, as nghttp2 would end it)', async (t) => {
  t.throws(() => rewriteAuthority(Buffer.concat([Buffer.from([0x41]), str('/run/podrun/cri.sock')]).subarray(0, 8)), /HPACK: string literal past the block/);
  t.throws(() => rewriteAuthority(Buffer.from([0x41])), /HPACK: string literal missing/);
  t.throws(() => rewriteAuthority(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), /HPACK: integer out of range/);
});
