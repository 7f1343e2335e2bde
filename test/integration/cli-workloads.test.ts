// The workload verbs through bin/podrun with defaults only, as a kubectl user types them:
// apply a Deployment, get/describe it and its ReplicaSets, wait for it, scale, set image,
// rollout status/history/undo, logs and exec through deploy/NAME, get all, delete with
// --cascade; create job, wait for completion, get jobs; a StatefulSet's rollout status,
// restart, history and undo.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { cliEnv, missingCli, signalServes } from './cli-harness';
import { coveredByRootRun, IMAGE } from './harness';

const missing = missingCli() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const deployment = (version: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${IMAGE}
        command: ["/payload", "echo", "hello ${version}", "--then", "sleep", "3600"]
`;

t.test('deployments from the command line', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'deploy.yaml');
  fs.writeFileSync(file, deployment('v1'));
  let r = env.run(['apply', '-f', file]);
  t.equal(r.stdout, 'deployment.apps/web created\n', r.stderr);
  r = env.run(['wait', '--for=condition=available', 'deploy/web', '--timeout=60s']);
  t.equal(r.stdout, 'deployment.apps/web condition met\n', r.stderr);
  r = env.run(['rollout', 'status', 'deployment/web']);
  t.match(r.stdout, /deployment "web" successfully rolled out\n$/);

  r = env.run(['get', 'deploy']);
  t.match(r.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/, r.stdout);
  r = env.run(['get', 'rs', '-o', 'wide']);
  t.match(r.stdout, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nweb-\S+\s+2\s+2\s+2\s+\d+s\s+web\s+busybox:test\s+app=web,pod-template-hash=\S+\n$/, r.stdout);
  r = env.run(['get', 'all']);
  t.match(r.stdout, /pod\/web-\S+\s+1\/1\s+Running/);
  t.match(r.stdout, /\n\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+2\/2/);
  t.match(r.stdout, /replicaset\.apps\/web-\S+\s+2\s+2\s+2/);
  r = env.run(['get', 'pods', '-l', 'app=web', '-o', 'name']);
  t.equal(r.stdout.trim().split('\n').length, 2, 'get -l');
  r = env.run(['describe', 'deployment', 'web']);
  t.match(r.stdout, /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
  t.match(r.stdout, /StrategyType:\s+RollingUpdate/);
  t.match(r.stdout, /RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
  t.match(r.stdout, /Available\s+True\s+MinimumReplicasAvailable/);
  t.match(r.stdout, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\S+ from 0 to 2/);

  r = env.run(['logs', 'deploy/web']);
  t.equal(r.stdout, 'hello v1\n');
  t.match(r.stderr, /^Found 2 pods, using pod\/web-\S+\n$/);
  r = env.run(['exec', 'deploy/web', '--', '/bin/hostname']);
  t.match(r.stdout, /^web-\S+\n$/);

  r = env.run(['scale', 'deploy/web', '--replicas=3']);
  t.equal(r.stdout, 'deployment.apps/web scaled\n');
  r = env.run(['wait', '--for=jsonpath={.status.availableReplicas}=3', 'deployment/web', '--timeout=60s']);
  t.equal(r.status, 0, r.stderr);

  fs.writeFileSync(file, deployment('v2'));
  r = env.run(['apply', '-f', file]);
  t.equal(r.stdout, 'deployment.apps/web configured\n');
  r = env.run(['rollout', 'status', 'deploy/web', '--timeout=60s']);
  t.match(r.stdout, /successfully rolled out/);
  r = env.run(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']);
  t.equal(r.stdout, '2', 'apply sets replicas back to what the file says');
  r = env.run(['logs', 'deploy/web']);
  t.equal(r.stdout, 'hello v2\n', 'the new template runs');
  r = env.run(['rollout', 'history', 'deploy/web']);
  t.match(r.stdout, /^deployment\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
  r = env.run(['rollout', 'undo', 'deploy/web']);
  t.equal(r.stdout, 'deployment.apps/web rolled back\n');
  env.run(['rollout', 'status', 'deploy/web', '--timeout=60s']);
  r = env.run(['logs', 'deploy/web']);
  t.equal(r.stdout, 'hello v1\n', 'undo brings v1 back');
  r = env.run(['set', 'image', 'deployment/web', 'web=busybox:none']);
  t.equal(r.stdout, 'deployment.apps/web image updated\n', r.stderr);
  r = env.run(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  t.equal(r.stdout, 'busybox:none');

  // A controller's events outlive its engine: serve SIGKILLed, the next one reads them again.
  signalServes(env.root, 'SIGKILL');
  r = env.run(['describe', 'deployment', 'web']);
  t.match(r.stdout, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\S+ from 0 to 2/, "the Deployment's events after serve was killed");

  r = env.run(['delete', 'deployment', 'web', '--cascade=orphan']);
  t.equal(r.stdout, 'deployment.apps "web" deleted\n', r.stderr);
  r = env.run(['get', 'rs', '-o', 'name']);
  t.ok(r.stdout.trim().split('\n').length >= 1, 'orphaned ReplicaSets stay');
  r = env.run(['delete', 'rs', '--all']);
  t.match(r.stdout, /replicaset\.apps "web-\S+" deleted/);
  r = env.run(['get', 'deploy']);
  t.equal(r.stderr, 'No resources found in default namespace.\n');
  r = env.run(['rollout', 'status', 'rs/web']);
  t.equal(r.status, 1);
  t.match(r.stderr, /no status viewer has been implemented for ReplicaSet\.apps/, 'rollout status of a kind without one');
  r = env.run(['rollout', 'pause', 'ds/web']);
  t.equal(r.status, 1);
  t.match(r.stderr, /daemonsets\.apps "web" pausing is not supported/, 'pause of a DaemonSet, as kubectl refuses it');
  r = env.run(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment']);
  t.equal(r.stderr, 'No resources found in default namespace.\n', "the Deployment's events went with it");
});

t.test('jobs from the command line', async (t) => {
  const env = await cliEnv(t);
  let r = env.run(['create', 'job', 'once', `--image=${IMAGE}`, '--', '/bin/sh', '-c', 'echo done']);
  t.equal(r.stdout, 'job.batch/once created\n', r.stderr);
  r = env.run(['wait', '--for=condition=complete', 'job/once', '--timeout=60s']);
  t.equal(r.stdout, 'job.batch/once condition met\n', r.stderr);
  r = env.run(['get', 'jobs']);
  t.match(r.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nonce\s+Complete\s+1\/1\s+\d+s\s+\d+s\n$/, r.stdout);
  r = env.run(['logs', 'job/once']);
  t.equal(r.stdout, 'done\n');
  r = env.run(['describe', 'job', 'once']);
  t.match(r.stdout, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  r = env.run(['create', 'cronjob', 'tick', `--image=${IMAGE}`, '--schedule=*/5 * * * *', '--', '/bin/true']);
  t.equal(r.stdout, 'cronjob.batch/tick created\n', r.stderr);
  r = env.run(['create', 'job', 'manual', '--from=cronjob/tick']);
  t.equal(r.stdout, 'job.batch/manual created\n', r.stderr);
  r = env.run(['get', 'cj']);
  t.match(r.stdout, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ntick\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n$/, r.stdout);
  r = env.run(['apply', '-f', '-'], 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n');
  t.equal(r.status, 1);
  t.equal(r.stderr, 'error: Job "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"\n');
});

t.test('a StatefulSet rolled out from the command line: status, restart, history, undo', async (t) => {
  const env = await cliEnv(t);
  const file = path.join(env.dir, 'sts.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: dbs
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: ${IMAGE}
        command: ["/payload", "sleep", "3600"]
`,
  );
  let r = env.run(['apply', '-f', file]);
  t.equal(r.stdout, 'statefulset.apps/db created\n', r.stderr);
  r = env.run(['rollout', 'status', 'sts/db', '--timeout=60s']);
  t.match(r.stdout, /partitioned roll out complete: 2 new pods have been updated\.\.\.\n$/, r.stderr);
  r = env.run(['rollout', 'restart', 'statefulset/db']);
  t.equal(r.stdout, 'statefulset.apps/db restarted\n', r.stderr);
  r = env.run(['rollout', 'status', 'sts/db', '--timeout=60s']);
  t.equal(r.status, 0, r.stderr);
  r = env.run(['rollout', 'history', 'sts/db']);
  t.match(r.stdout, /^statefulset\.apps\/db \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/, r.stderr);
  r = env.run(['rollout', 'undo', 'sts/db']);
  t.equal(r.stdout, 'statefulset.apps/db rolled back\n', r.stderr);
  r = env.run(['rollout', 'status', 'sts/db', '--timeout=60s']);
  t.equal(r.status, 0, r.stderr);
  r = env.run(['get', 'sts', 'db', '-o', "jsonpath={.spec.template.metadata.annotations}"]);
  t.notMatch(r.stdout, /restartedAt/, 'the template before the restart');
});
