#!/usr/bin/env bash
# Proves lib.sh with plain runc and a private dockerd only (no moat): bundles,
# moat.conf, runc's JSON log, a private dockerd with a "moat" runtime slot
# (here runc itself), image import, and cleanup both by stop_dockerd and by the
# EXIT trap of a test that fails.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd jq "$RUNC" "$MOAT_BUSYBOX"

echo "== bundle + runc run"
b="$(tmp_dir bundle)"
make_bundle "$b" '["id","-u"]'
assert_eq "$(jq -r '.process.terminal' "$b/config.json")" false "process.terminal"
assert_eq "$(stat -c %a "$b/rootfs/tmp")" 1777 "rootfs /tmp mode"
grep -q '^nobody:x:65534:65534:' "$b/rootfs/etc/passwd" || fail "no nobody in /etc/passwd"
out="$("$RUNC" --root "$RUNC_ROOT" run --bundle "$b" "$(new_id selftest)")"
assert_eq "$out" 0 "id -u in runc container"

echo "== bundle_jq: non-root user, tmpfs /tmp keeps the image's 1777"
bundle_jq "$b" '.process.user = {uid: 65534, gid: 65534}
  | .process.args = ["sh", "-c", "id -u; stat -c %a /tmp; touch /tmp/x && echo ok"]
  | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
                 options: ["nosuid", "nodev", "mode=1777"]}]'
out="$("$RUNC" --root "$RUNC_ROOT" run --bundle "$b" "$(new_id selftest)" | tr '\n' ' ')"
assert_eq "$out" "65534 1777 ok " "uid, /tmp mode, /tmp writable"

echo "== runc_json_log_has"
bundle_jq "$b" '.process.args = ["/no/such/binary"]'
log="$MOAT_TEST_TMP/runc-log.json"
if "$RUNC" --root "$RUNC_ROOT" --log "$log" --log-format json run --bundle "$b" "$(new_id selftest)" \
  >/dev/null 2>&1; then
  fail "runc ran a missing binary"
fi
runc_json_log_has "$log" 'no such file or directory|executable file not found' ||
  { cat "$log" >&2; fail "runc_json_log_has missed runc's error"; }
if runc_json_log_has "$log" 'this text is not in the log'; then
  fail "runc_json_log_has matched a message that is not there"
fi
if runc_json_log_has "$MOAT_TEST_TMP/no-such-log" '.'; then
  fail "runc_json_log_has matched a missing file"
fi
[[ -z "$("$RUNC" --root "$RUNC_ROOT" list -q)" ]] || fail "runc left containers behind"

echo "== moat_env"
conf_dir="$MOAT_TEST_TMP/conf"
moat_env "$conf_dir" audit baseline
assert_eq "$MOAT_CONFIG" "$conf_dir/moat.conf" "MOAT_CONFIG"
assert_eq "$(jq -c 'keys' "$MOAT_CONFIG")" \
  '["audit_log","default_profile","mode","policy","profiles_dir","registries_d","runtime","state_dir"]' "moat.conf keys"
assert_eq "$(jq -r '.mode + " " + .default_profile' "$MOAT_CONFIG")" "audit baseline" "mode, profile"
assert_eq "$(jq -r '.profiles_dir' "$MOAT_CONFIG")" "$MOAT_SOURCE_DIR/profiles" "profiles_dir"
assert_eq "$(stat -c '%U %a' "$conf_dir" "$MOAT_CONFIG" "$conf_dir/state" | tr '\n' ' ')" \
  "root 755 root 644 root 700 " "owners and modes"
moat_conf_jq '.mode = "enforce"'
assert_eq "$(jq -r .mode "$MOAT_CONFIG")" enforce "moat_conf_jq"

need_cmd dockerd containerd
echo "== private dockerd with runc as the 'moat' runtime"
start_dockerd self /usr/sbin/runc
dir="$DOCKERD_DIR"
assert_eq "$DOCKER_HOST" "unix://$dir/docker.sock" "DOCKER_HOST"
assert_eq "$(docker info --format '{{.Driver}}')" overlay2 "storage driver"
docker info --format '{{json .Runtimes}}' | jq -e '.moat.path == "/usr/sbin/runc"' >/dev/null ||
  fail "runtime moat not registered"
docker_import_busybox moat-it/busybox:selftest
out="$(docker run --rm --runtime moat moat-it/busybox:selftest id -u)"
assert_eq "$out" 0 "id -u in docker container"
# Leave a running container for stop_dockerd to clean up.
cid="$(docker run -d --runtime moat moat-it/busybox:selftest sleep 600)"
cpid="$(docker inspect --format '{{.State.Pid}}' "$cid")"
if ! [[ "$cpid" -gt 0 ]] || ! pid_alive "$cpid"; then fail "container not running"; fi
[[ -n "$(mounts_under "$dir")" ]] || fail "expected overlay mounts under $dir"
[[ -n "$(procs_mentioning "$dir/")" ]] || fail "expected containerd/shim processes"

echo "== stop_dockerd cleans up"
stop_dockerd self
[[ ! -e "$dir" ]] || fail "$dir still exists"
[[ -z "$(mounts_under "$dir")" ]] || fail "mounts left under $dir: $(mounts_under "$dir")"
[[ -z "$(procs_mentioning "$dir/")" ]] || fail "processes left: $(procs_mentioning "$dir/")"
wait_gone 5 "$cpid" || fail "container process $cpid survived"
[[ -z "${DOCKER_HOST:-}" ]] || fail "DOCKER_HOST still set"

echo "== a second private dockerd starts clean after the first"
start_dockerd again /usr/sbin/runc
if docker image inspect moat-it/busybox:selftest >/dev/null 2>&1; then
  fail "second dockerd sees the first one's image"
fi
docker_import_busybox moat-it/busybox:again
assert_eq "$(docker run --rm --runtime moat moat-it/busybox:again echo hi)" hi "second dockerd run"
dir2="$DOCKERD_DIR"
stop_dockerd again
[[ ! -e "$dir2" && -z "$(procs_mentioning "$dir2/")" ]] || fail "second dockerd not cleaned up"

echo "== a failing test cleans up through its EXIT trap"
child="$MOAT_TEST_TMP/c.sh"
cat >"$child" <<EOF
source "$MOAT_SOURCE_DIR/tests/integration/lib.sh"
echo "\$MOAT_TEST_TMP" >"$MOAT_TEST_TMP/child-tmp"
start_dockerd crash /usr/sbin/runc
docker_import_busybox moat-it/busybox:crash
docker run -d --runtime moat moat-it/busybox:crash sleep 600 >/dev/null
docker inspect --format '{{.State.Pid}}' \$(docker ps -q) >"$MOAT_TEST_TMP/child-cpid"
b="\$(tmp_dir b)"
make_bundle "\$b" '["sleep","600"]'
"\$RUNC" --root "\$RUNC_ROOT" run -d --bundle "\$b" left-running >/dev/null
"\$RUNC" --root "\$RUNC_ROOT" state left-running | jq .pid >"$MOAT_TEST_TMP/child-rpid"
fail "deliberate failure"
EOF
rc=0
bash "$child" >"$MOAT_TEST_TMP/child.out" 2>&1 || rc=$?
if [[ "$rc" != 1 ]]; then
  cat "$MOAT_TEST_TMP/child.out" >&2
  fail "child exited $rc, want 1"
fi
grep -q 'FAIL: deliberate failure' "$MOAT_TEST_TMP/child.out" || fail "child did not reach its end"
ctmp="$(<"$MOAT_TEST_TMP/child-tmp")"
ccpid="$(<"$MOAT_TEST_TMP/child-cpid")"
[[ "$ccpid" -gt 0 ]] || fail "child recorded no container pid"
[[ ! -e "$ctmp" ]] || fail "child left $ctmp"
[[ -z "$(mounts_under "$ctmp")" ]] || fail "child left mounts under $ctmp"
[[ -z "$(procs_mentioning "$ctmp/")" ]] || fail "child left processes"
wait_gone 5 "$ccpid" || fail "child's docker container $ccpid survived"
crpid="$(<"$MOAT_TEST_TMP/child-rpid")"
wait_gone 5 "$crpid" || fail "child's runc container $crpid survived"

echo "PASS: harness self-test"
