// supplementalGroupsPolicy through bin/podrun with defaults only: Merge (the default) adds the
// image's /etc/group memberships of the user, Strict does not, and containerStatuses[].user.linux
// reports the ids the process has (the documentation's example, on a busybox image).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { asRoot, subuidStart } from '../integration/harness';
import { e2e, missingE2e, podYaml, SERVE } from './e2e-harness';

const missing = missingE2e() ?? (asRoot || (subuidStart() !== undefined && fs.existsSync('/usr/bin/newuidmap')) ? undefined : 'ids other than 0 need root or a subordinate id range with newuidmap');
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('Merge and Strict', async (t) => {
  const env = await e2e(t);
  const root = path.join(env.dir, 'groups-rootfs');
  spawnSync('cp', ['-a', env.rootfs, root]);
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser-defined-in-image:x:1000:1000::/home:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nuser-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n');
  env.ok(['image', 'import', root, 'groups:1']);
  const sc = (policy: string) => `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000]${policy ? `, supplementalGroupsPolicy: ${policy}` : ''}}\n`;
  for (const [name, policy, want] of [
    ['merge', '', [3000, 4000, 50000]],
    ['strict', 'Strict', [3000, 4000]],
  ] as const) {
    env.ok(['apply', '-f', env.file(`${name}.yaml`, podYaml(name, { c: SERVE }, sc(policy)).replace(/image: \S+/, 'image: groups:1'))]);
    const p = await env.until(name, (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 30_000);
    const ids = env.ok(['exec', name, '--', 'id', '-G']).trim().split(' ').map(Number).sort((a, b) => a - b);
    t.same(ids, want, `${policy || 'Merge (default)'}: id -G`);
    const user = (p?.status?.containerStatuses?.[0] as { user?: { linux?: { uid: number; gid: number; supplementalGroups: number[] } } } | undefined)?.user?.linux;
    t.same(user && { ...user, supplementalGroups: [...user.supplementalGroups].sort((a, b) => a - b) }, { uid: 1000, gid: 3000, supplementalGroups: want }, `${policy || 'Merge'}: status user.linux`);
  }
});
