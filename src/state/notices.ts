// Notices: something this machine lacks that changes what pods get (no subordinate ids, no
// usable /dev/net/tun, limits not enforced, overlayfs not mountable, a package not installed).
// They are said once per state root, on the terminal of whoever triggered them (a CLI
// command, a Node program), not only in serve.log where nobody looks.
//
// The engine records each in the root's notices/ folder, in a file named by the text's hash:
// <id>.json while nobody has said it, <id>.said once someone has. Saying claims the notice by
// renaming the one to the other: rename is atomic, so of two commands racing for it one wins,
// and a later engine (a new serve) finds the name and does not raise the same notice again.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeStateFile } from './atomic-file';

export interface Notice {
  text: string;
  /** Milliseconds since the epoch, when it was raised: notices are said in that order. */
  at: number;
}

const NOTICES = 'notices';

function noticesDir(root: string): string {
  return path.join(root, NOTICES);
}

export function noticeId(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Records `text` in the state root unless the root has had it before (said or not); true when
 * it is new. The root is the engine's, already checked to be the user's own.
 */
export function recordNotice(root: string, text: string, now = Date.now()): boolean {
  const dir = noticesDir(root);
  const base = path.join(dir, noticeId(text));
  if (fs.existsSync(`${base}.json`) || fs.existsSync(`${base}.said`)) return false;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notice: Notice = { text, at: now };
  writeStateFile(`${base}.json`, JSON.stringify(notice) + '\n');
  return true;
}

/** Whether `dir` is a real folder (not a link) of this user: nothing is read from one that is not. */
function ownFolder(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === (process.getuid?.() ?? 0);
  } catch {
    return false;
  }
}

/**
 * The notices nobody has said yet, claimed for the caller (who must say them), oldest first.
 * Reads nothing through a link or from a folder of another user: a root planted in /tmp by
 * someone else would otherwise put their text on this user's terminal.
 */
export function takeNotices(root: string): Notice[] {
  const dir = noticesDir(root);
  if (!ownFolder(root) || !ownFolder(dir)) return [];
  const taken: Notice[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // the root removed meanwhile (system reset)
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    let notice: Notice;
    try {
      notice = JSON.parse(fs.readFileSync(file, 'utf8')) as Notice;
      // The claim: whoever renames it says it.
      fs.renameSync(file, file.replace(/\.json$/, '.said'));
    } catch {
      continue; // claimed by another process between the listing and the rename
    }
    if (typeof notice.text === 'string') taken.push(notice);
  }
  return taken.sort((a, b) => a.at - b.at);
}

/** Notices said in this process, so that two Podrun objects (two roots) say one only once. */
const saidHere = new Set<string>();

/**
 * The Node API's default way to say a notice: a process warning named PodrunNotice, as Node
 * says its own (printed on stderr unless --no-warnings; `process.on('warning')` sees it), once
 * per process.
 */
export function emitNoticeWarning(text: string): void {
  if (saidHere.has(text)) return;
  saidHere.add(text);
  process.emitWarning(text, 'PodrunNotice');
}
