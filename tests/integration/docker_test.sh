#!/usr/bin/env bash
# moat-runtime as the default runtime of a real, private dockerd configured
# with contrib/docker/daemon.json: `docker run` without --runtime comes up
# hardened, refusals reach the docker CLI, docker exec is fitted to the
# profile, and --runtime runc still bypasses moat (a default, not a boundary).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq
need_moat_runtime

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
# contrib/docker/daemon.json as shipped, with this build's moat-runtime.
start_dockerd moat "$MOAT_RUNTIME" \
  "$(jq --arg rt "$MOAT_RUNTIME" '.runtimes.moat.path = $rt' "$MOAT_SOURCE_DIR/contrib/docker/daemon.json")"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
docker_import_busybox moat-test/busybox:1
IMG=moat-test/busybox:1
run() { docker run --rm --network none "$@"; } # no --runtime: the default


assert_eq "$(docker info -f '{{.DefaultRuntime}}')" moat "docker info: default runtime"
echo "== docker run (default-runtime moat): hardened"
out="$(run "$IMG" sh -c "$HARDENED_PROBE; cat /sys/fs/cgroup/pids/pids.max" 2>&1)" ||
  fail "docker run failed: $out"
echo "$out"
assert_hardened "$out" "docker run"
assert_match "$out" $'\n1024$' "pids.max"
grep -q '"decision":"allow"' "$W/conf/audit.log" || fail "no allow record in the audit log"
image_id="$(docker image inspect -f '{{.Id}}' "$IMG")"
jq -e --arg id "$image_id" 'select(.decision == "allow" and .verb == "create") | .image |
    select(.engine == "docker" and .id == $id and .used_reference == "docker.io/moat-test/busybox:1")' \
  "$W/conf/audit.log" >/dev/null || fail "audit record lacks the image identity: $(tail -n1 "$W/conf/audit.log")"

echo "== refusals reach the docker CLI"
refused() {
  local want="$1"
  shift
  expect_refusal "$want" run "$@" "$IMG" true
}
refused 'refused: profile "restricted": process.capabilities: holds CAP_SYS_ADMIN' --privileged
refused "exposes a container engine's API socket" -v "$DOCKERD_DIR/docker.sock:/var/run/docker.sock"
refused "no pid namespace" --pid host
refused "/etc is the host's /etc and profile \"restricted\" grants no host path there" -v /etc:/host-etc
[[ -z "$(docker ps -aq --filter status=running)" ]] || fail "a refused container is running"

echo "== docker exec is fitted to the profile, not refused"
cid="$(docker run -d --network none "$IMG" sleep 300)"
on_exit "docker rm -f $cid >/dev/null 2>&1 || true"
out="$(docker exec "$cid" sh -c 'id -u; grep -E "^(CapEff|CapBnd)" /proc/self/status' 2>&1)" ||
  fail "docker exec failed: $out"
echo "$out"
assert_match "$out" '^65534' "exec uid"
assert_match "$out" $'CapEff:\t0000000000000000' "exec CapEff"
out="$(docker exec -u 0 "$cid" id -u 2>&1)" || fail "docker exec -u 0 failed: $out"
assert_eq "$out" 65534 "docker exec -u 0 is remapped"
out="$(docker exec --privileged "$cid" grep -E '^CapEff' /proc/self/status 2>&1)" ||
  fail "docker exec --privileged failed: $out"
assert_match "$out" $'CapEff:\t0000000000000000' "docker exec --privileged gets no capability"
grep -q '"verb":"exec"' "$W/conf/audit.log" || fail "no exec record in the audit log"

echo "== docker update cannot raise the pids limit"
if out="$(docker update --pids-limit 100000 "$cid" 2>&1)"; then fail "docker update raised pids: $out"; fi
echo "$out"
[[ "$out" == *'exceeds profile "restricted"'* ]] || fail "docker update: reason missing"
docker update --pids-limit 100 "$cid" >/dev/null || fail "docker update within the limit failed"
assert_eq "$(docker exec "$cid" cat /sys/fs/cgroup/pids/pids.max)" 100 "pids.max after docker update"
echo "== --runtime runc is not moat: default-runtime is a default, not a boundary"
out="$(docker run --rm --runtime runc --network none "$IMG" id -u 2>&1)" || fail "--runtime runc: $out"
assert_eq "$out" 0 "uid under --runtime runc"
echo "PASS"
