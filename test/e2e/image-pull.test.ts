// An image that cannot be pulled, with defaults only: ErrImagePull, then ImagePullBackOff while
// the kubelet's back-off runs, with its events. The registry address is a closed port on
// 127.0.0.1, so nothing leaves the machine.
import * as net from 'node:net';
import t from 'tap';
import { e2e, missingE2e } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('an unknown image: ErrImagePull, then ImagePullBackOff', async (t) => {
  const env = await e2e(t);
  const image = `127.0.0.1:${await closedPort()}/nobody/nothing:1`;
  env.ok(['apply', '-f', env.file('pull.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: pull\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`)]);
  const seen = new Set<string>();
  const p = await env.until(
    'pull',
    (p) => {
      const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason) seen.add(reason);
      return reason === 'ImagePullBackOff';
    },
    60_000,
  );
  t.ok(p, 'ImagePullBackOff is reached');
  t.match(p?.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', `Back-off pulling image "${image}"`);
  t.equal(p?.status?.phase, 'Pending');
  t.match(env.ok(['get', 'pods']), /pull\s+0\/1\s+ImagePullBackOff\s+0\s/, 'get pods says so');
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=pull']);
  t.match(events, /Failed\s+pod\/pull\s+Error: ErrImagePull/, 'a Failed event with ErrImagePull');
  t.match(events, /BackOff\s+pod\/pull\s+Back-off pulling image/, 'a BackOff event');
  t.match(events, /Failed\s+pod\/pull\s+Error: ImagePullBackOff/, 'and Error: ImagePullBackOff');
});
