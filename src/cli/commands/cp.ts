// podrun cp [-c CONTAINER] SRC DEST: files and folders between this host and a running
// container, as kubectl cp, where one side is `[NAMESPACE/]POD:PATH` and the other a local path.
// The work and its safety rules are in runtime/copy.ts (no tar in the image; the container's
// links are never followed on the host).
import type { Command } from '../context';
import { write } from '../context';
import { execContainer } from '../container-choice';
import { usageError } from '../report-error';

interface FileSpec {
  /** Absent for a local path. */
  pod?: string;
  namespace?: string;
  path: string;
}

/** kubectl's reading of one argument: `POD:PATH`, `NAMESPACE/POD:PATH`, or a local path (no colon). */
export function parseFileSpec(arg: string): FileSpec {
  const colon = arg.indexOf(':');
  if (colon < 0) {
    if (arg === '') throw usageError('filepath can not be empty');
    return { path: arg };
  }
  const target = arg.slice(0, colon);
  const file = arg.slice(colon + 1);
  if (file === '') throw usageError('filepath can not be empty');
  const parts = target.split('/');
  if (target === '' || parts.length > 2 || parts.some((p) => p === '')) {
    throw usageError('filespec must match the canonical format: [[namespace/]pod:]file/path');
  }
  return parts.length === 2 ? { namespace: parts[0], pod: parts[1], path: file } : { pod: parts[0], path: file };
}

export const cpCommand: Command = {
  path: ['cp'],
  usage: 'cp [-c CONTAINER] [NAMESPACE/]POD:PATH LOCAL | cp [-c CONTAINER] LOCAL [NAMESPACE/]POD:PATH',
  summary: 'Copy files and directories to and from containers',
  details: [
    'Examples:',
    '  podrun cp web:/etc/hosts ./hosts',
    '  podrun cp ./site web:/usr/share/www -c server',
    '  podrun cp other-ns/web:/var/log ./logs',
    '',
    "Folders are copied with all they hold, symlinks as symlinks; a container's links are never followed on this host.",
  ].join('\n'),
  flags: [{ name: 'container', short: 'c', kind: 'string', value: 'NAME', help: 'the container (default: the first one)' }],
  engine: 'spawn',
  async run(ctx) {
    if (ctx.args.length !== 2) throw usageError('source and destination are required');
    const src = parseFileSpec(ctx.args[0]!);
    const dest = parseFileSpec(ctx.args[1]!);
    if (src.pod !== undefined && dest.pod !== undefined) throw usageError('one of src or dest must be a local file specification');
    if (src.pod === undefined && dest.pod === undefined) throw usageError('one of src or dest must be a remote file specification');
    const remote = (src.pod !== undefined ? src : dest) as Required<Pick<FileSpec, 'pod'>> & FileSpec;
    const namespace = remote.namespace ?? ctx.namespace;
    const client = ctx.podrun();
    const pod = await client.getPod(remote.pod, namespace);
    const { container, note } = execContainer(pod, ctx.flags.string('container'));
    if (note) await write(ctx.io.stderr, note + '\n');
    const opts = { namespace, container };
    if (src.pod !== undefined) await client.copyFrom(remote.pod, src.path, dest.path, opts);
    else await client.copyTo(remote.pod, src.path, dest.path, opts);
    return 0;
  },
};
