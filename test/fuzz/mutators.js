// Mutations of a valid seed shared by the fuzz targets that start from known-good documents
// (manifests, seccomp profiles): structural edits of the parsed object, and byte-level cuts of
// its text. Both are driven by fast-check's records, so a finding replays from its seed.
'use strict';

/** Every path to a value of `o` (objects and arrays included), as key lists. */
function paths(o, at = [], out = []) {
  out.push(at);
  if (o && typeof o === 'object') for (const k of Object.keys(o)) paths(o[k], [...at, Array.isArray(o) ? Number(k) : k], out);
  return out;
}

/** A copy of `seed` with `edits` ({op: set|delete|add, at, key, value}) made at paths picked by `at`. */
function mutate(seed, edits) {
  const o = structuredClone(seed);
  for (const e of edits) {
    const all = paths(o).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const p = all[e.at % all.length];
    let parent = o;
    for (const k of p.slice(0, -1)) parent = parent[k];
    const last = p[p.length - 1];
    if (e.op === 'set') parent[last] = e.value;
    else if (e.op === 'delete') Array.isArray(parent) ? parent.splice(last, 1) : delete parent[last];
    else if (e.op === 'add' && parent[last] && typeof parent[last] === 'object') {
      if (Array.isArray(parent[last])) parent[last].push(e.value);
      else parent[last][e.key] = e.value;
    }
  }
  return o;
}

/** `text` with `cuts` ({op: flip|cut|dup|end, at, ch}): a character changed, some dropped, a run repeated, or the rest cut off. */
function textMutate(text, cuts) {
  let s = text;
  for (const c of cuts) {
    if (s.length === 0) break;
    const i = c.at % s.length;
    if (c.op === 'flip') s = s.slice(0, i) + String.fromCharCode(c.ch) + s.slice(i + 1);
    else if (c.op === 'cut') s = s.slice(0, i) + s.slice(i + 1 + (c.ch % 16));
    else if (c.op === 'dup') s = s.slice(0, i) + s.slice(i, i + (c.ch % 64)).repeat(1 + (c.ch % 5)) + s.slice(i);
    else s = s.slice(0, i);
  }
  return s;
}

module.exports = { mutate, textMutate };
