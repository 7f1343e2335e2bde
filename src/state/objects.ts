// ConfigMaps and Secrets given in manifests, kept per state root so pods can refer to them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../api/manifest';
import { writeStateFile } from './atomic-file';

const FOLDERS: Record<string, string> = { ConfigMap: 'configmaps', Secret: 'secrets' };

export class ObjectStore {
  constructor(private readonly dir: string) {}

  static handles(kind: string): boolean {
    return kind in FOLDERS;
  }

  private file(kind: string, namespace: string, name: string): string {
    return path.join(this.dir, FOLDERS[kind], `${namespace}_${name}.json`);
  }

  get<T extends KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(kind, namespace, name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Stores the object; returns kubectl's word for what happened. */
  put(obj: KubeObject): 'created' | 'unchanged' | 'configured' {
    const ns = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    const file = this.file(obj.kind, ns, name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const old = this.get(obj.kind, ns, name);
    const stored = { ...obj, metadata: { ...obj.metadata, namespace: ns } };
    if (old && JSON.stringify(stripMeta(old)) === JSON.stringify(stripMeta(stored))) return 'unchanged';
    const meta = { ...stored.metadata, uid: old?.metadata?.uid ?? cryptoUid(), creationTimestamp: old?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    writeStateFile(file, JSON.stringify({ ...stored, metadata: meta }) + '\n');
    return old ? 'configured' : 'created';
  }

  delete(kind: string, namespace: string, name: string): boolean {
    try {
      fs.unlinkSync(this.file(kind, namespace, name));
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every stored object (system reset); returns how many there were. */
  clear(): number {
    let n = 0;
    for (const folder of Object.values(FOLDERS)) {
      const dir = path.join(this.dir, folder);
      n += fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return n;
  }

  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.get<ConfigMap & KubeObject>('ConfigMap', namespace, name);
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.get<Secret & KubeObject>('Secret', namespace, name);
  }
}

function stripMeta(o: KubeObject): unknown {
  const { uid: _u, creationTimestamp: _c, ...meta } = o.metadata ?? {};
  return { ...o, metadata: meta };
}

export function cryptoUid(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).randomUUID();
}
