// The kubelet's image manager for one container start: imagePullPolicy decides whether to pull
// (Always; IfNotPresent when missing; never with Never), with the kubelet's events and waiting
// reasons (ErrImagePull, then ImagePullBackOff while the back-off runs; ErrImageNeverPull).
// Credentials come from the pod's imagePullSecrets (kubernetes.io/dockerconfigjson Secrets),
// else from auth.json.
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1';
import { pullImage } from '../image/pull';
import type { Credentials } from '../image/registry';
import { parseRemoteRef } from '../image/remote-ref';
import type { ImageStore } from '../image/store';
import type { ImageRecord } from '../image/types';
import { backoffDelay, type BackoffPolicy } from './backoff';
import type { ContainerHint } from './pod-state';

export type ImageResolution = { ok: true; image: ImageRecord } | { ok: false; reason: 'ErrImagePull' | 'ErrImageNeverPull'; message: string };

export interface ImagePullContext {
  images: ImageStore;
  secret(namespace: string, name: string): Secret | undefined;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/**
 * An image stored under a name with no registry part was imported (`podrun image import`), not
 * pulled: there is nowhere to pull it from, so `Always` uses it as it is (as the built-in host).
 */
function isLocalImport(img: ImageRecord): boolean {
  if (img.builtin) return true;
  const first = img.name.split('/')[0]!;
  return !(img.name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'));
}

/** Credentials for the image's registry from the pod's imagePullSecrets. */
export function pullSecretCredentials(pod: Pod, registry: string, secret: ImagePullContext['secret']): Credentials | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const s = secret(ns, ref.name ?? '');
    const raw = s?.data?.['.dockerconfigjson'] ?? s?.data?.['.dockercfg'];
    const text = raw !== undefined ? Buffer.from(raw, 'base64').toString('utf8') : s?.stringData?.['.dockerconfigjson'];
    if (!text) continue;
    try {
      const j = JSON.parse(text) as { auths?: Record<string, { auth?: string; username?: string; password?: string }> } & Record<string, { auth?: string }>;
      const auths = j.auths ?? j;
      for (const key of [registry, `https://${registry}`, `http://${registry}`, ...(registry === 'docker.io' ? ['https://index.docker.io/v1/'] : [])]) {
        const a = auths[key] as { auth?: string; username?: string; password?: string } | undefined;
        if (a?.username && a.password !== undefined) return { username: a.username, password: a.password };
        if (a?.auth) {
          const plain = Buffer.from(a.auth, 'base64').toString('utf8');
          const colon = plain.indexOf(':');
          if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
        }
      }
    } catch {
      /* a malformed secret gives no credentials */
    }
  }
  return undefined;
}

export async function resolveImage(pod: Pod, c: Container, ctx: ImagePullContext): Promise<ImageResolution> {
  const ref = c.image ?? '';
  const policy = c.imagePullPolicy ?? 'IfNotPresent';
  const present = (() => {
    try {
      return ctx.images.get(ref);
    } catch {
      return undefined;
    }
  })();
  if (present && (policy !== 'Always' || isLocalImport(present))) {
    ctx.event('Normal', 'Pulled', `Container image "${ref}" already present on machine`);
    return { ok: true, image: present };
  }
  if (policy === 'Never') {
    const message = `Container image "${ref}" is not present with pull policy of Never`;
    ctx.event('Warning', 'ErrImageNeverPull', message);
    return { ok: false, reason: 'ErrImageNeverPull', message };
  }
  ctx.event('Normal', 'Pulling', `Pulling image "${ref}"`);
  const t0 = Date.now();
  try {
    const credentials = pullSecretCredentials(pod, parseRemoteRef(ref).registry, ctx.secret);
    const image = await pullImage(ctx.images, ref, { credentials });
    const took = `${((Date.now() - t0) / 1000).toFixed(3)}s`;
    ctx.event('Normal', 'Pulled', `Successfully pulled image "${ref}" in ${took} (${took} including waiting). Image size: ${image.size} bytes.`);
    return { ok: true, image };
  } catch (e) {
    const message = (e as Error).message;
    ctx.event('Warning', 'Failed', `Failed to pull image "${ref}": ${message}`);
    ctx.event('Warning', 'Failed', 'Error: ErrImagePull');
    return { ok: false, reason: 'ErrImagePull', message };
  }
}

/** What pullWithBackoff needs of the pod worker. */
export interface PullStepContext {
  resolve(): Promise<ImageResolution>;
  backoff: BackoffPolicy;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/**
 * One container's image for this sync, with the kubelet's image back-off: the image when present
 * or pulled; otherwise none, the container's hint waiting with ErrImagePull (or
 * ErrImageNeverPull) and then ImagePullBackOff until the next try, and when to sync again.
 */
export async function pullWithBackoff(c: Container, hint: ContainerHint, ctx: PullStepContext): Promise<{ image?: ImageRecord; wakeInMs?: number }> {
  const until = hint.pullBackoffUntil ? Date.parse(hint.pullBackoffUntil) : 0;
  if (until > Date.now()) {
    if (hint.waiting?.reason !== 'ImagePullBackOff' && hint.waiting?.reason !== 'ErrImageNeverPull') {
      ctx.event('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      ctx.event('Warning', 'Failed', 'Error: ImagePullBackOff');
    }
    if (hint.waiting?.reason !== 'ErrImageNeverPull') hint.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${hint.pullError ?? ''}` };
    return { wakeInMs: until - Date.now() };
  }
  const r = await ctx.resolve();
  if (r.ok) {
    delete hint.pullFailures;
    delete hint.pullError;
    delete hint.pullBackoffUntil;
    return { image: r.image };
  }
  hint.pullFailures = (hint.pullFailures ?? 0) + 1;
  hint.pullError = `${r.reason}: ${r.message}`;
  hint.waiting = { reason: r.reason, message: r.message };
  const delay = Math.max(backoffDelay(ctx.backoff, hint.pullFailures), 1);
  hint.pullBackoffUntil = new Date(Date.now() + delay).toISOString();
  // ErrImagePull shows until the next sync, which finds the back-off running (ImagePullBackOff)
  // and waits out the rest of it.
  return { wakeInMs: Math.min(Math.floor(delay / 2), 1000) };
}
