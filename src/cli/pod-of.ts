// `logs deploy/web`, `exec job/x`: the pod a workload stands for, as kubectl picks it — the
// first of the pods the object controls (for a Deployment, through its newest ReplicaSet),
// running ones first; "Found N pods, using pod/NAME" when there was a choice.
import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../api/manifest';
import { PodrunError } from '../errors';
import type { Podrun } from '../podrun';
import { kindForWord } from '../store/kinds';
import { isPodType } from './resources';
import { usageError } from './report-error';

const owns = (owner: KubeObject, o: KubeObject | Pod) => (o.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata?.uid && r.controller);

/** The pod for `NAME` or `TYPE/NAME`; `note` is what to say on stderr about the choice. */
export async function podFor(client: Podrun, arg: string, namespace: string): Promise<{ name: string; note?: string }> {
  const slash = arg.indexOf('/');
  if (slash < 0) return { name: arg };
  const type = arg.slice(0, slash);
  const name = arg.slice(slash + 1);
  if (isPodType(type)) return { name };
  const info = kindForWord(type);
  if (!info) throw usageError(`the server doesn't have a resource type "${type}"`);
  const obj = await client.get<KubeObject>(info.kind, name, { namespace });
  const pods = await client.listPods(namespace);
  let owners = [obj];
  if (info.kind === 'Deployment') {
    const sets = (await client.list<KubeObject>('ReplicaSet', { namespace })).filter((rs) => owns(obj, rs));
    owners = sets.sort((a, b) => Number(b.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) - Number(a.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0));
  }
  for (const owner of owners) {
    const mine = pods
      .filter((p) => owns(owner, p) && !p.metadata?.deletionTimestamp)
      .sort((a, b) => Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running') || (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
    if (mine.length) return { name: mine[0]!.metadata!.name!, ...(mine.length > 1 ? { note: `Found ${mine.length} pods, using pod/${mine[0]!.metadata!.name}` } : {}) };
  }
  throw new PodrunError('NotFound', `no pods found for ${info.kind.toLowerCase()}/${name}`);
}
