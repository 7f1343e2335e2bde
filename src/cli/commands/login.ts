// podrun login REGISTRY -u USER (-p PASS | --password-stdin) and podrun logout REGISTRY: the
// credentials pulls use, in the auth.json that podman and skopeo share. Login checks them
// against the registry first.
import { authFileForWriting, RegistryClient, writeCredentials } from '../../image/registry';
import { parseRemoteRef } from '../../image/remote-ref';
import type { Command } from '../context';
import { write } from '../context';
import { usageError } from '../report-error';

function registryArg(args: string[], verb: string): string {
  if (args.length !== 1) throw usageError(`${verb} takes one registry (HOST[:PORT])`);
  const r = args[0]!.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return parseRemoteRef(`${r}/x`).registry;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of stream) s += String(c);
  return s;
}

export const loginCommand: Command = {
  path: ['login'],
  usage: 'login REGISTRY -u USER (-p PASSWORD | --password-stdin)',
  summary: 'Log in to a registry (credentials for pulls, in auth.json)',
  flags: [
    { name: 'username', short: 'u', kind: 'string', value: 'USER', help: 'user name' },
    { name: 'password', short: 'p', kind: 'string', value: 'PASSWORD', help: 'password (prefer --password-stdin)' },
    { name: 'password-stdin', kind: 'bool', help: 'read the password from stdin' },
  ],
  engine: 'local',
  async run(ctx) {
    const registry = registryArg(ctx.args, 'login');
    const username = ctx.flags.string('username');
    if (!username) throw usageError('login requires --username');
    const password = ctx.flags.bool('password-stdin') ? (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '') : ctx.flags.string('password');
    if (password === undefined) throw usageError('login requires --password or --password-stdin');
    const credentials = { username, password };
    await new RegistryClient({ registry, repository: 'library/x' }, { credentials }).ping();
    const file = authFileForWriting();
    writeCredentials(file, registry, credentials);
    await write(ctx.io.stdout, 'Login Succeeded!\n');
    return 0;
  },
};

export const logoutCommand: Command = {
  path: ['logout'],
  usage: 'logout REGISTRY',
  summary: 'Remove the credentials of a registry',
  flags: [],
  engine: 'local',
  async run(ctx) {
    const registry = registryArg(ctx.args, 'logout');
    if (!writeCredentials(authFileForWriting(), registry, undefined)) {
      await write(ctx.io.stderr, `error: not logged into ${registry}\n`);
      return 1;
    }
    await write(ctx.io.stdout, `Removed login credentials for ${registry}\n`);
    return 0;
  },
};
