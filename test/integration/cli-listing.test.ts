// The kubectl verbs users type every day, through bin/podrun with defaults only (the e2e
// harness's front door: no engine options, no PODRUN_* knobs), on one root with three pods:
// -l (equality and set-based) and --show-labels on get, delete, logs and wait; get configmaps,
// secrets, nodes and all; logs --since/--since-time, --all-containers, --prefix and a
// selector's defaults; --dry-run=client|server with -o on apply, create, delete and scale.
// Each output is compared with kubectl's for the same objects: headers, column order,
// messages, exit codes.
import t from 'tap';
import { e2e, IMAGE, missingE2e, SERVE } from '../e2e/e2e-harness';
import { coveredByRootRun } from './harness';

const missing = missingE2e() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

// web logs "early", then (a second later) line 1..15, then serves: enough to tell --tail,
// a selector's 10 lines and --since-time apart.
const WEB_CMD = ['sh', '-c', 'echo early; sleep 1; i=1; while [ $i -le 15 ]; do echo line $i; i=$((i+1)); done; trap "exit 0" TERM; while true; do sleep 1; done'];
const web = (labels: string) => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: ${labels}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${IMAGE}
    command: ${JSON.stringify(WEB_CMD)}
`;

// No labels (LABELS <none>); an init container and two containers for --all-containers.
const multi = `apiVersion: v1
kind: Pod
metadata:
  name: multi
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: ${IMAGE}
    command: [sh, -c, echo from-init]
  containers:
  - name: a
    image: ${IMAGE}
    command: [sh, -c, 'echo from-a; trap "exit 0" TERM; while true; do sleep 1; done']
  - name: b
    image: ${IMAGE}
    command: [sh, -c, 'echo from-b; trap "exit 0" TERM; while true; do sleep 1; done']
`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  labels: {app: dep}
spec:
  replicas: 1
  selector:
    matchLabels: {app: dep}
  template:
    metadata:
      labels: {app: dep}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: dep
        image: ${IMAGE}
        command: ${JSON.stringify(SERVE)}
`;

const data = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  labels: {tier: fe, app: web}
data: {a: "1", b: "2"}
binaryData: {c: aGk=}
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
stringData: {x: "y"}
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: kubernetes.io/tls
data: {tls.crt: aGk=, tls.key: aGk=}
`;

const AGE = '\\d+[smhd]';

t.test('selectors, listings, logs and dry runs as kubectl has them', async (t) => {
  const e = await e2e(t);
  const r = (args: string[]) => {
    const x = e.run(args);
    return [x.status, x.stdout, x.stderr];
  };

  // Dry runs first, while nothing exists: nothing they do may show afterwards.
  t.test('--dry-run on apply, create', async (t) => {
    const webFile = e.file('web.yaml', web('{app: web, tier: fe}'));
    t.same(r(['apply', '-f', webFile, '--dry-run=client']), [0, 'pod/web created (dry run)\n', '']);
    t.same(r(['apply', '-f', webFile, '--dry-run=server']), [0, 'pod/web created (server dry run)\n', '']);
    t.same(r(['apply', '-f', webFile, '--dry-run']), [0, 'pod/web created (dry run)\n', 'Warning: --dry-run is deprecated and can be replaced with --dry-run=client.\n'], 'bare: client, with the deprecation');
    t.same(r(['apply', '-f', webFile, '--dry-run=client', '-o', 'name']), [0, 'pod/web\n', ''], '-o name drops the verb');
    t.same(r(['apply', '-f', webFile, '--dry-run=x']), [1, '', 'error: Invalid dry-run value (x). Must be "none", "server", or "client".\n']);
    const client = e.ok(['apply', '-f', webFile, '--dry-run=client', '-o', 'yaml']);
    t.match(client, /^apiVersion: v1\nkind: Pod\nmetadata:\n {2}labels:\n/, 'client: the object as given');
    t.notMatch(client, /dnsPolicy|uid:/, 'client: no server defaults, no identity');
    const server = JSON.parse(e.ok(['apply', '-f', webFile, '--dry-run=server', '-o', 'json'])) as { metadata: { uid?: string; namespace?: string }; spec: { dnsPolicy?: string; restartPolicy?: string; containers: { terminationMessagePath?: string }[] } };
    t.equal(server.spec.dnsPolicy, 'ClusterFirst', "server: the API server's defaults");
    t.equal(server.spec.restartPolicy, 'Always');
    t.equal(server.spec.containers[0]!.terminationMessagePath, '/dev/termination-log');
    t.equal(server.metadata.namespace, 'default');
    t.ok(server.metadata.uid, 'server: an identity, as the server answers');
    const bad = e.file('bad.yaml', web('{app: web}').replace('terminationGracePeriodSeconds: 1', 'restartPolicy: Sometimes'));
    const refused = e.run(['apply', '-f', bad, '--dry-run=server']);
    t.equal(refused.status, 1);
    t.match(refused.stderr, /^error: Pod "web" is invalid: spec\.restartPolicy: Unsupported value: "Sometimes"/, 'server: validated as apply validates');
    t.same(r(['apply', '-f', bad, '--dry-run=client']), [0, 'pod/web created (dry run)\n', ''], 'client: not sent, so not validated by the server');

    t.same(r(['create', 'deployment', 'made', `--image=${IMAGE}`, '--dry-run=client', '-o', 'name']), [0, 'deployment.apps/made\n', '']);
    t.same(r(['create', 'deployment', 'made', `--image=${IMAGE}`, '--dry-run=server']), [0, 'deployment.apps/made created (server dry run)\n', '']);
    const dep = e.ok(['create', 'deployment', 'made', `--image=${IMAGE}`, '--replicas=2', '--dry-run=client', '-o', 'yaml']);
    t.match(dep, /^apiVersion: apps\/v1\nkind: Deployment\nmetadata:\n {2}labels:\n {4}app: made\n {2}name: made\n {2}namespace: default\nspec:\n {2}replicas: 2\n/);
    const depServer = e.ok(['create', 'deployment', 'made', `--image=${IMAGE}`, '--dry-run=server', '-o', 'yaml']);
    t.match(depServer, /strategy:\n {4}rollingUpdate:\n {6}maxSurge: 25%\n {6}maxUnavailable: 25%\n {4}type: RollingUpdate\n/, "server: the Deployment's defaults");
    t.same(r(['get', 'all']), [0, '', 'No resources found in default namespace.\n'], 'no dry run made anything');
    t.same(r(['get', 'deploy', 'made']), [1, '', 'Error from server (NotFound): deployments.apps "made" not found\n']);
  });

  t.equal(e.ok(['apply', '-f', e.file('objects.yaml', [web('{app: web, tier: fe}'), multi, deployment, data].join('---\n'))]), 'configmap/cfg created\nsecret/sec created\nsecret/tls created\ndeployment.apps/dep created\npod/web created\npod/multi created\n');
  e.ok(['wait', '--for=condition=Ready', 'pod/web', 'pod/multi', '--timeout=120s']);
  e.ok(['wait', '--for=condition=available', 'deploy/dep', '--timeout=120s']);
  const depPod = e.ok(['get', 'pods', '-l', 'app=dep', '-o', 'name']).trim().slice('pod/'.length);
  t.match(depPod, /^dep-[a-z0-9]+-[a-z0-9]{5}$/);
  const rsName = e.ok(['get', 'rs', '-o', 'name']).trim().slice('replicaset.apps/'.length);

  t.test('get -l and --show-labels', async (t) => {
    const names = (sel: string) => e.ok(['get', 'pods', '-l', sel, '-o', 'name']);
    t.equal(names('app=web'), 'pod/web\n', 'equality');
    t.equal(names('app==web'), 'pod/web\n', 'double equals');
    t.equal(names('app!=web'), `pod/${depPod}\npod/multi\n`, 'inequality also matches pods without the label');
    t.equal(names('app in (web,dep)'), `pod/${depPod}\npod/web\n`, 'in');
    t.equal(names('app notin (web)'), `pod/${depPod}\npod/multi\n`, 'notin');
    t.equal(names('tier'), 'pod/web\n', 'exists');
    t.equal(names('!app'), 'pod/multi\n', 'does not exist');
    t.equal(names('app,tier=fe'), 'pod/web\n', 'requirements are ANDed');
    t.same(r(['get', 'pods', '-l', 'app=none']), [0, '', 'No resources found in default namespace.\n']);
    const bad = e.run(['get', 'pods', '-l', 'app in (web']);
    t.equal(bad.status, 1);
    t.match(bad.stderr, /^error: unable to parse selector "app in \(web": /);
    t.same(r(['get', 'pod', 'web', '-l', 'app=web']), [1, '', 'error: name cannot be provided when a selector is specified\n']);
    t.same(r(['get', 'events', '-l', 'app=web']), [0, '', 'No resources found in default namespace.\n'], "events carry no labels of their pods'");
    t.match(e.ok(['get', 'events', '-l', '!app', '-o', 'name']), /^event\/web\.\w+\n/m, 'every event has no app label');

    const table = e.ok(['get', 'pods', '--show-labels']).split('\n');
    t.match(table[0], /^NAME +READY +STATUS +RESTARTS +AGE +LABELS$/, 'LABELS last');
    t.match(table[1], new RegExp(`^${depPod} +1/1 +Running +0 +${AGE} +app=dep,pod-template-hash=[a-z0-9]+$`));
    t.match(table[2], new RegExp(`^multi +2/2 +Running +0 +${AGE} +<none>$`), '<none> without labels');
    t.match(table[3], new RegExp(`^web +1/1 +Running +0 +${AGE} +app=web,tier=fe$`), 'k=v, keys sorted');
    const wide = e.ok(['get', 'pods', '-l', 'app=web', '-o', 'wide', '--show-labels']).split('\n');
    t.match(wide[0], /^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES +LABELS$/, 'after the wide columns');
    const all = e.ok(['get', 'pods', '-A', '-l', 'app=web', '--show-labels']).split('\n');
    t.match(all[0], /^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE +LABELS$/);
    t.match(all[1], /^default +web +/);
    const deploys = e.ok(['get', 'deploy', '--show-labels', '-l', 'app']).split('\n');
    t.match(deploys[0], /^NAME +READY +UP-TO-DATE +AVAILABLE +AGE +LABELS$/);
    t.match(deploys[1], new RegExp(`^dep +1/1 +1 +1 +${AGE} +app=dep$`));
  });

  t.test('get configmaps, secrets, nodes', async (t) => {
    const cm = e.ok(['get', 'configmaps']).split('\n');
    t.match(cm[0], /^NAME +DATA +AGE$/);
    t.match(cm[1], new RegExp(`^cfg +3 +${AGE}$`), 'data and binaryData keys');
    t.equal(e.ok(['get', 'cm', '-l', 'tier=fe', '-o', 'name']), 'configmap/cfg\n');
    t.match(e.ok(['get', 'cm', '--show-labels']), new RegExp(`^NAME +DATA +AGE +LABELS\ncfg +3 +${AGE} +app=web,tier=fe\n$`));
    const sec = e.ok(['get', 'secrets']).split('\n');
    t.match(sec[0], /^NAME +TYPE +DATA +AGE$/);
    t.match(sec[1], new RegExp(`^sec +Opaque +1 +${AGE}$`), 'Opaque by default; stringData counts');
    t.match(sec[2], new RegExp(`^tls +kubernetes\\.io/tls +2 +${AGE}$`));
    t.equal(e.ok(['get', 'secret', 'tls', '-o', 'jsonpath={.type}']), 'kubernetes.io/tls');
    const secA = e.ok(['get', 'secrets', '-A']).split('\n');
    t.match(secA[0], /^NAMESPACE +NAME +TYPE +DATA +AGE$/);
    t.same(r(['get', 'cm', 'nope']), [1, '', 'Error from server (NotFound): configmaps "nope" not found\n']);

    const nodes = e.ok(['get', 'nodes', '--show-labels']).split('\n');
    t.match(nodes[0], /^NAME +STATUS +ROLES +AGE +VERSION +LABELS$/);
    t.match(nodes[1], /^\S+ +Ready +<none> +\S+ +v\S+ +beta\.kubernetes\.io\/arch=\S+,beta\.kubernetes\.io\/os=linux,kubernetes\.io\/arch=\S+,kubernetes\.io\/hostname=\S+,kubernetes\.io\/os=linux$/);
    t.equal(e.ok(['get', 'nodes', '-l', 'kubernetes.io/os=linux', '-o', 'name']).split('\n').length, 2, 'one node matches');
    t.same(r(['get', 'nodes', '-l', 'kubernetes.io/os=plan9']), [0, '', 'No resources found\n'], 'cluster-scoped: no namespace in the message');
  });

  t.test('get -w from nothing: the message, then the header with the first object', async (t) => {
    const watch = e.start(['get', 'configmaps', '-l', 'watched=yes', '-w']);
    for (let i = 0; i < 100 && !watch.output().includes('No resources'); i++) await new Promise((res) => setTimeout(res, 100));
    e.ok(['apply', '-f', e.file('watched.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n  labels: {watched: "yes"}\ndata: {a: "1"}\n')]);
    for (let i = 0; i < 100 && !watch.output().includes('watched '); i++) await new Promise((res) => setTimeout(res, 100));
    await watch.stop();
    t.match(watch.output(), new RegExp(`^No resources found in default namespace\\.\nNAME +DATA +AGE\nwatched +1 +${AGE}\n$`), 'kubectl keeps watching after "No resources found"');
    e.ok(['delete', 'cm', 'watched']);
  });

  t.test('get all', async (t) => {
    const out = e.ok(['get', 'all']);
    const blocks = out.split('\n\n');
    t.equal(blocks.length, 3, 'pods, deployments, replicasets: one table each, a blank line between');
    t.match(blocks[0], new RegExp(`^NAME +READY +STATUS +RESTARTS +AGE\npod/${depPod} +1/1 +Running +0 +${AGE}\npod/multi +2/2 +Running +0 +${AGE}\npod/web +1/1 +Running +0 +${AGE}$`));
    t.match(blocks[1], new RegExp(`^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\ndeployment\\.apps/dep +1/1 +1 +1 +${AGE}$`));
    t.match(blocks[2], new RegExp(`^NAME +DESIRED +CURRENT +READY +AGE\nreplicaset\\.apps/${rsName} +1 +1 +1 +${AGE}\n$`));
    t.notMatch(out, /configmap|secret/, 'configmaps and secrets are not in the all category');
    t.equal(e.ok(['get', 'all', '-o', 'name']), `pod/${depPod}\npod/multi\npod/web\ndeployment.apps/dep\nreplicaset.apps/${rsName}\n`);
    t.equal(e.ok(['get', 'all', '-l', 'app=dep', '-o', 'name']), `pod/${depPod}\ndeployment.apps/dep\nreplicaset.apps/${rsName}\n`);
    const list = JSON.parse(e.ok(['get', 'all', '-o', 'json'])) as { kind: string; items: { kind: string }[] };
    t.equal(list.kind, 'List');
    t.same(list.items.map((i) => i.kind), ['Pod', 'Pod', 'Pod', 'Deployment', 'ReplicaSet']);
    t.match(e.ok(['get', 'all', '-o', 'yaml']), /^apiVersion: v1\nitems:\n- apiVersion: v1\n {2}kind: Pod\n/);
    const wide = e.ok(['get', 'all', '-A']).split('\n');
    t.match(wide[0], /^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$/);
    t.match(wide[1], new RegExp(`^default +pod/${depPod} +`));
    const labelled = e.ok(['get', 'all', '--show-labels', '-l', 'app=web']);
    t.match(labelled, new RegExp(`^NAME +READY +STATUS +RESTARTS +AGE +LABELS\npod/web +1/1 +Running +0 +${AGE} +app=web,tier=fe\n$`), 'kinds with nothing selected print nothing');
    t.same(r(['get', 'all', '-n', 'empty']), [0, '', 'No resources found in empty namespace.\n']);
  });

  t.test('wait -l', async (t) => {
    t.same(r(['wait', '--for=condition=Ready', 'pod', '-l', 'app in (web,dep)', '--timeout=30s']), [0, `pod/${depPod} condition met\npod/web condition met\n`, '']);
    t.same(r(['wait', '--for=condition=available', 'deploy', '-l', 'app=dep']), [0, 'deployment.apps/dep condition met\n', '']);
    t.same(r(['wait', '--for=condition=Ready', 'pod', '-l', 'app=none']), [1, '', 'error: no matching resources found\n']);
    t.same(r(['wait', '--for=condition=Ready', 'pod', 'web', '-l', 'app=web']), [1, '', 'error: name cannot be provided when a selector is specified\n']);
  });

  t.test('logs -l, --tail, --prefix, --all-containers, --since', async (t) => {
    // The serve loop starts after line 15.
    const lines = (from: number, to: number, head = '') => Array.from({ length: to - from + 1 }, (_, k) => `${head}line ${from + k}\n`).join('');
    t.same(r(['logs', '-l', 'app=web']), [0, lines(6, 15), ''], "a selector's default tail: 10 lines");
    t.same(r(['logs', '-l', 'app=web', '--tail=2', '--prefix']), [0, lines(14, 15, '[pod/web/web] '), '']);
    t.same(r(['logs', '-l', 'app=web', '--tail=-1']), [0, `early\n${lines(1, 15)}`, ''], '--tail=-1: all');
    t.same(r(['logs', 'web', '--tail=1', '--prefix']), [0, '[pod/web/web] line 15\n', '']);
    t.same(r(['logs', '-l', 'app=none']), [0, '', 'No resources found in default namespace.\n']);
    t.same(r(['logs', 'web', '-l', 'app=web']), [1, '', 'error: only a selector (-l) or a POD name is allowed\n']);
    t.same(r(['logs', 'multi', '--all-containers']), [0, 'from-init\nfrom-a\nfrom-b\n', ''], 'init containers first, then containers');
    t.same(r(['logs', 'multi', '--all-containers', '--prefix']), [0, '[pod/multi/init] from-init\n[pod/multi/a] from-a\n[pod/multi/b] from-b\n', '']);
    t.same(r(['logs', 'multi', '--all-containers', '-c', 'a']), [1, '', 'error: --all-containers=true should not be specified with container name a\n']);
    t.same(r(['logs', 'multi', '-f', '--all-containers', '--max-log-requests=2']), [1, '', 'error: you are attempting to follow 3 log streams, but maximum allowed concurrency is 2, use --max-log-requests to increase the limit\n']);
    t.same(r(['logs', '-l', '!app', '--all-containers', '--prefix', '--tail=1']), [0, '[pod/multi/init] from-init\n[pod/multi/a] from-a\n[pod/multi/b] from-b\n', '']);
    const follow = e.start(['logs', '-f', '-l', '!app', '--all-containers', '--prefix']);
    for (let i = 0; i < 200 && follow.output().split('\n').length < 4; i++) await new Promise((res) => setTimeout(res, 50));
    await follow.stop();
    t.same(follow.output().split('\n').filter(Boolean).sort(), ['[pod/multi/a] from-a', '[pod/multi/b] from-b', '[pod/multi/init] from-init'], '-f: the streams side by side');

    // --since-time at the first numbered line (a second after "early") leaves "early" out.
    const stamped = e.ok(['logs', 'web', '--timestamps']).split('\n');
    const at = stamped[1]!.split(' ')[0]!;
    t.match(stamped[1], / line 1$/);
    t.same(r(['logs', 'web', `--since-time=${at}`]), [0, lines(1, 15), '']);
    t.same(r(['logs', 'web', '--since-time=2999-01-01T00:00:00Z']), [0, '', ''], 'nothing after a future time');
    t.same(r(['logs', 'web', '--since=1h']), [0, `early\n${lines(1, 15)}`, '']);
    t.same(r(['logs', 'web', '--since=1h', `--since-time=${at}`]), [1, '', 'error: at most one of `sinceTime` or `sinceSeconds` may be specified\n']);
    t.same(r(['logs', 'web', '--since=-1s']), [1, '', 'error: --since must be greater than 0\n']);
    t.same(r(['logs', 'web', '--since=5']), [1, '', 'error: invalid argument "5" for "--since" flag: time: missing unit in duration "5"\n']);
  });

  t.test('--dry-run on apply of what exists, scale and delete; delete -l', async (t) => {
    const webFile = e.file('web2.yaml', web('{app: web, tier: fe}'));
    t.same(r(['apply', '-f', webFile, '--dry-run=server']), [0, 'pod/web unchanged (server dry run)\n', '']);
    t.same(r(['apply', '-f', webFile, '--dry-run=client']), [0, 'pod/web configured (dry run)\n', ''], 'client: kubectl does not diff without the server');
    const relabelled = e.file('web3.yaml', web('{app: web, tier: be}'));
    t.same(r(['apply', '-f', relabelled, '--dry-run=server']), [0, 'pod/web configured (server dry run)\n', '']);
    t.match(e.ok(['apply', '-f', relabelled, '--dry-run=server', '-o', 'yaml']), /\n {4}tier: be\n/, 'the object as it would be');
    t.equal(e.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.labels.tier}']), 'fe', 'and nothing changed');
    const forbidden = e.run(['apply', '-f', e.file('web4.yaml', web('{app: web}').replace('sleep 1; i=1', 'sleep 2; i=1')), '--dry-run=server']);
    t.equal(forbidden.status, 1);
    t.match(forbidden.stderr, /^error: Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than/, "the server's refusal of a pod change");

    t.same(r(['scale', 'deploy/dep', '--replicas=3', '--dry-run=server']), [0, 'deployment.apps/dep scaled (server dry run)\n', '']);
    t.same(r(['scale', 'deploy', 'dep', '--replicas=3', '--dry-run=client', '-o', 'jsonpath={.spec.replicas}']), [0, '3', '']);
    t.equal(e.ok(['get', 'deploy', 'dep', '-o', 'jsonpath={.spec.replicas}']), '1', 'still one replica');
    t.same(r(['scale', 'deploy/nope', '--replicas=3', '--dry-run=client']), [1, '', 'Error from server (NotFound): deployments.apps "nope" not found\n']);

    t.same(r(['delete', 'pod', 'web', '--dry-run=server']), [0, 'pod "web" deleted (server dry run)\n', '']);
    t.same(r(['delete', 'cm', '-l', 'app=web', '--dry-run=client']), [0, 'configmap "cfg" deleted (dry run)\n', '']);
    t.same(r(['delete', 'pods', '-l', 'app=web', '--dry-run=client', '-o', 'name']), [0, 'pod/web\n', '']);
    t.same(r(['delete', 'pod', 'nope', '--dry-run=client']), [1, '', 'Error from server (NotFound): pods "nope" not found\n']);
    t.equal(e.ok(['get', 'pods', '-l', 'app=web', '-o', 'name']), 'pod/web\n', 'no dry run deleted anything');
    t.equal(e.ok(['get', 'cm', '-o', 'name']), 'configmap/cfg\n');

    t.same(r(['delete', 'pods', '-l', 'app=none']), [0, 'No resources found\n', ''], "kubectl's line when a selector matches nothing");
    t.same(r(['delete', 'cm', '-l', 'tier in (fe)']), [0, 'configmap "cfg" deleted\n', '']);
    t.same(r(['delete', 'secrets', '-l', '!app', '-o', 'name']), [0, 'secret/sec\nsecret/tls\n', '']);
    t.same(r(['delete', 'pods', '-l', 'app=web', '--grace-period=0', '--force']), [0, 'pod "web" force deleted\n', 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n']);
    t.same(r(['get', 'pods', '-l', 'app=web']), [0, '', 'No resources found in default namespace.\n']);
  });
});
