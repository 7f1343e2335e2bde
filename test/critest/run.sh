#!/bin/bash
# critest (kubernetes-sigs/cri-tools) against `podrun cri`, as root, offline, nothing reaching the
# host's network: one sandbox network namespace holds a local docker-registry (the mirror of
# every registry critest pulls from, through a private registries.conf), `podrun cri` (its pods'
# bridge and veths there too: PODRUN_NETWORK_NAMESPACE_PID) and critest itself.
#
#   test/critest/run.sh [RESULTS_TSV] [critest flags...]
#
# Needs: critest and crictl v1.26.1 built outside this repository (README, CRI section; CRITEST
# and CRICTL, else /opt/cri-tools/bin), cri-tools' source at $CRI_TOOLS_SRC (for one image's
# nginx config), docker-registry and skopeo (apt), and podrun built (npm run build). Builds the
# images with build-images.py when $CRITEST_IMAGES has none. Writes one line per spec
# (spec, passed|failed|skipped, the first line of the reason) to RESULTS_TSV.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (podrun cri, the registry and critest share a sandbox network namespace)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-$PWD/critest-results.tsv}
shift || true
CRITEST=${CRITEST:-/opt/cri-tools/bin/critest}
CRICTL=${CRICTL:-/opt/cri-tools/bin/crictl}
export CRITEST_IMAGES=${CRITEST_IMAGES:-/tmp/critest-images}
for c in "$CRITEST" "$CRICTL"; do [ -x "$c" ] || { echo "run.sh: $c is missing: build cri-tools v1.26.1 (README, CRI section)" >&2; exit 1; }; done
for c in docker-registry skopeo; do command -v "$c" >/dev/null || apt-get install -y "$c" >/dev/null; done
[ -f "$CRITEST_IMAGES/images.tsv" ] || python3 "$HERE/build-images.py"

W=$(mktemp -d /tmp/critest-podrun.XXXXXX)
mkdir -p "$W/run" "$W/registry"
setsid unshare --net sh -c 'ip link set lo up; exec sleep infinity' </dev/null >/dev/null 2>&1 &
HOLDER=$!
IN=(nsenter --net=/proc/$HOLDER/ns/net --)
PIDS=()
cleanup() {
  "${IN[@]}" "$CRICTL" --runtime-endpoint "unix://$W/run/cri.sock" rmp -a -f >/dev/null 2>&1 || true
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
  kill -KILL "$HOLDER" 2>/dev/null || true
  # critest's rshared/rslave specs leave a bind mount behind when they fail before their cleanup.
  for m in $(findmnt -rn -o TARGET | grep -E '^/tmp/test' || true); do umount -l "$m" || true; done
  rm -rf "$W" /tmp/test[0-9a-f]* /tmp/podLogTest* 2>/dev/null || true
}
trap cleanup EXIT
sleep 0.3

cat >"$W/registry/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $W/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YAML
"${IN[@]}" docker-registry serve "$W/registry/config.yml" >"$W/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do "${IN[@]}" sh -c 'exec 3<>/dev/tcp/127.0.0.1/5000' 2>/dev/null && break; sleep 0.1; done
: >"$W/registries.conf"
for r in registry.k8s.io gcr.io public.ecr.aws; do printf '[[registry]]\nprefix = "%s"\nlocation = "127.0.0.1:5000/%s"\ninsecure = true\n\n' "$r" "$r" >>"$W/registries.conf"; done

PODRUN=(node "$REPO/bin/podrun" --root "$W/state" --data-root "$W/data")
grep -v '^#' "$CRITEST_IMAGES/images.tsv" | while IFS=$'\t' read -r file ref name _id _manifest; do
  "${IN[@]}" skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci-archive:$CRITEST_IMAGES/$file" "docker://127.0.0.1:5000/$name" >/dev/null
  "${IN[@]}" "${PODRUN[@]}" image import "$CRITEST_IMAGES/$file" "$name" >/dev/null
done

PODRUN_NETWORK_NAMESPACE_PID=$HOLDER CONTAINERS_REGISTRIES_CONF="$W/registries.conf" "${IN[@]}" "${PODRUN[@]}" cri --listen "unix://$W/run/cri.sock" >"$W/cri.log" 2>&1 &
PIDS=($! "${PIDS[@]}")
for _ in $(seq 300); do [ -S "$W/run/cri.sock" ] && break; sleep 0.1; done
start=$(date +%s)
(cd "$W" && "${IN[@]}" "$CRITEST" --runtime-endpoint "unix://$W/run/cri.sock" --image-endpoint "unix://$W/run/cri.sock" \
  --ginkgo.v --ginkgo.no-color --ginkgo.json-report="$W/report.json" "$@" >"$W/critest.log" 2>&1) || true
echo "critest ran $(( $(date +%s) - start )) s; log: $OUT.log"
cp "$W/critest.log" "$OUT.log"
python3 - "$W/report.json" "$OUT" <<'PY'
import json, sys
specs = [s for r in json.load(open(sys.argv[1])) for s in r.get('SpecReports', []) if s.get('LeafNodeType') == 'It']
rows = []
for s in specs:
    name = ' '.join(s.get('ContainerHierarchyTexts') or []) + ' ' + s.get('LeafNodeText', '')
    state = {'passed': 'passed', 'failed': 'failed', 'skipped': 'skipped', 'pending': 'skipped'}.get(s.get('State'), s.get('State'))
    why = ((s.get('Failure') or {}).get('Message') or '').strip().split('\n')[0]
    rows.append(f'{name}\t{state}\t{why}')
rows.sort()
open(sys.argv[2], 'w').write('\n'.join(rows) + '\n')
n = lambda k: sum(1 for r in rows if r.split('\t')[1] == k)
print(f"{n('passed')} passed, {n('failed')} failed, {n('skipped')} skipped")
PY
