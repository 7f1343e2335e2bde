// The Job controller: runs pods of the template to completion. NonIndexed: `completions`
// successes, `parallelism` at a time. Indexed: one success per index 0..completions-1, the
// index in the pod's annotation, label, hostname and JOB_COMPLETION_INDEX. Failed pods are
// replaced after the Job back-off (10 s doubling to 6 min) until `backoffLimit` (or
// `backoffLimitPerIndex`) is exceeded; `podFailurePolicy` and `successPolicy` decide early;
// `activeDeadlineSeconds`, `suspend` and `ttlSecondsAfterFinished` as in Kubernetes. The
// conditions go FailureTarget then Failed, SuccessCriteriaMet then Complete, once no pod runs.
import type { Job, JobCondition, JobStatus, PodFailurePolicyRule } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { selectorMatches } from '../api/labels';
import type { KubeObject } from '../api/manifest';
import { COMPLETION_INDEX, formatIndexes, parseIndexes } from '../api/kinds/job';
import type { Controller, ControllerContext } from './context';
import { selectingKeys } from './owners';
import { claimPods, createFromTemplate } from './replica-set';
import { isReady } from './pod-state';

type J = Job & KubeObject;

/** The Job back-off: 10 s, doubling per failure, at most 6 min (DefaultJobPodFailureBackOff). */
export const JOB_BACKOFF = { initialMs: 10_000, maxMs: 360_000 };

const rfc3339 = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const finished = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const succeeded = (p: Pod) => p.status?.phase === 'Succeeded';
const failed = (p: Pod) => p.status?.phase === 'Failed';
const indexOf = (p: Pod): number | undefined => {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX];
  return v === undefined ? undefined : Number(v);
};
const finishedAt = (p: Pod): number =>
  Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '') || 0)) || Date.parse(p.metadata?.creationTimestamp ?? '') || 0;

/** Restarts of a pod's containers: with restartPolicy OnFailure, failures are counted this way. */
const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((a, c) => a + c.restartCount, 0) + (p.status?.initContainerStatuses ?? []).reduce((a, c) => a + c.restartCount, 0);

/** The first podFailurePolicy rule that matches a failed pod, if any. */
export function matchingRule(rules: PodFailurePolicyRule[] | undefined, p: Pod): PodFailurePolicyRule | undefined {
  for (const r of rules ?? []) {
    if (r.onExitCodes) {
      const { operator, values, containerName } = r.onExitCodes;
      const exits = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
        .filter((c) => !containerName || c.name === containerName)
        .map((c) => c.state?.terminated?.exitCode)
        .filter((x): x is number => x !== undefined && x !== 0);
      if (exits.some((code) => (operator === 'In' ? values.includes(code) : !values.includes(code)))) return r;
    } else if ((r.onPodConditions ?? []).some((pc) => (p.status?.conditions ?? []).some((c) => c.type === pc.type && c.status === (pc.status ?? 'True')))) {
      return r;
    }
  }
  return undefined;
}

export class JobController implements Controller {
  readonly kind = 'Job';
  constructor(
    private readonly ctx: ControllerContext,
    private readonly backoff = JOB_BACKOFF,
  ) {}

  claimants(obj: KubeObject): string[] {
    return obj.kind === 'Pod' ? selectingKeys(this.ctx.store, this.kind, obj) : [];
  }

  async reconcile(namespace: string, name: string): Promise<number | void> {
    const { store } = this.ctx;
    const job = store.get<J>('Job', namespace, name);
    if (!job || job.metadata?.deletionTimestamp) return;
    const spec = job.spec!;
    const prev = job.status ?? {};
    const now = Date.now();
    const pods = claimPods(this.ctx, job, store.list<Pod>('Pod', namespace), (l) => selectorMatches(spec.selector, l));
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const active = live.filter((p) => !finished(p));
    const conditions = new Map((prev.conditions ?? []).map((c) => [c.type, c]));
    const has = (t: string) => conditions.get(t)?.status === 'True';

    // A finished Job: only the TTL is left to do.
    if (has('Complete') || has('Failed')) return this.ttl(job, now);

    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions;
    const succeededPods = live.filter(succeeded);
    const failedPods = live.filter(failed);
    const doneIndexes = new Set([...parseIndexes(prev.completedIndexes), ...succeededPods.map(indexOf).filter((i): i is number => i !== undefined && i < (completions ?? 0))]);
    // Failures: failed pods not ignored by the failure policy (and restarts, with OnFailure).
    let failJob: { reason: string; message: string } | undefined;
    const failedIndexes = new Set(parseIndexes(prev.failedIndexes));
    const perIndexFailures = new Map<number, number>();
    let counted = 0;
    for (const p of failedPods) {
      const rule = matchingRule(spec.podFailurePolicy?.rules, p);
      if (rule?.action === 'Ignore') continue;
      if (rule?.action === 'FailJob' && !failJob) {
        const code = [...(p.status?.containerStatuses ?? [])].map((c) => c.state?.terminated?.exitCode).find((x) => x !== undefined && x !== 0);
        failJob = { reason: 'PodFailurePolicy', message: `Container ${p.spec?.containers[0]?.name} for pod ${namespace}/${p.metadata?.name} failed with exit code ${code} matching FailJob rule at index ${spec.podFailurePolicy!.rules.indexOf(rule)}` };
      }
      counted++;
      const i = indexOf(p);
      if (i !== undefined) {
        perIndexFailures.set(i, (perIndexFailures.get(i) ?? 0) + 1);
        if (rule?.action === 'FailIndex') failedIndexes.add(i);
      }
    }
    counted += live.reduce((a, p) => a + restarts(p), 0);
    if (spec.backoffLimitPerIndex !== undefined) {
      for (const [i, n] of perIndexFailures) if (n > spec.backoffLimitPerIndex && !doneIndexes.has(i)) failedIndexes.add(i);
    }

    const startTime = prev.startTime ?? (spec.suspend ? undefined : rfc3339(now));
    const succeededCount = indexed ? doneIndexes.size : Math.max(prev.succeeded ?? 0, succeededPods.length);
    // Success: every completion, or (no completions) one success and nothing running; or the successPolicy.
    let success: { reason: string; message: string } | undefined;
    if (indexed && spec.successPolicy) {
      for (const [k, r] of spec.successPolicy.rules.entries()) {
        const want = r.succeededIndexes !== undefined ? parseIndexes(r.succeededIndexes) : undefined;
        const got = want ? [...want].filter((i) => doneIndexes.has(i)).length : doneIndexes.size;
        const met = r.succeededCount !== undefined ? got >= r.succeededCount : got === want!.size;
        if (met) {
          success = { reason: 'SuccessPolicy', message: `Matched rules at index ${k}` };
          break;
        }
      }
    }
    if (!success && completions !== undefined && succeededCount >= completions) success = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    if (!success && completions === undefined && succeededCount > 0 && active.length === 0) success = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };

    if (!success && !failJob) {
      if (spec.backoffLimitPerIndex === undefined && counted > (spec.backoffLimit ?? 6)) failJob = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      else if (spec.maxFailedIndexes !== undefined && failedIndexes.size > spec.maxFailedIndexes) failJob = { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
      else if (indexed && spec.backoffLimitPerIndex !== undefined && failedIndexes.size > 0 && [...Array(completions).keys()].every((i) => doneIndexes.has(i) || failedIndexes.has(i))) {
        failJob = { reason: 'FailedIndexes', message: 'Job has failed indexes' };
      } else if (spec.activeDeadlineSeconds !== undefined && startTime && now - Date.parse(startTime) >= spec.activeDeadlineSeconds * 1000) {
        failJob = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      }
    }

    const set = (type: string, status: string, reason?: string, message?: string) => {
      const was = conditions.get(type);
      if (was && was.status === status && was.reason === reason) return;
      conditions.set(type, { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) } as JobCondition);
    };
    let wake: number | undefined;
    let stillActive = active;
    if (failJob || success) {
      // Interim condition first; the final one once no pod of the Job runs any more.
      if (failJob) set('FailureTarget', 'True', failJob.reason, failJob.message);
      else set('SuccessCriteriaMet', 'True', success!.reason, success!.message);
      for (const p of active) this.ctx.deletePod(namespace, p.metadata!.name!);
      stillActive = [];
      const terminating = pods.some((p) => p.metadata?.deletionTimestamp && !finished(p)) || active.length > 0;
      if (!terminating) {
        if (failJob) {
          set('Failed', 'True', failJob.reason, failJob.message);
          this.ctx.event(job, 'Warning', failJob.reason, failJob.message);
        } else {
          set('Complete', 'True', success!.reason, success!.message);
          this.ctx.event(job, 'Normal', 'Completed', 'Job completed');
        }
      }
    } else if (spec.suspend) {
      for (const p of active) this.ctx.deletePod(namespace, p.metadata!.name!);
      stillActive = [];
      if (!has('Suspended')) this.ctx.event(job, 'Normal', 'Suspended', 'Job suspended');
      set('Suspended', 'True', 'JobSuspended', 'Job suspended');
    } else {
      if (has('Suspended')) {
        set('Suspended', 'False', 'JobResumed', 'Job resumed');
        this.ctx.event(job, 'Normal', 'Resumed', 'Job resumed');
      }
      // The back-off after the last counted failure.
      // Failures since the last success count (the kube-controller-manager's backoffRecord).
      const lastSuccess = Math.max(0, ...succeededPods.map(finishedAt));
      const recent = failedPods.filter((p) => finishedAt(p) >= lastSuccess);
      const lastFail = Math.max(0, ...recent.map(finishedAt));
      const failures = spec.backoffLimitPerIndex === undefined ? recent.length : 0;
      const delay = failures > 0 ? Math.min(this.backoff.initialMs * 2 ** (failures - 1), this.backoff.maxMs) : 0;
      const readyAt = lastFail + delay;
      if (readyAt > now) wake = readyAt - now;
      else stillActive = [...active, ...(await this.createMissing(job, active, live, doneIndexes, failedIndexes, perIndexFailures, succeededCount, now))];
      if (spec.activeDeadlineSeconds !== undefined && startTime) wake = Math.min(wake ?? Infinity, Math.max(0, Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 - now) + 1);
    }

    const fresh = store.get<J>('Job', namespace, name);
    if (!fresh || fresh.metadata?.uid !== job.metadata?.uid) return;
    const finalCond = conditions.get('Complete')?.status === 'True' || conditions.get('Failed')?.status === 'True';
    const status: JobStatus = {
      ...(startTime ? { startTime } : {}),
      ...(conditions.get('Complete')?.status === 'True' ? { completionTime: prev.completionTime ?? rfc3339(now) } : {}),
      active: stillActive.length,
      ready: stillActive.filter(isReady).length,
      succeeded: succeededCount,
      failed: failedPods.length,
      terminating: pods.filter((p) => p.metadata?.deletionTimestamp && !finished(p)).length,
      ...(indexed ? { completedIndexes: formatIndexes(doneIndexes) } : {}),
      ...(spec.backoffLimitPerIndex !== undefined ? { failedIndexes: formatIndexes(failedIndexes) } : {}),
      uncountedTerminatedPods: {},
      ...(conditions.size ? { conditions: [...conditions.values()] } : {}),
    };
    for (const k of ['active', 'ready', 'succeeded', 'failed', 'terminating'] as const) if (!status[k]) delete status[k];
    store.updateStatus('Job', namespace, name, status);
    if (finalCond) return this.ttl(store.get<J>('Job', namespace, name)!, now);
    return wake;
  }

  /** New pods up to parallelism (for the indexes not done and not running, when Indexed). */
  private async createMissing(job: J, active: Pod[], live: Pod[], done: Set<number>, failedIndexes: Set<number>, perIndexFailures: Map<number, number>, succeededCount: number, now: number): Promise<Pod[]> {
    const spec = job.spec!;
    const parallelism = spec.parallelism ?? 1;
    const made: Pod[] = [];
    const name = job.metadata!.name!;
    if (spec.completionMode === 'Indexed') {
      const running = new Set(active.map(indexOf));
      // A failed index waits out its own back-off (backoffLimitPerIndex).
      const want: number[] = [];
      for (let i = 0; i < (spec.completions ?? 0) && active.length + want.length < parallelism; i++) {
        if (done.has(i) || running.has(i) || failedIndexes.has(i)) continue;
        const fails = live.filter((p) => failed(p) && indexOf(p) === i);
        if (spec.backoffLimitPerIndex !== undefined && fails.length) {
          const last = Math.max(...fails.map(finishedAt));
          if (last + Math.min(this.backoff.initialMs * 2 ** (fails.length - 1), this.backoff.maxMs) > now) continue;
        }
        want.push(i);
      }
      void perIndexFailures;
      const pods = await Promise.all(
        want.map((i) =>
          createFromTemplate(this.ctx, job, this.indexedTemplate(job, i), `${name}-${i}-`, {
            labels: { [COMPLETION_INDEX]: String(i) },
            annotations: { [COMPLETION_INDEX]: String(i) },
            hostname: `${name}-${i}`,
          }),
        ),
      );
      for (const p of pods) this.ctx.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`);
      return [...made, ...pods];
    }
    const remaining = spec.completions !== undefined ? spec.completions - succeededCount : succeededCount > 0 ? 0 : parallelism;
    const count = Math.max(0, Math.min(parallelism, remaining) - active.length);
    for (let k = 0; k < count; k++) {
      const p = await createFromTemplate(this.ctx, job, spec.template, `${name}-`);
      this.ctx.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata!.name}`);
      made.push(p);
    }
    return made;
  }

  /** The template for index `i`: JOB_COMPLETION_INDEX in every container's environment. */
  private indexedTemplate(job: J, i: number): NonNullable<Job['spec']>['template'] {
    const t = structuredClone(job.spec!.template);
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } };
    for (const c of [...(t.spec?.initContainers ?? []), ...(t.spec?.containers ?? [])]) c.env = [...(c.env ?? []), env];
    return t;
  }

  /** A finished Job with ttlSecondsAfterFinished goes (with its pods) that long after it finished. */
  private ttl(job: J, now: number): number | void {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const end = (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.lastTransitionTime;
    const at = (Date.parse(job.status?.completionTime ?? end ?? '') || now) + ttl * 1000;
    if (at > now) return at - now + 1;
    this.ctx.deleteObject('Job', job.metadata!.namespace!, job.metadata!.name!);
  }
}
