// State roots written before the store kept ConfigMaps and Secrets as one file each under
// objects/<kind>/<namespace>_<name>.json. Read once into the store, then removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../api/manifest';
import type { Store } from './store';

const FOLDERS = ['configmaps', 'secrets'];

export function importLegacyObjects(dir: string, store: Store): void {
  if (!fs.existsSync(dir)) return;
  for (const folder of FOLDERS) {
    let files: string[] = [];
    try {
      files = fs.readdirSync(path.join(dir, folder));
    } catch {
      continue;
    }
    for (const f of files) {
      try {
        const o = JSON.parse(fs.readFileSync(path.join(dir, folder, f), 'utf8')) as KubeObject;
        if (!store.get(o.kind, o.metadata?.namespace, o.metadata?.name ?? '')) store.create(o);
      } catch {
        /* unreadable: nothing to keep */
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
