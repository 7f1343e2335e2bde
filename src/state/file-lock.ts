// An exclusive flock shared between podrun processes, waited for without polling: the holder
// writes its pid into the file and touches it when it lets go; a waiter wakes on that change
// (inotify on the folder) or on the holder's death (its pidfd), whichever comes first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';

/** The lock's fd once this process holds it. */
export function acquireLock(file: string): Promise<number> {
  const fd = native.lockFile(file);
  if (fd >= 0) return Promise.resolve(claim(fd));
  return new Promise((resolve, reject) => {
    let holder: { close(): void } | undefined;
    let watcher: fs.FSWatcher | undefined;
    const tryNow = (): void => {
      let got: number;
      try {
        got = native.lockFile(file);
      } catch (e) {
        finish();
        reject(e);
        return;
      }
      if (got < 0) {
        watchHolder();
        return;
      }
      finish();
      resolve(claim(got));
    };
    const finish = (): void => {
      watcher?.close();
      holder?.close();
    };
    const watchHolder = (): void => {
      holder?.close();
      holder = undefined;
      const pid = Number(readOr(file));
      if (!Number.isInteger(pid) || pid <= 0) return;
      let pidfd: number;
      try {
        pidfd = native.pidfdOpen(pid);
      } catch {
        return; // gone already: its lock went with it, and the folder watch or this try sees it
      }
      holder = new native.PidfdWatch(pidfd, tryNow, true);
    };
    // The watch first, then the try: a release between the two is not missed.
    watcher = fs.watch(path.dirname(file), tryNow);
    tryNow();
  });
}

/** Lets go of the lock, saying so to waiters (the touch is their wake-up). */
export function releaseLock(file: string, fd: number): void {
  fs.closeSync(fd);
  // After the close, so that a waiter woken by it finds the lock free.
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    /* removed: nobody waits on it */
  }
}

function claim(fd: number): number {
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, String(process.pid), 0);
  return fd;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
