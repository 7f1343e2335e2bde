// podrun patch pod NAME --subresource resize -p PATCH: in-place resize of a pod's containers
// (kubectl patch --subresource resize, a strategic merge patch of their cpu and memory).
// The resize subresource is the only patch podrun takes.

import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';
import { podNames } from '../resources';
import { yaml } from '../../api/yaml-module';
import type { ResizePatch } from '../../cgroups/resize';
import { stableJson } from '../../api/stable-json';

export const patchCommand: Command = {
  path: ['patch'],
  usage: 'patch (pod NAME | pod/NAME) --subresource resize -p PATCH [--type strategic]',
  summary: "Update a pod's container resources in place (the resize subresource)",
  details: [
    'Examples:',
    `  podrun patch pod web --subresource resize -p '{"spec":{"containers":[{"name":"web","resources":{"limits":{"memory":"256Mi"}}}]}}'`,
  ].join('\n'),
  flags: [
    { name: 'patch', short: 'p', kind: 'string', value: 'PATCH', help: 'the patch, JSON or YAML' },
    { name: 'subresource', kind: 'string', value: 'NAME', help: 'resize: the containers\' cpu and memory' },
    { name: 'type', kind: 'string', value: 'TYPE', help: 'strategic (the default; merge is the same for resources)' },
  ],
  engine: 'spawn',
  async run(ctx) {
    const text = ctx.flags.string('patch');
    if (text === undefined) throw usageError('must specify -p to patch');
    const sub = ctx.flags.string('subresource');
    if (sub !== 'resize') throw usageError(sub === undefined ? 'podrun patches pods through the resize subresource only: add --subresource resize' : `invalid subresource value: "${sub}". Must be one of [resize]`);
    const type = ctx.flags.string('type') ?? 'strategic';
    if (type !== 'strategic' && type !== 'merge') throw usageError(`--type must be one of [strategic merge] for the resize subresource, not "${type}"`);
    let patch: ResizePatch;
    try {
      patch = yaml().parse(text) as ResizePatch;
    } catch (e) {
      throw usageError(`unable to parse "${text}": ${(e as Error).message}`);
    }
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw usageError(`unable to parse "${text}": the patch must be an object`);
    const names = podNames(ctx.args, { verb: 'patch', nameRequired: true });
    if (names.length !== 1) throw usageError('patch takes exactly one pod');
    const name = names[0]!;
    const client = ctx.podrun();
    const before = await client.getPod(name, ctx.namespace);
    const after = await client.resizePod(name, patch, { namespace: ctx.namespace });
    const resources = (p: typeof before) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.resources);
    const same = stableJson(resources(before)) === stableJson(resources(after));
    await write(ctx.io.stdout, `pod/${name} patched${same ? ' (no change)' : ''}\n`);
    return 0;
  },
};
