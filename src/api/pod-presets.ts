// PodPreset admission, as the settings.k8s.io/v1alpha1 admission plugin did it: when a pod is
// created, every preset of its namespace whose selector matches its labels merges its env,
// envFrom and volumeMounts into each container and its volumes into the pod, and the pod is
// annotated `podpreset.admission.kubernetes.io/podpreset-<name>: "<resourceVersion>"`. A pod
// annotated `podpreset.admission.kubernetes.io/exclude: "true"` is left alone. A preset that
// conflicts with the pod (an env var, a mount path or a volume of the same name with another
// value) injects nothing, and the conflict is reported. Pure.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { selectorMatches } from './labels';
import type { PodPreset } from './kinds/pod-preset';

export const EXCLUDE = 'podpreset.admission.kubernetes.io/exclude';
export const APPLIED = 'podpreset.admission.kubernetes.io/podpreset-';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Why the preset cannot be merged into the pod, or undefined. */
function conflict(pod: Pod, preset: PodPreset): string | undefined {
  const spec = preset.spec ?? {};
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const e of spec.env ?? []) {
      const mine = (c.env ?? []).find((x) => x.name === e.name);
      if (mine && !same(mine, e)) return `merging env for container ${c.name}: env var "${e.name}" has a different value in the pod (${JSON.stringify(mine.value ?? mine.valueFrom)}) than in the preset (${JSON.stringify(e.value ?? e.valueFrom)})`;
    }
    for (const m of spec.volumeMounts ?? []) {
      const byPath = (c.volumeMounts ?? []).find((x) => x.mountPath === m.mountPath);
      if (byPath && !same(byPath, m)) return `merging volume mounts for container ${c.name}: mount path "${m.mountPath}" is used by volume "${byPath.name}" in the pod and "${m.name}" in the preset`;
      const byName = (c.volumeMounts ?? []).find((x) => x.name === m.name && x.mountPath !== m.mountPath);
      if (byName && !same(byName, m)) return `merging volume mounts for container ${c.name}: volume "${m.name}" is mounted at "${byName.mountPath}" in the pod and "${m.mountPath}" in the preset`;
    }
  }
  for (const v of spec.volumes ?? []) {
    const mine = (pod.spec?.volumes ?? []).find((x) => x.name === v.name);
    if (mine && !same(mine, v)) return `merging volumes: volume "${v.name}" has a different source in the pod than in the preset`;
  }
  return undefined;
}

function mergeInto(c: Container, preset: PodPreset): Container {
  const spec = preset.spec ?? {};
  const env = [...(c.env ?? [])];
  for (const e of spec.env ?? []) if (!env.some((x) => x.name === e.name)) env.push(e);
  const mounts = [...(c.volumeMounts ?? [])];
  for (const m of spec.volumeMounts ?? []) if (!mounts.some((x) => x.mountPath === m.mountPath)) mounts.push(m);
  return { ...c, ...(env.length ? { env } : {}), ...(spec.envFrom?.length ? { envFrom: [...(c.envFrom ?? []), ...spec.envFrom] } : {}), ...(mounts.length ? { volumeMounts: mounts } : {}) };
}

export interface PresetOutcome {
  pod: Pod;
  /** Presets merged, by name. */
  applied: string[];
  /** Presets that matched and conflicted: why. */
  conflicts: { preset: string; message: string }[];
}

export function applyPodPresets(pod: Pod, presets: PodPreset[]): PresetOutcome {
  const out: PresetOutcome = { pod, applied: [], conflicts: [] };
  if (pod.metadata?.annotations?.[EXCLUDE] === 'true') return out;
  const ns = pod.metadata?.namespace ?? 'default';
  const matching = presets.filter((p) => (p.metadata?.namespace ?? 'default') === ns && selectorMatches(p.spec?.selector, pod.metadata?.labels)).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  let cur = pod;
  for (const preset of matching) {
    const why = conflict(cur, preset);
    if (why) {
      out.conflicts.push({ preset: preset.metadata!.name!, message: why });
      continue;
    }
    const spec = cur.spec!;
    const volumes = [...(spec.volumes ?? [])];
    for (const v of preset.spec?.volumes ?? []) if (!volumes.some((x) => x.name === v.name)) volumes.push(v);
    cur = {
      ...cur,
      metadata: { ...cur.metadata, annotations: { ...cur.metadata?.annotations, [`${APPLIED}${preset.metadata!.name}`]: preset.metadata?.resourceVersion ?? '' } },
      spec: {
        ...spec,
        ...(volumes.length ? { volumes } : {}),
        containers: spec.containers.map((c) => mergeInto(c, preset)),
        ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => mergeInto(c, preset)) } : {}),
      },
    };
    out.applied.push(preset.metadata!.name!);
  }
  out.pod = cur;
  return out;
}
