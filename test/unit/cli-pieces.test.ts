// Small pure parts of the CLI: error lines, pod naming, container choice, grace periods, TTY
// rules, podman's units.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { NotFoundError, PodrunError, SystemError, ValidationError } from '../../src/errors';
import { formatError, resourceOf } from '../../src/cli/report-error';
import { podNames, singlePod } from '../../src/cli/resources';
import { execContainer, logsContainer } from '../../src/cli/container-choice';
import { gracePeriod } from '../../src/cli/commands/delete';
import { decideTTY } from '../../src/cli/commands/exec';
import { argvFlag } from '../../src/cli/commands/image';
import { humanSize, unitsHumanDuration } from '../../src/cli/format-images';

t.test('error lines', async (t) => {
  t.equal(formatError(new ValidationError('spec.containers[1].image', 'Required value')), 'error: spec.containers[1].image: Required value\n');
  t.equal(formatError(new NotFoundError('pods', 'x')), 'Error from server (NotFound): pods "x" not found\n');
  t.equal(formatError(new NotFoundError('pod', 'x')), 'Error from server (NotFound): pods "x" not found\n', 'singular kinds become resources');
  t.equal(formatError(new NotFoundError('configmap', 'c')), 'Error from server (NotFound): configmaps "c" not found\n');
  t.equal(formatError(new NotFoundError('deployments', 'd')), 'Error from server (NotFound): deployments.apps "d" not found\n', 'with the group, as the API server says it');
  t.equal(formatError(new NotFoundError('cronjobs.batch', 'c')), 'Error from server (NotFound): cronjobs.batch "c" not found\n');
  t.equal(formatError(new NotFoundError('image', 'a:latest')), 'error: image "a:latest" not found\n', 'not a server object');
  t.equal(formatError(new PodrunError('Conflict', 'busy', 'stop the other serve')), 'error: busy\nstop the other serve\n');
  t.equal(formatError(new SystemError('open', 13, 'EACCES', '/x')), 'error: open `/x`: EACCES\n');
  t.equal(formatError(new Error('two\n  lines')), 'error: two lines\n', 'always one line');
  t.equal(formatError('thrown string'), 'error: thrown string\n');
  t.match(formatError(new Error('boom'), true), /^error: boom\nError: boom\n\s+at /);
  t.equal(resourceOf('ConfigMap'), 'configmaps');
  t.equal(resourceOf('StatefulSet'), 'statefulsets.apps');
});

t.test('naming pods', async (t) => {
  t.same(podNames(['pods']), []);
  t.same(podNames(['po', 'a', 'b']), ['a', 'b']);
  t.same(podNames(['pod/a', 'pods/b']), ['a', 'b']);
  t.throws(() => podNames([]), { message: 'you must specify the type of resource to get' });
  t.throws(() => podNames(['svc', 'a']), { message: 'the server doesn\'t have a resource type "svc"' });
  t.throws(() => podNames(['svc/a']), { message: 'the server doesn\'t have a resource type "svc"' });
  t.throws(() => podNames(['pod/a', 'b']), /no need to specify a resource type/);
  t.throws(() => podNames(['pod'], { verb: 'delete', nameRequired: true }), { message: 'resource(s) were provided, but no name was specified' });
  t.equal(singlePod(['web'], 'exec'), 'web');
  t.equal(singlePod(['pod/web'], 'exec'), 'web');
  t.equal(singlePod(['pod', 'web'], 'exec'), 'web');
  t.throws(() => singlePod(['a', 'b'], 'exec'), /exec takes one pod/);
});

t.test('which container', async (t) => {
  const pod = (containers: string[], init: string[] = [], annotation?: string): Pod => ({
    metadata: { name: 'p', annotations: annotation ? { 'kubectl.kubernetes.io/default-container': annotation } : undefined },
    spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
  });
  t.equal(logsContainer(pod(['a']), undefined), 'a');
  t.equal(logsContainer(pod(['a', 'b']), 'b'), 'b');
  t.equal(logsContainer(pod(['a'], ['i']), 'i'), 'i', 'init containers have logs too');
  t.throws(() => logsContainer(pod(['a', 'b']), undefined), { message: 'a container name must be specified for pod p, choose one of: [a b]' });
  t.throws(() => logsContainer(pod(['a']), 'z'), { message: 'container z is not valid for pod p' });
  t.same(execContainer(pod(['a']), undefined), { container: 'a' });
  t.same(execContainer(pod(['a', 'b'], ['i']), undefined), { container: 'a', note: 'Defaulted container "a" out of: a, b, i (init)' });
  t.same(execContainer(pod(['a', 'b'], [], 'b'), undefined), { container: 'b' });
});

t.test("kubectl's grace periods", async (t) => {
  t.equal(gracePeriod(undefined, false, false), -1, "the pod's own");
  t.equal(gracePeriod(5, false, false), 5);
  t.equal(gracePeriod(undefined, true, false), 1, '--now');
  t.equal(gracePeriod(0, false, false), 1, 'a bare 0 is 1 without --force');
  t.equal(gracePeriod(0, false, true), 0);
  t.equal(gracePeriod(undefined, false, true), 0, '--force alone kills at once');
  t.equal(gracePeriod(10, false, true), 10);
  t.throws(() => gracePeriod(3, true, false), /--now and --grace-period cannot be specified together/);
});

t.test('exec TTY rules', async (t) => {
  t.same(decideTTY(true, true, true), { tty: true });
  t.same(decideTTY(true, false, true), { tty: false }, '-t without -i');
  t.same(decideTTY(true, true, false), { tty: false, warning: 'Unable to use a TTY - input is not a terminal or the right kind of file' });
  t.same(decideTTY(false, true, true), { tty: false });
});

t.test('image flags and podman units', async (t) => {
  t.same(argvFlag('cmd', '["/bin/sh","-c","echo hi"]'), ['/bin/sh', '-c', 'echo hi']);
  t.same(argvFlag('cmd', '/bin/app --serve'), ['/bin/app --serve'], 'a plain string is one argument');
  t.throws(() => argvFlag('cmd', '[oops'), /is not a JSON array/);
  t.equal(humanSize(0), '0 B');
  t.equal(humanSize(999), '999 B');
  t.equal(humanSize(5_870_000), '5.87 MB');
  t.equal(humanSize(1_000_000), '1 MB');
  t.equal(humanSize(123_456_789_012), '123 GB');
  t.equal(unitsHumanDuration(500), 'Less than a second');
  t.equal(unitsHumanDuration(1000), '1 second');
  t.equal(unitsHumanDuration(45_000), '45 seconds');
  t.equal(unitsHumanDuration(90_000), 'About a minute');
  t.equal(unitsHumanDuration(30 * 60_000), '30 minutes');
  t.equal(unitsHumanDuration(80 * 60_000), 'About an hour');
  t.equal(unitsHumanDuration(5 * 3_600_000), '5 hours');
  t.equal(unitsHumanDuration(3 * 86_400_000), '3 days');
  t.equal(unitsHumanDuration(20 * 86_400_000), '2 weeks');
  t.equal(unitsHumanDuration(90 * 86_400_000), '3 months');
  t.equal(unitsHumanDuration(3 * 365 * 86_400_000), '3 years');
});
