// The Node API as a user meets it: a TypeScript program of their own that imports the package
// by name (its `exports` map, ESM and CommonJS), compiled by tsc against the published .d.ts
// with their library checks on, run by node with no podrun knobs but where its state goes.
// `await using` disposes the container and the client; the process must then exit by itself.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Podrun } from '../../src/podrun';
import { buildBusyboxRootfs, REPO, tempDir } from '../integration/harness';
import { missingE2e } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const IMAGE = 'busybox:e2e';
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** A user's project: package.json, tsconfig.json, node_modules/podrun (this checkout) and their files. */
function project(dir: string, files: Record<string, string>, type: 'module' | 'commonjs'): string {
  const p = path.join(dir, `project-${type}`);
  fs.mkdirSync(path.join(p, 'node_modules'), { recursive: true });
  fs.symlinkSync(REPO, path.join(p, 'node_modules', 'podrun'));
  fs.writeFileSync(path.join(p, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type }));
  fs.writeFileSync(
    path.join(p, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2022', 'esnext.disposable'],
        strict: true,
        // The package's declarations are checked too: they must hold under a user's strict settings.
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(REPO, 'node_modules', '@types')],
        outDir: 'out',
      },
    }),
  );
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(p, name), text);
  return p;
}

/** The environment of a user's shell, with podrun's state where this test keeps it. */
function userEnv(root: string, dataRoot: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PODRUN_') && k !== 'PODRUN_NETWORK_NAMESPACE_PID') delete env[k];
  return { ...env, PODRUN_ROOT: root, PODRUN_DATA_ROOT: dataRoot };
}

const SCRIPT = `import { Podrun, Wait } from 'podrun';

{
  await using podrun = new Podrun();
  await using web = await podrun.run('${IMAGE}', {
    command: ['httpd', '-f', '-vv', '-p', '8080', '-h', '/'],
    ports: [8080],
    waitFor: Wait.forHttp('/only-in-image', 8080),
  });
  const res = await fetch(\`http://\${web.host}:\${web.mappedPort(8080)}/only-in-image\`);
  console.log('fetched', res.status, (await res.text()).trim());

  // httpd -vv logs each request's url: follow the log until that line, then abort the follow.
  const ac = new AbortController();
  for await (const line of web.logs({ follow: true, signal: ac.signal })) {
    if (line.endsWith('url:/only-in-image')) {
      console.log('log request logged');
      ac.abort();
    }
  }
  const r = await web.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  console.log('exec', r.exitCode, r.stdout.trim(), r.stderr.trim());
  console.log('pod', web.name);
}
console.log('END', Date.now());
`;

t.test('await using, run with Wait.forHttp, mappedPort, an aborted log follow, and the process exits by itself', async (t) => {
  const dir = tempDir(t, 'podrun-e2e-');
  const root = path.join(dir, 'state');
  const dataRoot = path.join(dir, 'data');
  await new Podrun({ root, dataRoot }).images.importImage(buildBusyboxRootfs(dir), IMAGE);
  const p = project(dir, { 'main.mts': SCRIPT }, 'module');
  const tsc = spawnSync(process.execPath, [TSC, '-p', p], { encoding: 'utf8' });
  t.equal(tsc.status, 0, `tsc compiles the user's program against the published types: ${tsc.stdout}${tsc.stderr}`);
  if (tsc.status !== 0) return;

  const child = spawn(process.execPath, [path.join(p, 'out', 'main.mjs')], { env: userEnv(root, dataRoot), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  // A safety net, not the measure: a process held open by a leaked handle would hang the test.
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  const exitedAt = Date.now();
  clearTimeout(killer);
  t.equal(signal, null, `exited by itself: ${err}`);
  t.equal(code, 0, `exit code 0: ${err}`);
  t.match(out, /^fetched 200 from the image$/m, 'the server answered through mappedPort');
  t.match(out, /^log request logged$/m, 'the followed log had the request, and the follow ended when aborted');
  t.match(out, /^exec 3 out err$/m, "exec: exit code, stdout and stderr apart");
  const end = Number(/^END (\d+)$/m.exec(out)?.[1]);
  const linger = exitedAt - end;
  t.comment(`the process exited ${linger} ms after the script's last line`);
  // Loose, against a machine loaded by other test files (process exit itself can take a second
  // there): a handle left behind (a watch, a socket, the engine's timers of seconds) holds the
  // process far longer, or for ever (the safety net above then fails the exit checks).
  t.ok(linger >= 0 && linger < 5000, `exit follows the end of the script (${linger} ms)`);
  const pod = /^pod (\S+)$/m.exec(out)?.[1];
  t.ok(pod, 'the pod was named');
  // The state root outlives the script: nothing of the pod is left in it.
  t.same(fs.existsSync(path.join(root, 'pods')) ? fs.readdirSync(path.join(root, 'pods')) : [], [], 'stop() left no pod folder');
});

t.test('the CommonJS entry and the ESM entry are one package: same classes', async (t) => {
  const dir = tempDir(t, 'podrun-e2e-');
  const cjs = project(dir, { 'main.cts': `import { Podrun, PodrunError, Wait } from 'podrun';\nconsole.log(typeof Podrun, typeof Wait.forHttp, new PodrunError('Invalid', 'x') instanceof Error);\n` }, 'commonjs');
  const tsc = spawnSync(process.execPath, [TSC, '-p', cjs], { encoding: 'utf8' });
  t.equal(tsc.status, 0, `tsc compiles a CommonJS user: ${tsc.stdout}${tsc.stderr}`);
  const r = spawnSync(process.execPath, [path.join(cjs, 'out', 'main.cjs')], { encoding: 'utf8' });
  t.equal(r.stdout, 'function function true\n', `require('podrun') works: ${r.stderr}`);
  const both = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "import { PodrunError } from 'podrun'; import { createRequire } from 'node:module'; const req = createRequire(process.cwd() + '/x.js'); console.log(PodrunError === req('podrun').PodrunError);"],
    { encoding: 'utf8', cwd: cjs },
  );
  t.equal(both.stdout, 'true\n', `import and require give the same class: ${both.stderr}`);
});
