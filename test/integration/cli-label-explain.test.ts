// label, annotate, explain, completion and the errors that teach, through bin/podrun with
// defaults only (the e2e harness's front door: no engine options, no PODRUN_* knobs), on one
// root: kubectl's messages for each case, a relabelled ReplicaSet pod orphaned and replaced
// as on a cluster, explain's layout, the bash completion script sourced in bash, and the
// "Did you mean this?" suggestions.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { CLI } from './cli-harness';
import { e2e, IMAGE, missingE2e, SERVE, sleep } from '../e2e/e2e-harness';
import { coveredByRootRun } from './harness';

const missing = missingE2e() ?? coveredByRootRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
`;

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data: {a: b}
`;

const replicaSet = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
spec:
  replicas: 1
  selector:
    matchLabels: {app: rs}
  template:
    metadata:
      labels: {app: rs}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: rs
        image: ${IMAGE}
        command: ${JSON.stringify(SERVE)}
`;

t.test('label, annotate, explain, completion and suggestions', async (t) => {
  const e = await e2e(t);
  t.equal(e.ok(['apply', '-f', e.file('objects.yaml', `${pod}---\n${configMap}`)]), 'configmap/cfg created\npod/web created\n');

  t.test('label', async (t) => {
    const r = (args: string[]) => {
      const x = e.run(['label', ...args]);
      return [x.status, x.stdout, x.stderr];
    };
    t.same(r(['pod', 'web', 'tier=front']), [0, 'pod/web labeled\n', '']);
    t.same(r(['pods', 'web', 'tier=front']), [0, 'pod/web not labeled\n', ''], 'the same value: nothing to change');
    t.equal(e.ok(['get', 'pods', '-l', 'tier=front', '-o', 'name']), 'pod/web\n', 'the new label is what selectors see');
    t.same(r(['pod/web', 'app=x']), [1, '', "error: 'app' already has a value (web), and --overwrite is false\n"]);
    t.same(r(['pod/web', 'app=x', '--overwrite']), [0, 'pod/web labeled\n', '']);
    t.same(r(['pod', 'web', 'tier-', 'nope-']), [0, 'label "nope" not found.\npod/web unlabeled\n', '']);
    t.same(r(['pod', 'web', 'tier=a', 'app-']), [0, 'pod/web label(s) changed\n', '']);
    t.same(r(['pod', 'web', 'app=x', '--list']), [0, 'app=x\ntier=a\n', ''], '--list shows the change without making it');
    t.equal(e.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.labels}']), '{"tier":"a"}');
    t.same(r(['pods', '--all', 'env=test']), [0, 'pod/web labeled\n', '']);
    const bad = e.run(['label', 'pod', 'web', 'app=bad value']);
    t.equal(bad.status, 1);
    t.equal(
      bad.stderr,
      `error: invalid label value: "app=bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n`,
    );
    const badKey = e.run(['label', 'pod', 'web', 'bad key=1']);
    t.match(badKey.stderr, /^error: Pod "web" is invalid: metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/, 'the API server rejects the key');
    const badCm = e.run(['label', 'cm', 'cfg', 'bad key=1']);
    t.match(badCm.stderr, /^error: ConfigMap "cfg" is invalid: metadata\.labels: Invalid value: "bad key"/, 'for any kind');
    t.same(r(['pod', 'web']), [1, '', 'error: at least one label update is required\n']);
    t.same(r(['a=b']), [1, '', 'error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n']);
    t.same(r(['pods', 'a=b', 'web']), [1, '', 'error: all resources must be specified before label changes: web\n']);
    t.same(r(['pods', '--all', '-l', 'app=web', 'a=b']), [1, '', 'error: cannot set --all and --selector at the same time\n']);
    t.same(r(['pods', 'x=1']), [1, '', 'error: resource(s) were provided, but no name was specified\n']);
    t.same(r(['pod', 'nope', 'a=b']), [1, '', 'Error from server (NotFound): pods "nope" not found\n']);
    t.same(r(['pod', 'web', 'a=b', '--resource-version=1']), [1, '', 'Error from server (Conflict): Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again\n']);
    const rv = e.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.resourceVersion}']);
    t.same(r(['pod', 'web', 'a=b', `--resource-version=${rv}`]), [0, 'pod/web labeled\n', ''], 'the current resourceVersion passes');
    t.same(r(['pod', 'web', 'dry=1', '--dry-run=client']), [0, 'pod/web labeled (dry run)\n', '']);
    t.same(r(['pod', 'web', 'dry=1', '--dry-run=server']), [0, 'pod/web labeled (server dry run)\n', '']);
    t.match(e.ok(['label', 'pod', 'web', 'dry=1', '--dry-run=client', '-o', 'yaml']), /^apiVersion: v1\nkind: Pod\nmetadata:\n[\s\S]*\n    dry: "1"\n/, '-o yaml prints the object as it would be');
    t.match(e.run(['label', 'pod', 'web', 'bad key=1', '--dry-run=server']).stderr, /^error: Pod "web" is invalid: metadata\.labels: Invalid value: "bad key"/, 'a server dry run is judged as the write would be');
    t.equal(e.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.labels.dry}']), '', 'a dry run keeps nothing');
    t.same(r(['cm', 'cfg', 'app=cfg']), [0, 'configmap/cfg labeled\n', '']);
    t.same(r(['frobs', 'x', 'a=b']), [1, '', 'error: the server doesn\'t have a resource type "frobs"\n']);
  });

  t.test('annotate', async (t) => {
    const r = (args: string[]) => {
      const x = e.run(['annotate', ...args]);
      return [x.status, x.stdout, x.stderr];
    };
    t.same(r(['pod', 'web', 'note=hello world']), [0, 'pod/web annotated\n', '']);
    t.same(r(['pod', 'web', 'note=hello world']), [0, 'pod/web annotated\n', ''], 'annotate says annotated, changed or not');
    t.same(r(['pod', 'web', 'note=x']), [1, '', "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello world)\n"]);
    t.same(r(['pod/web', 'note=x', '--overwrite']), [0, 'pod/web annotated\n', '']);
    t.equal(e.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.annotations.note}']), 'x');
    t.same(r(['pod', 'web', 'note-']), [0, 'pod/web annotated\n', '']);
    t.same(r(['configmap', 'cfg', 'a=b=c']), [0, 'configmap/cfg annotated\n', '']);
    t.same(r(['cm', 'cfg', '--list']), [0, 'a=b=c\n', '']);
    t.same(r(['pod', 'web', '=x']), [1, '', 'error: at least one annotation update is required\n']);
    t.same(r(['pod', 'web', 'dry=1', '--dry-run']), [0, 'pod/web annotated (dry run)\n', 'Warning: --dry-run is deprecated and can be replaced with --dry-run=client.\n']);
  });

  t.test('relabelling a pod of a ReplicaSet orphans it, and the ReplicaSet makes another', async (t) => {
    t.equal(e.ok(['apply', '-f', e.file('rs.yaml', replicaSet)]), 'replicaset.apps/rs created\n');
    e.ok(['wait', 'rs/rs', '--for=jsonpath={.status.replicas}=1', '--timeout=60s']);
    const first = e.ok(['get', 'pods', '-l', 'app=rs', '-o', 'name']).trim();
    t.match(first, /^pod\/rs-\w{5}$/);
    const name = first.slice('pod/'.length);
    t.equal(e.ok(['label', first, 'app=gone', '--overwrite']), `${first} labeled\n`);
    // The ReplicaSet lets the pod go and makes another: the selector then finds a new name.
    // (A watch started beside the label may list nothing and end, as get -w does today.)
    let now = first;
    for (let i = 0; i < 300 && (now === first || now === ''); i++) {
      now = e.ok(['get', 'pods', '-l', 'app=rs', '-o', 'name']).trim();
      if (now === first || now === '') await sleep(100);
    }
    t.match(now, /^pod\/rs-\w{5}$/, 'one pod matches the selector again');
    t.not(now, first, `a new pod replaces ${name}`);
    const orphan = e.pod(name);
    t.equal(orphan?.metadata?.ownerReferences, undefined, 'the relabelled pod has no owner (no ownerReferences field, as the API server omits an empty one)');
    t.equal(e.ok(['get', 'pod', name, '-o', 'jsonpath={.metadata.labels.app}']), 'gone');
    t.equal(e.ok(['label', 'rs', 'rs', 'tier=x']), 'replicaset.apps/rs labeled\n', 'a ReplicaSet itself, named with its group');
  });

  t.test('explain', async (t) => {
    let out = e.ok(['explain', 'pods']);
    t.match(out, /^KIND: {7}Pod\nVERSION: {4}v1\n\nDESCRIPTION:\n {4}Pod is a collection of containers that can run on a host\. This resource is\n {4}created by clients and scheduled onto hosts\.\n {4}\nFIELDS:\n  apiVersion\t<string>\n/);
    t.match(out, /\n  metadata\t<ObjectMeta>\n {4}Standard object's metadata\./);
    out = e.ok(['explain', 'deploy.spec.replicas']);
    t.match(out, /^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n\nFIELD: replicas <integer>\n\n\nDESCRIPTION:\n {4}Number of desired pods\./);
    out = e.ok(['explain', 'pod.spec.containers']);
    t.match(out, /FIELD: containers <\[\]Container>/);
    t.match(out, /\n  name\t<string> -required-\n/);
    out = e.ok(['explain', 'cronjob.spec', '--recursive']);
    t.match(out, /\n  jobTemplate\t<JobTemplateSpec> -required-\n    metadata\t<ObjectMeta>\n/);
    t.match(e.ok(['explain', 'podpresets']), /^GROUP: {6}settings\.k8s\.io\nKIND: {7}PodPreset\nVERSION: {4}v1alpha1\n/);
    t.match(e.ok(['explain', 'cm', '--api-version=v1']), /^KIND: {7}ConfigMap\n/);
    const fail = (args: string[]) => {
      const x = e.run(['explain', ...args]);
      return [x.status, x.stdout, x.stderr];
    };
    t.same(fail(['pod.spec.nope']), [1, '', 'error: field "nope" does not exist\n']);
    t.same(fail(['frobs']), [1, '', 'error: the server doesn\'t have a resource type "frobs"\n']);
    t.same(fail(['deploy', '--api-version=apps/v2']), [1, '', 'error: no matches for kind "Deployment" in version "apps/v2"\n']);
  });

  t.test('completion: the bash script, sourced in bash, completes commands and names', async (t) => {
    t.match(e.ok(['completion', 'zsh']), /^#compdef podrun\n/);
    t.same([e.run(['completion', 'fish']).stderr], ['error: Unsupported shell type "fish".\n']);
    const script = e.file('podrun.bash', e.ok(['completion', 'bash']));
    // A user's shell: podrun on the line is this checkout's, with the test's roots.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PODRUN_') || k === 'PODRUN_NETWORK_NAMESPACE_PID'));
    const complete = (...words: string[]) => {
      const bash = [
        `podrun() { "${process.execPath}" "${CLI}" --root "${e.root}" --data-root "${e.dir}/data" "$@"; }`,
        `source "${script}"`,
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`,
        '__podrun_complete',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      const r = spawnSync('bash', ['-c', bash], { encoding: 'utf8', env, timeout: 60_000 });
      t.equal(r.stderr, '', `bash: ${words.join(' ')}`);
      return r.stdout.split('\n').filter(Boolean);
    };
    t.same(complete('podrun', 'ge'), ['get'], 'podrun ge<TAB>');
    t.ok(complete('podrun', 'get', 'pods', '').includes('web'), 'podrun get pods <TAB> offers the pod');
    t.same(complete('podrun', 'logs', 'we'), ['web']);
    t.same(complete('podrun', 'get', 'po/w'), ['po/web']);
    t.same(complete('podrun', 'get', 'cm', ''), ['cfg']);
    t.same(complete('podrun', 'get', 'pods', '--sel'), ['--selector']);
    t.same(complete('podrun', 'get', '-o', 'ya'), ['yaml']);
    t.ok(complete('podrun', 'explain', 'dep').includes('deployments'));
    t.same(complete('podrun', 'image', 'l'), ['ls']);
  });

  t.test('errors that teach', async (t) => {
    const err = (args: string[]) => {
      const x = e.run(args);
      return [x.status, x.stderr];
    };
    t.same(err(['gte', 'pods']), [1, 'error: unknown command "gte" for "podrun"\n\nDid you mean this?\n\tget\n']);
    t.same(err(['lable', 'pod', 'web', 'a=b']), [1, 'error: unknown command "lable" for "podrun"\n\nDid you mean this?\n\tlabel\n']);
    t.same(err(['get', 'pods', '--selectr', 'app=web']), [1, 'error: unknown flag: --selectr\n\nDid you mean this?\n\t--selector\n']);
    t.same(err(['image', 'lst']), [1, 'error: unknown command "lst" for "podrun image"\n\nDid you mean this?\n\tls\n']);
    t.same(err(['frobnicate']), [1, 'error: unknown command "frobnicate" for "podrun"\n'], 'nothing near: no suggestion');
    t.same(err(['apply']), [1, 'error: must specify -f\n'], 'no -k that does not exist');
    t.notMatch(e.ok(['--help']), /__complete/, 'the hidden command stays hidden');
  });
});
