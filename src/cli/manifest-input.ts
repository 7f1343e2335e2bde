// `-f` for apply and delete: files, `-` for stdin, and directories (their *.yaml, *.yml and
// *.json files in name order, as kubectl walks them; subdirectories only with -R). The objects
// keep the file they came from, because kubectl names it in errors about them.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { readManifestFile, readManifestStream } from '../api/input-limits';
import { parseManifests, type KubeObject } from '../api/manifest';
import { usageError } from './report-error';

export interface ManifestSource {
  /** The path as the user gave it (or found in a directory); `-` for stdin. */
  source: string;
  objects: KubeObject[];
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** The files `-f` names, directories expanded. */
export function expandPaths(paths: string[], recursive: boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive) walk(p);
      } else if (MANIFEST_EXT.has(path.extname(entry.name))) {
        out.push(p);
      }
    }
  };
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw usageError(`the path "${p}" does not exist`);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

/** Reads and parses every `-f` input. Throws on the first unreadable or malformed one. */
export async function readManifests(paths: string[], recursive: boolean, stdin: Readable): Promise<ManifestSource[]> {
  // kubectl says `one of -f and -k`; podrun has no -k (kustomize), so it names only -f.
  if (paths.length === 0) throw usageError('must specify -f');
  const out: ManifestSource[] = [];
  for (const file of expandPaths(paths, recursive)) {
    // Refused by size before they are read whole (the API server's 3 MiB), by depth before parsing.
    const text = file === '-' ? await readManifestStream(stdin, '<stdin>') : readManifestFile(file);
    out.push({ source: file, objects: parseManifests(text, file === '-' ? '<stdin>' : file) });
  }
  return out;
}

/**
 * With an explicit -n, objects without a namespace go there and objects in another one are
 * refused, in kubectl's words; without -n, objects keep what they say (podrun defaults the rest).
 */
export function applyNamespace(objs: KubeObject[], namespace: string, given: boolean): KubeObject[] {
  if (!given) return objs;
  return objs.map((o) => {
    const own = o.metadata?.namespace;
    if (own && own !== namespace) {
      throw usageError(
        `the namespace from the provided object "${own}" does not match the namespace "${namespace}". You must pass '--namespace=${own}' to perform this operation.`,
      );
    }
    return { ...o, metadata: { ...o.metadata, namespace } };
  });
}
