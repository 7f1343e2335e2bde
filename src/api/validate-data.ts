// ConfigMap and Secret rules (ValidateConfigMap, ValidateSecret): keys that can become file
// names, a 1 MiB cap, base64 where the API carries bytes, and the keys each Secret type needs.

import type { ConfigMap, Secret } from 'kubernetes-types/core/v1';
import { child, invalid, key, required, tooLong, type ErrorList } from './field-errors';
import { configMapKey } from './names';

/** Both kinds are stored whole in etcd, whose requests the API server caps at this size. */
const MAX_DATA_SIZE = 1024 * 1024;
const REDACTED = '<secret contents redacted>';

/** Go's StdEncoding, as used to decode []byte fields from JSON: padded, line breaks ignored. */
export function decodeBase64(text: string): Buffer | undefined {
  const s = text.replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function validateKeys(data: Record<string, string> | undefined, path: string, errs: ErrorList): void {
  for (const k of Object.keys(data ?? {})) {
    for (const msg of configMapKey(k)) errs.push(invalid(key(path, k), k, msg));
  }
}

export function validateConfigMapData(cm: ConfigMap, root: string, errs: ErrorList): void {
  const dataPath = child(root, 'data');
  const binaryPath = child(root, 'binaryData');
  validateKeys(cm.data, dataPath, errs);
  let size = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    if (cm.binaryData && Object.hasOwn(cm.binaryData, k)) errs.push(invalid(key(dataPath, k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(v);
  }
  validateKeys(cm.binaryData, binaryPath, errs);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    const bytes = decodeBase64(v);
    if (!bytes) errs.push(invalid(key(binaryPath, k), v, 'must be base64-encoded'));
    else size += bytes.length;
  }
  if (size > MAX_DATA_SIZE) errs.push(tooLong(dataPath, MAX_DATA_SIZE));
}

export function validateSecretData(secret: Secret, root: string, errs: ErrorList): void {
  const dataPath = child(root, 'data');
  validateKeys(secret.data, dataPath, errs);
  validateKeys(secret.stringData, child(root, 'stringData'), errs);
  // stringData is merged over data on write, so the Secret's content is their union.
  const content = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    const bytes = decodeBase64(v);
    if (!bytes) errs.push(invalid(key(dataPath, k), REDACTED, 'must be base64-encoded'));
    else content.set(k, bytes);
  }
  for (const [k, v] of Object.entries(secret.stringData ?? {})) content.set(k, Buffer.from(v));
  let size = 0;
  for (const v of content.values()) size += v.length;
  if (size > MAX_DATA_SIZE) errs.push(tooLong(dataPath, MAX_DATA_SIZE));

  const need = (k: string): void => {
    if (!content.has(k)) errs.push(required(key(dataPath, k)));
  };
  switch (secret.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(key(child(root, 'metadata.annotations'), 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      const v = content.get(k);
      if (!v) need(k);
      else if (!isJSONObject(v.toString('utf8'))) errs.push(invalid(key(dataPath, k), REDACTED, 'must be a JSON object'));
      break;
    }
    case 'kubernetes.io/basic-auth':
      // Either may be empty, but one of the two keys must be there.
      if (!content.has('username') && !content.has('password')) need('username');
      break;
    case 'kubernetes.io/ssh-auth':
      if (!content.get('ssh-privatekey')?.length) errs.push(required(key(dataPath, 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      need('tls.crt');
      need('tls.key');
      break;
    default:
  }
}

function isJSONObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
