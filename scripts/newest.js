// The newest modification time of files under a path (0 when there is none): the build scripts
// skip their work when their outputs are newer (`PODRUN_FORCE_BUILD=1` makes them run anyway).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((n) => newest(path.join(p, n))));
}

/** Whether outputs made at `builtMs` are newer than every one of `sources` (and a build is not forced). */
function upToDate(builtMs, sources) {
  return !process.env.PODRUN_FORCE_BUILD && builtMs > 0 && builtMs >= Math.max(...sources.map(newest));
}

module.exports = { newest, upToDate };
