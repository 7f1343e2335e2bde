// Bounds on a manifest, checked before it is read whole or parsed: the API server refuses a
// request body over 3 MiB (MaxRequestBodyBytes), and its decoders refuse nesting deeper than
// 10000 levels (encoding/json's and go-yaml's max depth). podrun's own bound on depth is lower:
// the yaml package composes documents recursively, and V8's stack runs out a little under 900
// levels (at one depth V8 even aborts the process, in its regexp compiler); no Kubernetes object
// nests more than about 20 levels, so 256 leaves every real manifest room and the stack a margin.
// Without these bounds a 100 000-level manifest overflowed the stack after 10 s and a 200 MiB one
// exhausted the heap after 408 s.

import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type * as Yaml from 'yaml';
import { ValidationError } from '../errors';

/** The API server's request limit (k8s.io/apiserver MaxRequestBodyBytes). */
export const MAX_MANIFEST_BYTES = 3 * 1024 * 1024;
/** The deepest nesting podrun parses (the API server's decoders: 10000). */
export const MAX_MANIFEST_DEPTH = 256;

/** `size`: the bytes when known (a file's stat), else undefined (a stream stopped past the limit). */
function tooLarge(source: string, size?: number): ValidationError {
  const what = size === undefined ? 'the manifest is over' : `the manifest is ${size} bytes, over`;
  return new ValidationError('', `${source}: ${what} the API server's limit of ${MAX_MANIFEST_BYTES} bytes (3 MiB)`);
}

function tooDeep(source: string, where: string): ValidationError {
  return new ValidationError('', `${source}: ${where}nested deeper than ${MAX_MANIFEST_DEPTH} levels, the most podrun reads`);
}

/** Refuses a manifest text over the size limit. */
export function checkManifestSize(text: string, source: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) throw tooLarge(source, bytes);
}

/**
 * A first, linear look at a long text with the yaml package's lexer: the CST parser takes time
 * that grows faster than the depth (a 3 MiB run of `[` or `- ` took 7 to 10 s), so a depth
 * that only a long text can reach (one byte or two a level: flow brackets, compact `- - -`) is
 * refused from the tokens. What it counts never exceeds the real depth; checkTokenDepth is exact.
 */
export function checkLexDepth(text: string, source: string, lexer: Yaml.Lexer): void {
  if (text.length < 64 * 1024) return;
  let flow = 0;
  let compact = 0;
  let line = 1;
  for (const tok of lexer.lex(text)) {
    const c = tok[0];
    if (c === '[' || c === '{') flow++;
    else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
    else if ((c === '-' || c === '?') && tok.length === 1 && flow === 0) compact++;
    else if (c === '\n' || c === '\r') {
      line++;
      compact = 0;
    } else if (c !== ' ' && c !== '\t') compact = 0;
    if (flow > MAX_MANIFEST_DEPTH || compact > MAX_MANIFEST_DEPTH) throw tooDeep(source, `line ${line}: `);
  }
}

/**
 * Refuses parsed YAML (the yaml package's CST, which it builds without recursion) whose
 * collections nest deeper than the limit, before the recursive composer sees it.
 * `lineOf` turns an offset into a line number for the message.
 */
export function checkTokenDepth(tokens: readonly Yaml.CST.Token[], source: string, lineOf: (offset: number) => number): void {
  const stack: [unknown, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const t = node as { type?: string; offset?: number; value?: unknown; items?: { key?: unknown; value?: unknown }[] };
    let d = depth;
    if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      d++;
      if (d > MAX_MANIFEST_DEPTH) throw tooDeep(source, `line ${lineOf(t.offset ?? 0)}: `);
    }
    if (t.items) {
      for (const it of t.items) stack.push([it.key, d], [it.value, d]);
    } else if (t.value && typeof t.value === 'object') {
      stack.push([t.value, d]);
    }
  }
}

/**
 * Refuses an object handed over already parsed (the Node API, the engine's socket) that nests
 * deeper than the limit or whose JSON would be over the size limit. Iterative, so a deep or
 * cyclic object is refused rather than overflowing the stack.
 */
export function checkObjectBounds(value: unknown, source = '<input>'): void {
  let size = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v !== 'object' || v === null) size += 5;
    else {
      if (depth + 1 > MAX_MANIFEST_DEPTH) throw tooDeep(source, '');
      size += 2;
      if (Array.isArray(v)) {
        for (const e of v) stack.push([e, depth + 1]);
        size += v.length;
      } else {
        for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
          size += k.length + 4;
          stack.push([e, depth + 1]);
        }
      }
    }
    if (size > MAX_MANIFEST_BYTES) throw tooLarge(source);
  }
}

/** A file's text, refused by its size before it is read (stat), or while reading when it has none (a pipe, a device). */
export function readManifestFile(path: string, source = path): string {
  const fd = fs.openSync(path, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && st.size > MAX_MANIFEST_BYTES) throw tooLarge(source, st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_MANIFEST_BYTES) throw tooLarge(source);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** A stream's text (stdin for `-f -`), refused as soon as it passes the size limit. */
export async function readManifestStream(stream: Readable, source: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > MAX_MANIFEST_BYTES) {
      stream.destroy();
      throw tooLarge(source);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
