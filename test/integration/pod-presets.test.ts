// PodPreset admission against a real engine: a matching pod gets the preset's env and volume
// (and the annotation); an excluded pod and a conflicting pod get nothing of it, and the
// conflict is a Warning event on the pod. Pods made by a controller get presets too.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../src/api/manifest';
import { execOut, IMAGE, missingBusybox, missingFeature, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const preset: KubeObject = {
  apiVersion: 'settings.k8s.io/v1alpha1',
  kind: 'PodPreset',
  metadata: { name: 'allow-database' },
  spec: {
    selector: { matchLabels: { role: 'frontend' } },
    env: [{ name: 'DB_PORT', value: '6379' }],
    volumeMounts: [{ mountPath: '/cache', name: 'cache-volume' }],
    volumes: [{ name: 'cache-volume', emptyDir: {} }],
  },
};

function pod(name: string, extra: { annotations?: Record<string, string>; env?: { name: string; value: string }[] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { role: 'frontend' }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: IMAGE, command: ['/payload', 'sleep', '3600'], ...(extra.env ? { env: extra.env } : {}) }] },
  };
}

t.test('matching, excluded and conflicting pods', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(preset);
  const stored = await podrun.get<KubeObject>('podpresets', 'allow-database');

  const website = await podrun.createPod(pod('website'));
  t.same(website.spec?.containers[0]?.env, [{ name: 'DB_PORT', value: '6379' }], 'env injected');
  t.same(website.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'cache-volume'), { mountPath: '/cache', name: 'cache-volume' });
  t.ok(website.spec?.volumes?.some((v) => v.name === 'cache-volume' && v.emptyDir), 'volume injected');
  t.equal(website.metadata?.annotations?.['podpreset.admission.kubernetes.io/podpreset-allow-database'], stored.metadata?.resourceVersion);
  t.equal((await execOut(podrun, 'website', ['/bin/sh', '-c', 'echo $DB_PORT; test -d /cache && echo mounted'])).stdout, '6379\nmounted\n', 'seen inside the container');

  const excluded = await podrun.createPod(pod('excluded', { annotations: { 'podpreset.admission.kubernetes.io/exclude': 'true' } }));
  t.same(excluded.spec?.containers[0]?.env, undefined, 'an excluded pod is left alone');
  t.notOk(excluded.metadata?.annotations?.['podpreset.admission.kubernetes.io/podpreset-allow-database']);

  const conflicting = await podrun.createPod(pod('conflicting', { env: [{ name: 'DB_PORT', value: '5432' }] }));
  t.same(conflicting.spec?.containers[0]?.env, [{ name: 'DB_PORT', value: '5432' }], 'its own value stays');
  t.notOk(conflicting.spec?.volumes?.some((v) => v.name === 'cache-volume'), 'nothing of the preset is injected');
  const events = await podrun.listEvents({ pod: 'conflicting' });
  const warning = events.find((e) => e.reason === 'PodPresetConflict');
  t.equal(warning?.type, 'Warning');
  t.match(warning?.message, /PodPreset "allow-database".*env var "DB_PORT"/, warning?.message);

  // Existing pods are never changed by a new or changed preset.
  await podrun.apply({ ...preset, spec: { ...(preset.spec as object), env: [{ name: 'DB_PORT', value: '1' }] } } as KubeObject);
  t.same((await podrun.getPod('website')).spec?.containers[0]?.env, [{ name: 'DB_PORT', value: '6379' }]);
});
