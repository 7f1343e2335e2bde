#!/usr/bin/env python3
"""Build the images critest v1.26.1 pulls as OCI image-layout tar archives (oci-archive), offline.

    python3 test/critest/build-images.py            # build all archives into $CRITEST_IMAGES (/tmp/critest-images)
    python3 test/critest/build-images.py --verify   # also unpack each one and chroot-test it (root)

Everything is made from this machine: /bin/busybox (Debian busybox-static), two tiny static C
programs in src/ (nnp, pgrep/ipcs), and for the nginx images Debian's nginx 1.22 binary plus its
shared libraries (debs cached in $CRITEST_IMAGES/debs; `apt-get download nginx nginx-common` if
missing). The hostnet-nginx image takes its default.conf from cri-tools' source tree
($CRI_TOOLS_SRC, default /opt/cri-tools/src: critest's own checkout, never part of podrun).
Output is reproducible: fixed mtimes, uid/gid 0 unless stated, gzip mtime 0, sorted JSON.

Each archive holds one image; index.json's only descriptor carries the full reference in
`org.opencontainers.image.ref.name` (and `io.containerd.image.name`).  images.tsv lists
file, reference, the name to give `podrun image import` (digest ref -> tag sha256-<hex>),
image id and manifest digest.  run.sh imports them and runs critest.
See IMAGES.md for what each image must be.
"""
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'src')
HERE = os.environ.get('CRITEST_IMAGES', '/tmp/critest-images')
DEBS = os.path.join(HERE, 'debs')
CRI_SRC = os.environ.get('CRI_TOOLS_SRC', '/opt/cri-tools/src')
BUSYBOX = '/bin/busybox'
EPOCH = 1546300800  # 2019-01-01T00:00:00Z, every file's mtime and every image's "created"
CREATED = '2019-01-01T00:00:00Z'
PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

E2E = 'registry.k8s.io/e2e-test-images/'
STAGING = 'gcr.io/k8s-staging-cri-tools/'
DIGEST_REF = STAGING + 'test-image-digest@sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf'


# ---------------------------------------------------------------- layers

class Layer:
    """An ordered set of tar entries; parents are added (0755 root dirs) when missing."""

    def __init__(self, name):
        self.name = name
        self.entries = {}  # path -> TarInfo, data

    def _ti(self, path, kind, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(path)
        ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, EPOCH
        ti.uname = ti.gname = ''
        return ti

    def _parents(self, path):
        parts = path.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            p = '/'.join(parts[:i])
            if p not in self.entries:
                self.entries[p] = (self._ti(p, tarfile.DIRTYPE, 0o755), None)

    def dir(self, path, mode=0o755, uid=0, gid=0):
        path = path.strip('/')
        self._parents(path)
        self.entries[path] = (self._ti(path, tarfile.DIRTYPE, mode, uid, gid), None)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        path = path.strip('/')
        if isinstance(data, str):
            data = data.encode()
        self._parents(path)
        ti = self._ti(path, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.entries[path] = (ti, data)

    def copy(self, path, src, mode=None):
        with open(src, 'rb') as f:
            data = f.read()
        self.file(path, data, mode if mode is not None else (os.stat(src).st_mode & 0o7777))

    def symlink(self, path, target):
        path = path.strip('/')
        self._parents(path)
        ti = self._ti(path, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.entries[path] = (ti, None)

    def blob(self):
        """(gzip blob, diff_id): the tar sorted by path, so parents come first."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as t:
            for path in sorted(self.entries):
                ti, data = self.entries[path]
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        raw = raw.getvalue()
        gz = io.BytesIO()
        with gzip.GzipFile(filename='', mode='wb', fileobj=gz, mtime=0, compresslevel=9) as g:
            g.write(raw)
        return gz.getvalue(), 'sha256:' + hashlib.sha256(raw).hexdigest()


def cc_static(src, out):
    subprocess.run(['gcc', '-static', '-Os', '-s', '-Wall', '-o', out, src], check=True)


PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
"""
SHADOW = ''.join(l.split(':')[0] + (':' if l.startswith('root') else ':*') + ':::::::\n'
                 for l in PASSWD.splitlines())


def busybox_layer(tmp):
    """busybox:1.29-like rootfs: /bin/busybox + a symlink per applet, /etc/{passwd,group,...}."""
    L = Layer('busybox')
    for d, m in [('bin', 0o755), ('dev', 0o755), ('etc', 0o755), ('home', 0o755), ('proc', 0o555),
                 ('root', 0o700), ('sys', 0o555), ('tmp', 0o1777), ('run', 0o755), ('sbin', 0o755),
                 ('usr/bin', 0o755), ('usr/sbin', 0o755), ('usr/local/bin', 0o755),
                 ('var/spool/mail', 0o755), ('var/www', 0o755), ('var/tmp', 0o1777)]:
        L.dir(d, m)
    L.symlink('var/run', '../run')
    L.copy('bin/busybox', BUSYBOX, 0o755)
    applets = subprocess.run([BUSYBOX, '--list'], check=True, capture_output=True, text=True).stdout.split()
    for a in applets:
        if a != 'busybox':
            L.symlink('bin/' + a, 'busybox')
    # applets Debian's busybox-static lacks but critest runs
    pu = os.path.join(tmp, 'procutils')
    cc_static(os.path.join(SRC, 'procutils.c'), pu)
    L.copy('bin/procutils', pu, 0o755)
    for a in ('pgrep', 'ipcs'):
        assert a not in applets, a
        L.symlink('bin/' + a, 'procutils')
    L.file('etc/passwd', PASSWD)
    L.file('etc/group', GROUP)
    L.file('etc/shadow', SHADOW, 0o600)
    L.file('etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')
    L.file('etc/resolv.conf', '')
    return L


def marker_layer(name):
    """image-test/Dockerfile: FROM busybox; ADD $TEST $TEST -> an empty file /$TEST."""
    L = Layer('file-' + name)
    L.file(name, b'')
    return L


def nnp_layer(tmp):
    L = Layer('nnp')
    out = os.path.join(tmp, 'nnp')
    cc_static(os.path.join(SRC, 'nnp.c'), out)
    L.copy('usr/local/bin/nnp', out, 0o6755)  # chmod +s, owner root
    return L


def predefined_group_layer():
    """image-predefined-group/Dockerfile: adduser -u 1000 -D default-user;
    addgroup -g 50000 group-defined-in-image; addgroup default-user group-defined-in-image."""
    L = Layer('predefined-group')
    L.file('etc/passwd', PASSWD + 'default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n')
    L.file('etc/group', GROUP + 'default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n')
    L.file('etc/shadow', SHADOW + 'default-user:!:17897:0:99999:7:::\n', 0o600)
    L.dir('home/default-user', 0o755, 1000, 1000)
    return L


def deb_extract(pkg, dest):
    debs = sorted(glob.glob(os.path.join(DEBS, pkg + '_*.deb')))
    if not debs:
        os.makedirs(DEBS, exist_ok=True)
        subprocess.run(['apt-get', 'download', pkg], cwd=DEBS, check=True)
        debs = sorted(glob.glob(os.path.join(DEBS, pkg + '_*.deb')))
    subprocess.run(['dpkg-deb', '-x', debs[-1], dest], check=True)


NGINX_CONF = """user  nginx;
worker_processes  1;

error_log  /var/log/nginx/error.log warn;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
"""
NGINX_DEFAULT = """server {
    listen       80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""
NGINX_50X = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
"""


def nginx_layer(tmp):
    """nginx:1.14-alpine-like layout around Debian's nginx 1.22 binary and its shared libs."""
    x = os.path.join(tmp, 'nginx-deb')
    deb_extract('nginx', x)
    deb_extract('nginx-common', x)
    binary = os.path.join(x, 'usr/sbin/nginx')
    L = Layer('nginx')
    L.copy('usr/sbin/nginx', binary, 0o755)
    ldd = subprocess.run(['ldd', binary], check=True, capture_output=True, text=True).stdout
    for line in ldd.splitlines():
        m = re.search(r'(/\S+) \(0x', line)
        if m:  # copy the real file to the path the loader looks for
            L.copy(m.group(1).lstrip('/'), os.path.realpath(m.group(1)), 0o755)
    L.file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n')
    L.file('etc/passwd', PASSWD + 'nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n')
    L.file('etc/group', GROUP + 'nginx:x:101:nginx\n')
    L.file('etc/shadow', SHADOW + 'nginx:!:::::::\n', 0o600)
    L.file('etc/nginx/nginx.conf', NGINX_CONF)
    L.copy('etc/nginx/mime.types', os.path.join(x, 'etc/nginx/mime.types'), 0o644)
    L.file('etc/nginx/conf.d/default.conf', NGINX_DEFAULT)
    L.copy('usr/share/nginx/html/index.html', os.path.join(x, 'usr/share/nginx/html/index.html'), 0o644)
    L.file('usr/share/nginx/html/50x.html', NGINX_50X)
    L.dir('usr/lib/nginx/modules')
    L.dir('var/lib/nginx')
    L.dir('var/cache/nginx')
    L.dir('var/log/nginx')
    L.symlink('var/log/nginx/access.log', '/dev/stdout')
    L.symlink('var/log/nginx/error.log', '/dev/stderr')
    return L


def hostnet_layer():
    """hostnet-nginx/Dockerfile: FROM nginx; COPY default.conf (listen 12003)."""
    L = Layer('hostnet-nginx')
    L.copy('etc/nginx/conf.d/default.conf', os.path.join(CRI_SRC, 'images/hostnet-nginx/default.conf'), 0o644)
    return L


HTTPD_FOREGROUND = """#!/bin/sh
# Stand-in for httpd:2.4.39-alpine's httpd-foreground, serving with busybox httpd.
# critest greps the container log for "httpd -D FOREGROUND" (Apache prints it as AH00094).
rm -f /usr/local/apache2/logs/httpd.pid
echo "[mpm_event:notice] [pid $$:tid 1] AH00489: Apache/2.4.39 (Unix) configured -- resuming normal operations (busybox httpd stand-in)" >&2
echo "[core:notice] [pid $$:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'" >&2
# busybox httpd would ignore SIGTERM/SIGWINCH as PID 1; forward them and exit.
trap 'kill -TERM "$child" 2>/dev/null; wait "$child" || true; exit 0' TERM INT WINCH QUIT
httpd -f -v -p 80 -h /usr/local/apache2/htdocs &
child=$!
wait "$child"
"""


def httpd_layer():
    L = Layer('httpd')
    L.file('usr/local/apache2/htdocs/index.html', '<html><body><h1>It works!</h1></body></html>\n')
    L.dir('usr/local/apache2/logs')
    L.dir('usr/local/apache2/bin')
    L.symlink('usr/local/apache2/bin/httpd', '/bin/busybox')
    L.file('usr/local/bin/httpd-foreground', HTTPD_FOREGROUND, 0o755)
    return L


# ---------------------------------------------------------------- images

def images(tmp):
    bb = busybox_layer(tmp)
    ngx = nginx_layer(tmp)
    sh = {'Env': [PATH_ENV], 'Cmd': ['sh']}
    nginx_cfg = {'Env': [PATH_ENV], 'Cmd': ['nginx', '-g', 'daemon off;'], 'ExposedPorts': {'80/tcp': {}}}
    out = [
        # (reference, layers, config, what it is)
        (E2E + 'busybox:1.29-2', [bb], sh, 'default container image'),
        (E2E + 'nginx:1.14-2', [bb, ngx], dict(nginx_cfg, StopSignal='SIGTERM'), 'web server'),
        (STAGING + 'hostnet-nginx-amd64:latest', [bb, ngx, hostnet_layer()],
         dict(nginx_cfg, StopSignal='SIGQUIT'), 'nginx on :12003 (host network port-forward)'),
        (E2E + 'httpd:2.4.39-4', [bb, httpd_layer()],
         {'Env': ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
                  'HTTPD_PREFIX=/usr/local/apache2'],
          'Cmd': ['httpd-foreground'], 'WorkingDir': '/usr/local/apache2',
          'ExposedPorts': {'80/tcp': {}}, 'StopSignal': 'SIGWINCH'}, 'multi-container httpd'),
        (E2E + 'nonewprivs:1.3', [bb, nnp_layer(tmp)], {'Env': [PATH_ENV], 'Cmd': ['nnp']}, 'setuid nnp'),
        (STAGING + 'test-image-predefined-group:latest', [bb, predefined_group_layer()],
         dict(sh, User='1000'), 'USER 1000 in group 50000'),
    ]
    for name, user in [('test-image-user-uid', '1002'), ('test-image-user-username', 'www-data'),
                       ('test-image-user-uid-group', '1003:1004'), ('test-image-user-username-group', 'www-data:1004')]:
        out.append((STAGING + name + ':latest', [bb], dict(sh, User=user), 'USER ' + user))
    for name in ('test-image-1', 'test-image-2', 'test-image-3', 'test-image-latest'):
        out.append((STAGING + name + ':latest', [bb, marker_layer(name)], sh, 'busybox + /' + name))
    out.append((DIGEST_REF, [bb, marker_layer('test-image-digest')], sh, 'busybox + /test-image-digest'))
    for tag in ('test', 'all'):
        out.append((STAGING + 'test-image-tag:' + tag, [bb, marker_layer(tag)], sh, 'busybox + /' + tag))
    same = marker_layer('same-image')
    for tag in ('1', '2', '3'):
        out.append((STAGING + 'test-image-tags:' + tag, [bb, same], sh, 'busybox + /same-image (one id, 3 tags)'))
    # --benchmark only (skipped by default): distinct ids via a label, so removing one by id
    # never takes busybox:1.29-2 with it.
    for tag in ('1.35.0-glibc', '1-uclibc', '1', '1-glibc', '1-musl'):
        ref = 'public.ecr.aws/docker/library/busybox:' + tag
        out.append((ref, [bb], dict(sh, Labels={'io.podrun.critest.image': ref}), 'benchmark only'))
    return out


def safe_name(ref):
    return re.sub(r'[^A-Za-z0-9._-]', '_', ref.replace('@sha256:', '@'))


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':')).encode()


def write_archive(path, ref, layers, config, cache):
    blobs = {}

    def put(data):
        d = 'sha256:' + hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {'digest': d, 'size': len(data)}

    ldescs, diff_ids, history = [], [], []
    for L in layers:
        if L.name not in cache:
            cache[L.name] = L.blob()
        gz, diff_id = cache[L.name]
        ldescs.append(dict(put(gz), mediaType='application/vnd.oci.image.layer.v1.tar+gzip'))
        diff_ids.append(diff_id)
        history.append({'created': CREATED, 'created_by': 'critest-images build.py: layer ' + L.name})
    cfg = {'created': CREATED, 'architecture': 'amd64', 'os': 'linux', 'config': config,
           'rootfs': {'type': 'layers', 'diff_ids': diff_ids}, 'history': history}
    cdesc = dict(put(canon(cfg)), mediaType='application/vnd.oci.image.config.v1+json')
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                'config': cdesc, 'layers': ldescs}
    mdesc = dict(put(canon(manifest)), mediaType='application/vnd.oci.image.manifest.v1+json',
                 platform={'architecture': 'amd64', 'os': 'linux'},
                 annotations={'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref})
    index = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json', 'manifests': [mdesc]}

    tmp = path + '.tmp'
    with tarfile.open(tmp, 'w', format=tarfile.PAX_FORMAT) as t:
        def add(name, data=None, kind=tarfile.REGTYPE):
            ti = tarfile.TarInfo(name)
            ti.mtime, ti.type, ti.uname, ti.gname = EPOCH, kind, '', ''
            ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            if data is not None:
                ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
        add('oci-layout', canon({'imageLayoutVersion': '1.0.0'}))
        add('index.json', canon(index))
        add('blobs', kind=tarfile.DIRTYPE)
        add('blobs/sha256', kind=tarfile.DIRTYPE)
        for d in sorted(blobs):
            add('blobs/sha256/' + d.split(':')[1], blobs[d])
    os.replace(tmp, path)
    return cdesc['digest'], mdesc['digest']


# ---------------------------------------------------------------- verify (chroot, root only)

CHECKS = {
    'busybox:1.29-2': (['sh', '-c', 'echo -n hello; echo; id -u nobody; id -u www-data;'
                        ' sleep 30 & pgrep "^sleep$" >/dev/null && echo pgrep-ok; kill $!;'
                        ' ipcs -m | grep -w "$SHMID" >/dev/null && echo ipcs-ok;'
                        ' for a in sh ls cat echo sleep top id hostname nc ps grep touch mkdir wget ping brctl'
                        ' netstat pidof pgrep ipcs mount chmod; do command -v $a >/dev/null || echo missing $a; done'], None),
    'nginx:1.14-2': (['sh', '-c', 'ip link set lo up; nginx -t 2>&1 | tail -1; nginx; sleep 1;'
                      ' wget -qO- http://127.0.0.1:80/ | grep -o "<title>.*</title>"; echo pid=$(cat /var/run/nginx.pid) pidof=$(pidof nginx);'
                      ' tr "\\0" " " < /proc/$(cat /var/run/nginx.pid)/cmdline; echo; nginx -s quit'], None),
    'hostnet-nginx-amd64:latest': (['sh', '-c', 'ip link set lo up; nginx; sleep 1;'
                                    ' wget -qO- http://127.0.0.1:12003/ | grep -o "<title>.*</title>"; nginx -s quit'], None),
    'httpd:2.4.39-4': (['sh', '-c', 'ip link set lo up; httpd-foreground & sleep 1; wget -qO- http://127.0.0.1:80/;'
                        ' kill -TERM $!; wait $!; echo exit=$?'], None),
    'nonewprivs:1.3': (['nnp'], '1000:1000'),
    'test-image-predefined-group:latest': (['sh', '-c', 'id default-user; id -G default-user'], None),
}


def verify(archives):
    # a host shm segment: `ipcs -m` in the chroot (same IPC namespace) must list it
    shmid = subprocess.run(['ipcmk', '-M', '4096'], check=True, capture_output=True, text=True).stdout.split(':')[-1].strip()
    try:
        _verify(archives, shmid)
    finally:
        subprocess.run(['ipcrm', '-m', shmid], check=False)


def _verify(archives, shmid):
    for path, ref in archives:
        key = ref.split('/')[-1]
        cmd, user = CHECKS.get(key, (['ls', '/'], None))
        with tempfile.TemporaryDirectory() as d:
            with tarfile.open(path) as t:
                t.extractall(os.path.join(d, 'layout'))
            lay = os.path.join(d, 'layout')
            idx = json.load(open(os.path.join(lay, 'index.json')))
            assert idx['manifests'][0]['annotations']['org.opencontainers.image.ref.name'] == ref
            man = json.load(open(os.path.join(lay, 'blobs/sha256', idx['manifests'][0]['digest'][7:])))
            root = os.path.join(d, 'rootfs')
            os.mkdir(root)
            for l in man['layers']:
                subprocess.run(['tar', '-xzpf', os.path.join(lay, 'blobs/sha256', l['digest'][7:]),
                                '--numeric-owner', '-C', root], check=True)
            env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'SHMID': shmid, 'R': root}
            # private mount, pid and net namespaces: /proc and /dev inside, lo only, all gone on exit
            argv = ['unshare', '--mount', '--pid', '--net', '--fork', 'sh', '-c',
                    'mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" && exec "$@"', 'sh',
                    'chroot'] + (['--userspec=' + user] if user else []) + [root] + cmd
            r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
            out = (r.stdout + r.stderr).strip().replace('\n', ' | ')
            print(f'  verify {key:40s} rc={r.returncode} {out[:600]}')
            if r.returncode != 0:
                raise SystemExit(f'verify failed for {ref}')


def main():
    t0 = time.time()
    os.makedirs(DEBS, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        specs = images(tmp)
        cache, rows, archives = {}, [], []
        for ref, layers, config, what in specs:
            fname = safe_name(ref) + '.tar'
            cfg_digest, man_digest = write_archive(os.path.join(HERE, fname), ref, layers, config, cache)
            # podrun's store takes NAME[:TAG] only; a pulled digest ref is kept as the tag
            # sha256-<hex> (src/image/remote-ref.ts localName), which its CRI reports back as
            # RepoDigests [NAME@sha256:<hex>] with no RepoTags -- what critest checks.
            local = ref.replace('@sha256:', ':sha256-')
            rows.append('\t'.join([fname, ref, local, cfg_digest, man_digest]))
            archives.append((os.path.join(HERE, fname), ref))
            print(f'{fname}\n    id {cfg_digest[7:19]} manifest {man_digest[7:19]}  {what}')
    with open(os.path.join(HERE, 'images.tsv'), 'w') as f:
        f.write('# file\treference\tpodrun-local-name\timage-id(config digest)\tmanifest digest\n')
        f.write('\n'.join(rows) + '\n')
    print(f'built {len(rows)} archives in {time.time() - t0:.1f}s')
    if '--verify' in sys.argv:
        verify(archives)
        print(f'verified in {time.time() - t0:.1f}s total')


if __name__ == '__main__':
    main()
