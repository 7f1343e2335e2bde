// Rules for spec.volumes (ValidateVolumes and validateVolumeSource in the API server). A volume
// that fails is left out of the returned map, so mounts of it are reported as not found too.

import type { DownwardAPIVolumeFile, KeyToPath, Volume } from 'kubernetes-types/core/v1';
import { child, duplicate, forbidden, index, invalid, required, unsupported, type ErrorList } from './field-errors';
import { dns1123Label } from './names';
import { parseQuantity } from './quantity';
import { VOLUME_SOURCES } from './schema';
import {
  validateFieldSelector,
  validateLocalDescendingPath,
  validatePathNoBacksteps,
  validatePullPolicy,
  validateResourceFieldSelector,
  VOLUME_FIELD_PATHS,
} from './validate-container';

const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
/** podrun backs emptyDir with a directory or a tmpfs; hugepages media are not offered. */
const EMPTY_DIR_MEDIA = ['', 'Memory'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

export function validateVolumes(volumes: Volume[], path: string, errs: ErrorList): Map<string, Volume> {
  const valid = new Map<string, Volume>();
  const names = new Set<string>();
  volumes.forEach((vol, i) => {
    const p = index(path, i);
    const own: ErrorList = [];
    validateVolumeSource(vol, p, own);
    if (!vol.name) own.push(required(child(p, 'name')));
    else for (const msg of dns1123Label(vol.name)) own.push(invalid(child(p, 'name'), vol.name, msg));
    if (vol.name && names.has(vol.name)) own.push(duplicate(child(p, 'name'), vol.name));
    if (vol.name) names.add(vol.name);
    if (own.length === 0) valid.set(vol.name, vol);
    else errs.push(...own);
  });
  return valid;
}

/** The image volume source (Kubernetes 1.31) is newer than the kubernetes-types release in use. */
type VolumeWithImage = Volume & { image?: { reference?: string; pullPolicy?: string } };

function validateVolumeSource(vol: VolumeWithImage, path: string, errs: ErrorList): void {
  const set = VOLUME_SOURCES.filter((s) => (vol as unknown as Record<string, unknown>)[s] !== undefined);
  if (set.length === 0) {
    errs.push(required(path, 'must specify a volume type'));
    return;
  }
  for (const extra of set.slice(1)) errs.push(forbidden(child(path, extra), 'may not specify more than 1 volume type'));
  const p = child(path, set[0]);
  if (vol.emptyDir) {
    const { medium, sizeLimit } = vol.emptyDir;
    if (medium !== undefined && !EMPTY_DIR_MEDIA.includes(medium)) errs.push(unsupported(child(p, 'medium'), medium, EMPTY_DIR_MEDIA));
    if (sizeLimit !== undefined && parseQuantity(sizeLimit) < 0) {
      errs.push(forbidden(child(p, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
    }
  } else if (vol.hostPath) {
    if (!vol.hostPath.path) errs.push(required(child(p, 'path')));
    else validatePathNoBacksteps(vol.hostPath.path, child(p, 'path'), errs);
    const type = vol.hostPath.type;
    if (type !== undefined && !HOST_PATH_TYPES.includes(type)) errs.push(unsupported(child(p, 'type'), type, HOST_PATH_TYPES));
  } else if (vol.configMap) {
    if (!vol.configMap.name) errs.push(required(child(p, 'name')));
    validateMode(vol.configMap.defaultMode, child(p, 'defaultMode'), errs);
    validateItems(vol.configMap.items, child(p, 'items'), errs);
  } else if (vol.secret) {
    if (!vol.secret.secretName) errs.push(required(child(p, 'secretName')));
    validateMode(vol.secret.defaultMode, child(p, 'defaultMode'), errs);
    validateItems(vol.secret.items, child(p, 'items'), errs);
  } else if (vol.downwardAPI) {
    validateMode(vol.downwardAPI.defaultMode, child(p, 'defaultMode'), errs);
    (vol.downwardAPI.items ?? []).forEach((f, i) => validateDownwardAPIFile(f, index(child(p, 'items'), i), errs));
  } else if (vol.projected) {
    validateMode(vol.projected.defaultMode, child(p, 'defaultMode'), errs);
    validateProjected(vol.projected.sources ?? [], child(p, 'sources'), errs);
  } else if (vol.persistentVolumeClaim) {
    if (!vol.persistentVolumeClaim.claimName) errs.push(required(child(p, 'claimName')));
  } else if (vol.image) {
    if (!vol.image.reference) errs.push(required(child(p, 'reference')));
    validatePullPolicy(vol.image.pullPolicy, child(p, 'pullPolicy'), errs);
  }
}

function validateMode(mode: number | undefined, path: string, errs: ErrorList): void {
  if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalid(path, mode, FILE_MODE_MSG));
}

/** A file path inside a volume: relative, without '..' (which the atomic writer reserves). */
function validateLocalNonReservedPath(value: string, path: string, errs: ErrorList): void {
  validateLocalDescendingPath(value, path, errs);
  if (value.startsWith('..') && !value.startsWith('../')) errs.push(invalid(path, value, "must not start with '..'"));
}

function validateKeyToPath(kp: KeyToPath, path: string, errs: ErrorList): void {
  if (!kp.key) errs.push(required(child(path, 'key')));
  if (!kp.path) errs.push(required(child(path, 'path')));
  else validateLocalNonReservedPath(kp.path, child(path, 'path'), errs);
  validateMode(kp.mode, child(path, 'mode'), errs);
}

function validateItems(items: KeyToPath[] | undefined, path: string, errs: ErrorList): void {
  (items ?? []).forEach((kp, i) => validateKeyToPath(kp, index(path, i), errs));
}

function validateDownwardAPIFile(f: DownwardAPIVolumeFile, path: string, errs: ErrorList): void {
  if (!f.path) errs.push(required(child(path, 'path')));
  else validateLocalNonReservedPath(f.path, child(path, 'path'), errs);
  if (f.fieldRef) {
    validateFieldSelector(f.fieldRef.fieldPath, VOLUME_FIELD_PATHS, child(child(path, 'fieldRef'), 'fieldPath'), errs);
    if (f.resourceFieldRef) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (f.resourceFieldRef) {
    validateResourceFieldSelector(f.resourceFieldRef, child(path, 'resourceFieldRef'), true, errs);
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  validateMode(f.mode, child(path, 'mode'), errs);
}

type Projection = NonNullable<NonNullable<Volume['projected']>['sources']>[number];

function validateProjected(sources: Projection[], path: string, errs: ErrorList): void {
  // All sources write into one directory, so no two may claim the same file.
  const paths = new Set<string>();
  const claim = (file: string, p: string): void => {
    if (paths.has(file)) errs.push(invalid(p, file, 'conflicting duplicate paths'));
    paths.add(file);
  };
  sources.forEach((src, i) => {
    const sp = index(path, i);
    let kinds = 0;
    for (const which of ['secret', 'configMap'] as const) {
      const s = src[which];
      if (!s) continue;
      kinds++;
      const p = child(sp, which);
      if (!s.name) errs.push(required(child(p, 'name')));
      (s.items ?? []).forEach((kp, j) => {
        const ip = index(child(p, 'items'), j);
        validateKeyToPath(kp, ip, errs);
        if (kp.path) claim(kp.path, child(ip, 'path'));
      });
    }
    if (src.downwardAPI) {
      kinds++;
      const p = child(sp, 'downwardAPI');
      (src.downwardAPI.items ?? []).forEach((f, j) => {
        const ip = index(child(p, 'items'), j);
        validateDownwardAPIFile(f, ip, errs);
        if (f.path) claim(f.path, child(ip, 'path'));
      });
    }
    if (src.serviceAccountToken) {
      kinds++;
      const p = child(sp, 'serviceAccountToken');
      const exp = src.serviceAccountToken.expirationSeconds;
      if (exp !== undefined && exp < 600) errs.push(invalid(child(p, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp !== undefined && exp > 2 ** 32) errs.push(invalid(child(p, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!src.serviceAccountToken.path) errs.push(required(child(p, 'path')));
      else claim(src.serviceAccountToken.path, child(p, 'path'));
    }
    if (src.clusterTrustBundle) kinds++;
    if (kinds > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
    else if (kinds === 0) errs.push(required(sp, 'must specify exactly one volume projection'));
  });
}
