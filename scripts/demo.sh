#!/usr/bin/env bash
# Sets up a Debian 12 machine (as root), builds moat and shows its main job
# with a real, private dockerd that has moat-runtime as a runtime:
#  - an ordinary `docker run` of a root image runs hardened (non-root, no
#    capabilities, no_new_privileges, read-only rootfs, pids limit);
#  - `--privileged`, the Docker socket, the host's pid namespace and a writable
#    host /etc are refused, with moat's reason printed by the docker CLI;
#  - `docker exec -u 0 --privileged` into the hardened container stays hardened;
#  - the audit log records each decision.
#
#   sudo bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

export MOAT_SOURCE_DIR="$PWD" MOAT_BUILD_DIR="$PWD/build"
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
need_root

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  printf '$ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/  /' || true
}

W="$(tmp_dir demo)"
moat_env "$W/conf" enforce restricted
say "moat.conf (MOAT_CONFIG=$MOAT_CONFIG)"
sed 's/^/  /' "$MOAT_CONFIG"
say "starting a private dockerd with runtime \"moat\" = $MOAT_RUNTIME"
start_dockerd demo "$MOAT_RUNTIME"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
docker_import_busybox demo/busybox:latest
echo "  imported demo/busybox:latest (its user is root)"

probe='echo "uid=$(id -u) gid=$(id -g)"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status;
  echo "pids.max=$(cat /sys/fs/cgroup/pids/pids.max)";
  touch /x 2>/dev/null && echo "rootfs: writable" || echo "rootfs: read-only";
  touch /tmp/x && echo "/tmp: writable"'
say "an ordinary container runs hardened by profile \"restricted\""
show docker run --rm --runtime moat --network none demo/busybox sh -c "$probe"

say "what the profile forbids is refused, and docker says why"
show docker run --rm --runtime moat --network none --privileged demo/busybox true
show docker run --rm --runtime moat --network none -v "$DOCKERD_DIR/docker.sock:/var/run/docker.sock" demo/busybox true
show docker run --rm --runtime moat --network none --pid host demo/busybox true
show docker run --rm --runtime moat --network none -v /etc:/host-etc demo/busybox true

say "docker exec cannot undo the hardening"
cid="$(docker run -d --runtime moat --network none demo/busybox sleep 120)"
show docker exec -u 0 --privileged "$cid" sh -c 'id -u; grep CapEff /proc/self/status'
docker rm -f "$cid" >/dev/null

say "the audit log ($W/conf/audit.log), one JSON line per decision"
jq -c '{verb, id: .id[0:12], decision, reasons: (.reasons | length), changes: (.changes | length)}' \
  "$W/conf/audit.log" | sed 's/^/  /'
say "done (the private dockerd is stopped and its files removed on exit)"
