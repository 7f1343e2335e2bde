import t from 'tap';
import { KUBECTL_DESCRIBE, PODMAN_TABLE, renderTable, tabwrite } from '../../src/cli/table';

t.test('kubectl get layout: padding 3, minimum width 6, last column unpadded', async (t) => {
  const out = renderTable([
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['nginx', '1/1', 'Running', '0', '10s'],
  ]);
  t.equal(out, 'NAME    READY   STATUS    RESTARTS   AGE\nnginx   1/1     Running   0          10s\n');
  t.equal(renderTable([['A', 'B'], ['x', 'y']]), 'A     B\nx     y\n', 'short columns get the minimum width');
});

t.test('podman layout: padding 2, minimum width 12', async (t) => {
  t.equal(renderTable([['TAG', 'X'], ['latest', 'y']], PODMAN_TABLE), 'TAG         X\nlatest      y\n');
});

t.test("blocks: a line without a tab ends the column, as in Go's tabwriter", async (t) => {
  const text = 'Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nContainers:\nStatus:\tRunning\n';
  t.equal(
    tabwrite(text, KUBECTL_DESCRIBE),
    'Name:       web\nNamespace:  default\nIPs:\n  IP:  10.0.0.1\nContainers:\nStatus:  Running\n',
  );
  // Consecutive lines with tabs share a block, however different their indentation.
  t.equal(tabwrite('  IP:\tx\nStatus:\ty\n', KUBECTL_DESCRIBE), '  IP:    x\nStatus:  y\n');
});

t.test('nested columns are sized within their block', async (t) => {
  const text = 'a\tb\tc\nlonger\tb\nx\ty\tzz\tw\n';
  t.equal(tabwrite(text, { minWidth: 0, padding: 1 }), 'a      b c\nlonger b\nx      y zz w\n');
});

t.test('width counts code points; no trailing newline is kept as is', async (t) => {
  t.equal(tabwrite('é\tx\nab\ty', { minWidth: 0, padding: 1 }), 'é  x\nab y');
});
