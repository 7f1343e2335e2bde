// `describe` for the kinds beyond pods and nodes, in kubectl's layout: the object's identity,
// what its kind shows (replicas, strategy, completions, schedule, claims ...), its pod template,
// its conditions and its events.
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { Container, PersistentVolume, PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import { yaml } from '../api/yaml-module';
import { formatSelector } from '../api/kinds/columns';
import { shortModes } from '../api/kinds/storage';
import type { KubeObject } from '../api/manifest';
import type { KindInfo } from '../store/kinds';
import { humanDuration } from './age';
import { DescribeWriter, formatRFC1123Z, writeEvents, writeMap, type PodEvent } from './describe';

const or = (s: string | undefined, none = '<none>'): string => (s === undefined || s === '' ? none : s);

function podsStatus(pods: Pod[]): string {
  const n = (phase: string) => pods.filter((p) => p.status?.phase === phase).length;
  return `${n('Running')} Running / ${n('Pending')} Waiting / ${n('Succeeded')} Succeeded / ${n('Failed')} Failed`;
}

function writeContainer(w: DescribeWriter, c: Container, level: number): void {
  w.line(level, `${c.name}:`);
  w.line(level + 1, `Image:\t${or(c.image)}`);
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
  w.line(level + 1, `Port:\t${or(ports)}`);
  if (c.command?.length) {
    w.line(level + 1, 'Command:');
    for (const a of c.command) w.line(level + 2, a);
  }
  if (c.args?.length) {
    w.line(level + 1, 'Args:');
    for (const a of c.args) w.line(level + 2, a);
  }
  if (!c.env?.length) w.line(level + 1, 'Environment:\t<none>');
  else {
    w.line(level + 1, 'Environment:');
    for (const e of c.env) w.line(level + 2, `${e.name}:\t${e.value ?? (e.valueFrom ? '(from a reference)' : '')}`);
  }
  if (!c.volumeMounts?.length) w.line(level + 1, 'Mounts:\t<none>');
  else {
    w.line(level + 1, 'Mounts:');
    for (const m of c.volumeMounts) w.line(level + 2, `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
  }
}

function writeTemplate(w: DescribeWriter, t: PodTemplateSpec | undefined): void {
  if (!t) return;
  w.line(0, 'Pod Template:');
  const labels = Object.entries(t.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  labels.forEach((l, i) => w.line(1, `${i === 0 ? 'Labels:' : ''}\t${l}`));
  if (!labels.length) w.line(1, 'Labels:\t<none>');
  if (t.spec?.serviceAccountName) w.line(1, `Service Account:\t${t.spec.serviceAccountName}`);
  if (t.spec?.initContainers?.length) {
    w.line(1, 'Init Containers:');
    for (const c of t.spec.initContainers) writeContainer(w, c, 2);
  }
  w.line(1, 'Containers:');
  for (const c of t.spec?.containers ?? []) writeContainer(w, c, 2);
  if (!t.spec?.volumes?.length) w.line(1, 'Volumes:\t<none>');
  else {
    w.line(1, 'Volumes:');
    for (const v of t.spec.volumes) {
      w.line(2, `${v.name}:`);
      const kind = Object.keys(v).find((k) => k !== 'name') ?? '';
      w.line(3, `Type:\t${kind}`);
      if (v.persistentVolumeClaim) w.line(3, `ClaimName:\t${v.persistentVolumeClaim.claimName}`);
    }
  }
  w.line(1, `Node-Selectors:\t${formatSelector(t.spec?.nodeSelector)}`);
  w.line(1, `Tolerations:\t${(t.spec?.tolerations ?? []).length ? (t.spec!.tolerations ?? []).map((x) => x.key ?? '').join(', ') : '<none>'}`);
}

function writeConditions(w: DescribeWriter, conditions: { type: string; status: string; reason?: string }[] | undefined): void {
  if (!conditions?.length) return;
  w.flush();
  w.line(0, 'Conditions:');
  w.line(1, 'Type\tStatus\tReason');
  w.line(1, '----\t------\t------');
  for (const c of conditions) w.line(1, `${c.type}\t${c.status}\t${or(c.reason, '')}`);
}

export interface DescribeContext {
  events: PodEvent[];
  /** The pods the object controls. */
  pods: Pod[];
  /** For a Deployment: its ReplicaSets. */
  replicaSets?: ReplicaSet[];
  now: number;
}

export function describeObject(o: KubeObject, info: KindInfo, c: DescribeContext): string {
  const w = new DescribeWriter();
  const meta = o.metadata ?? {};
  w.line(0, `Name:\t${meta.name ?? ''}`);
  if (info.namespaced) w.line(0, `Namespace:\t${meta.namespace ?? 'default'}`);
  if (meta.creationTimestamp) w.line(0, `CreationTimestamp:\t${formatRFC1123Z(meta.creationTimestamp)}`);
  writeMap(w, 'Labels', meta.labels, '=');
  writeMap(w, 'Annotations', meta.annotations, ': ');
  const owner = (meta.ownerReferences ?? []).find((r) => r.controller);
  if (owner) w.line(0, `Controlled By:\t${owner.kind}/${owner.name}`);
  switch (o.kind) {
    case 'Deployment': {
      const d = o as unknown as Deployment;
      const s = d.status ?? {};
      w.line(0, `Selector:\t${formatSelector(d.spec?.selector)}`);
      w.line(0, `Replicas:\t${d.spec?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`);
      w.line(0, `StrategyType:\t${d.spec?.strategy?.type ?? 'RollingUpdate'}`);
      w.line(0, `MinReadySeconds:\t${d.spec?.minReadySeconds ?? 0}`);
      const ru = d.spec?.strategy?.rollingUpdate;
      if (ru) w.line(0, `RollingUpdateStrategy:\t${ru.maxUnavailable} max unavailable, ${ru.maxSurge} max surge`);
      writeTemplate(w, d.spec?.template);
      writeConditions(w, s.conditions);
      const sets = c.replicaSets ?? [];
      const isNew = (rs: ReplicaSet) => rs.metadata?.labels?.['pod-template-hash'] && d.spec?.template.metadata?.labels && JSON.stringify(rs.spec?.template?.spec) === JSON.stringify(d.spec.template.spec);
      const fmt = (rs: ReplicaSet) => `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
      w.line(0, `OldReplicaSets:\t${or(sets.filter((rs) => !isNew(rs) && (rs.spec?.replicas ?? 0) > 0).map(fmt).join(', '))}`);
      w.line(0, `NewReplicaSet:\t${or(sets.filter(isNew).map(fmt)[0])}`);
      break;
    }
    case 'ReplicaSet':
    case 'ReplicationController': {
      const rs = o as unknown as ReplicaSet;
      w.line(0, `Selector:\t${formatSelector(rs.spec?.selector)}`);
      w.line(0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
      w.line(0, `Pods Status:\t${podsStatus(c.pods)}`);
      writeTemplate(w, rs.spec?.template);
      writeConditions(w, rs.status?.conditions);
      break;
    }
    case 'StatefulSet': {
      const s = o as unknown as StatefulSet;
      w.line(0, `Selector:\t${formatSelector(s.spec?.selector)}`);
      w.line(0, `Replicas:\t${s.spec?.replicas ?? 1} desired | ${s.status?.replicas ?? 0} total`);
      w.line(0, `Update Strategy:\t${s.spec?.updateStrategy?.type ?? 'RollingUpdate'}`);
      if (s.spec?.updateStrategy?.rollingUpdate) w.line(1, `Partition:\t${s.spec.updateStrategy.rollingUpdate.partition ?? 0}`);
      w.line(0, `Pods Status:\t${podsStatus(c.pods)}`);
      writeTemplate(w, s.spec?.template);
      if (s.spec?.volumeClaimTemplates?.length) {
        w.line(0, 'Volume Claims:');
        for (const t of s.spec.volumeClaimTemplates) {
          w.line(1, `Name:\t${t.metadata?.name}`);
          w.line(1, `StorageClass:\t${t.spec?.storageClassName ?? ''}`);
          w.line(1, `Capacity:\t${t.spec?.resources?.requests?.storage ?? ''}`);
          w.line(1, `Access Modes:\t${(t.spec?.accessModes ?? []).join(', ')}`);
        }
      } else w.line(0, 'Volume Claims:\t<none>');
      break;
    }
    case 'DaemonSet': {
      const d = o as unknown as DaemonSet;
      const s = d.status;
      w.line(0, `Selector:\t${formatSelector(d.spec?.selector)}`);
      w.line(0, `Node-Selector:\t${formatSelector(d.spec?.template.spec?.nodeSelector)}`);
      w.line(0, `Desired Number of Nodes Scheduled: ${s?.desiredNumberScheduled ?? 0}`);
      w.line(0, `Current Number of Nodes Scheduled: ${s?.currentNumberScheduled ?? 0}`);
      w.line(0, `Number of Nodes Scheduled with Up-to-date Pods: ${s?.updatedNumberScheduled ?? 0}`);
      w.line(0, `Number of Nodes Scheduled with Available Pods: ${s?.numberAvailable ?? 0}`);
      w.line(0, `Number of Nodes Misscheduled: ${s?.numberMisscheduled ?? 0}`);
      w.line(0, `Pods Status:\t${podsStatus(c.pods)}`);
      writeTemplate(w, d.spec?.template);
      break;
    }
    case 'Job': {
      const j = o as unknown as Job;
      const s = j.status ?? {};
      w.line(0, `Selector:\t${formatSelector(j.spec?.selector)}`);
      w.line(0, `Parallelism:\t${j.spec?.parallelism ?? 1}`);
      w.line(0, `Completions:\t${j.spec?.completions ?? '<unset>'}`);
      w.line(0, `Completion Mode:\t${j.spec?.completionMode ?? 'NonIndexed'}`);
      w.line(0, `Suspend:\t${j.spec?.suspend ? 'true' : 'false'}`);
      w.line(0, `Backoff Limit:\t${j.spec?.backoffLimit ?? 6}`);
      if (j.spec?.ttlSecondsAfterFinished !== undefined) w.line(0, `TTL Seconds After Finished:\t${j.spec.ttlSecondsAfterFinished}`);
      if (s.startTime) w.line(0, `Start Time:\t${formatRFC1123Z(s.startTime)}`);
      if (s.completionTime) w.line(0, `Completed At:\t${formatRFC1123Z(s.completionTime)}`);
      if (s.startTime) w.line(0, `Duration:\t${humanDuration((s.completionTime ? Date.parse(s.completionTime) : c.now) - Date.parse(s.startTime))}`);
      if (j.spec?.activeDeadlineSeconds !== undefined) w.line(0, `Active Deadline Seconds:\t${j.spec.activeDeadlineSeconds}s`);
      w.line(0, `Pods Statuses:\t${s.active ?? 0} Active (${s.ready ?? 0} Ready) / ${s.succeeded ?? 0} Succeeded / ${s.failed ?? 0} Failed`);
      if (j.spec?.completionMode === 'Indexed') w.line(0, `Completed Indexes:\t${or(s.completedIndexes)}`);
      writeTemplate(w, j.spec?.template);
      writeConditions(w, s.conditions);
      break;
    }
    case 'CronJob': {
      const cj = o as unknown as CronJob;
      const spec = cj.spec;
      w.line(0, `Schedule:\t${spec?.schedule}`);
      if (spec?.timeZone) w.line(0, `Time Zone:\t${spec.timeZone}`);
      w.line(0, `Concurrency Policy:\t${spec?.concurrencyPolicy ?? 'Allow'}`);
      w.line(0, `Suspend:\t${spec?.suspend ? 'True' : 'False'}`);
      w.line(0, `Successful Job History Limit:\t${spec?.successfulJobsHistoryLimit ?? 3}`);
      w.line(0, `Failed Job History Limit:\t${spec?.failedJobsHistoryLimit ?? 1}`);
      w.line(0, `Starting Deadline Seconds:\t${spec?.startingDeadlineSeconds === undefined ? '<unset>' : `${spec.startingDeadlineSeconds}s`}`);
      w.line(0, `Parallelism:\t${spec?.jobTemplate.spec?.parallelism ?? '<unset>'}`);
      w.line(0, `Completions:\t${spec?.jobTemplate.spec?.completions ?? '<unset>'}`);
      writeTemplate(w, spec?.jobTemplate.spec?.template);
      w.line(0, `Last Schedule Time:\t${cj.status?.lastScheduleTime ? formatRFC1123Z(cj.status.lastScheduleTime) : '<unset>'}`);
      w.line(0, `Active Jobs:\t${or((cj.status?.active ?? []).map((a) => a.name).join(', '))}`);
      break;
    }
    case 'PersistentVolumeClaim': {
      const pvc = o as unknown as PersistentVolumeClaim;
      w.line(0, `StorageClass:\t${pvc.spec?.storageClassName ?? ''}`);
      w.line(0, `Status:\t${pvc.status?.phase ?? 'Pending'}`);
      w.line(0, `Volume:\t${pvc.spec?.volumeName ?? ''}`);
      w.line(0, `Finalizers:\t[${(meta.finalizers ?? []).join(' ')}]`);
      w.line(0, `Capacity:\t${pvc.status?.capacity?.storage ?? ''}`);
      w.line(0, `Access Modes:\t${shortModes(pvc.status?.accessModes)}`);
      w.line(0, `VolumeMode:\t${pvc.spec?.volumeMode ?? 'Filesystem'}`);
      w.line(0, `Used By:\t${or(c.pods.map((p) => p.metadata?.name ?? '').join(', '))}`);
      break;
    }
    case 'PersistentVolume': {
      const pv = o as unknown as PersistentVolume;
      w.line(0, `Finalizers:\t[${(meta.finalizers ?? []).join(' ')}]`);
      w.line(0, `StorageClass:\t${pv.spec?.storageClassName ?? ''}`);
      w.line(0, `Status:\t${pv.status?.phase ?? 'Pending'}`);
      w.line(0, `Claim:\t${pv.spec?.claimRef ? `${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name}` : ''}`);
      w.line(0, `Reclaim Policy:\t${pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain'}`);
      w.line(0, `Access Modes:\t${shortModes(pv.spec?.accessModes)}`);
      w.line(0, `VolumeMode:\t${pv.spec?.volumeMode ?? 'Filesystem'}`);
      w.line(0, `Capacity:\t${pv.spec?.capacity?.storage ?? ''}`);
      w.line(0, 'Source:');
      w.line(1, `Type:\t${pv.spec?.hostPath ? 'HostPath (bare host directory volume)' : 'LocalVolume (a persistent volume backed by local storage on a node)'}`);
      w.line(1, `Path:\t${pv.spec?.hostPath?.path ?? pv.spec?.local?.path ?? ''}`);
      break;
    }
    default: {
      // Kinds without a layout of their own: their fields, as YAML.
      const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = o;
      w.flush();
      for (const line of yaml().stringify(rest).trimEnd().split('\n')) w.line(0, line.replace(/\t/g, ' '));
    }
  }
  writeEvents(w, c.events, c.now);
  return w.toString();
}
