#!/usr/bin/env bash
# Hygiene: nothing moat opens leaks into runc or the container (every fd
# O_CLOEXEC), and moat refuses to run on a moat.conf or profile that anyone
# but root could change.
#
# The fd checks use the path that opens the most: a signed image (policy,
# registries.d, key file, gpgme and gpg, the verification cache), a json
# --log file, the audit log and the state directory. Every output of every
# command is kept under $OUT, so that checks over all of moat's output (e.g.
# that no secret value appears in any of it) grep one directory plus the
# audit and runc logs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
need_root
need_cmd "$RUNC" jq skopeo gpg
need_moat_runtime

W="$(tmp_dir work)"
OUT="$W/out"
mkdir -m 0755 "$OUT"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
fake_docker_root "$W/docker"
fake_docker_image registry.moat.test/moat/busybox:1
fake_docker_sign_setup "$W/conf" registry.moat.test "$W/look" 2>/dev/null
fake_docker_sign registry.moat.test/moat/busybox:1 "$W/look" >/dev/null
moat_conf_jq '.docker_root = $r' --arg r "$FAKE_DOCKER_ROOT"
cid() { printf 'hygiene-%s-%s' "$$" "$1" | sha256sum | cut -d' ' -f1; }
# fds NAME: the fd numbers of an `ls -l /proc/.../fd` listing, one a line.
# Both arms of a comparison inherit the same fds from whoever runs the test,
# so a number only one arm has is a leak.
fds() {
  sed -n 's|.* \([0-9][0-9]*\) -> .*$|\1|p' "$OUT/$1" | sort -n
}
# no_moat_files NAME: no fd of the listing points at moat's files.
no_moat_files() {
  if grep -E -- "-> .*($W/conf|$W/look|$FAKE_DOCKER_ROOT/(image|containers|containerd)|\.moat-|gnupg|audit)" "$OUT/$1"; then
    fail "$1: an fd points at one of moat's files"
  fi
}

echo "== what moat hands its runtime: a root-owned script that lists its fds"
printf '#!/bin/sh\nexec /bin/ls -l /proc/self/fd\n' >"$W/list-fds"
chmod 0755 "$W/list-fds"
moat_conf_jq '.runtime = $r' --arg r "$W/list-fds"
id="$(cid direct)"
b="$(fake_docker_container "$id" '["true"]')"
rm -rf "$W/conf/state/cache"
"$MOAT_RUNTIME" --log "$OUT/direct.log" --log-format json create --bundle "$b" "$id" \
  </dev/null >"$OUT/via-moat" 2>"$OUT/via-moat.err" || fail "create through moat failed: $(cat "$OUT/via-moat.err")"
"$W/list-fds" </dev/null >"$OUT/bare" 2>"$OUT/bare.err"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.trusted == "yes"' >/dev/null ||
  fail "the signed create was not allowed: $(tail -n1 "$W/conf/audit.log")"
[[ -n "$(ls "$W/conf/state/cache/gpg")" ]] || fail "gpg did not run (no cache entry): the test would prove little"
diff <(fds bare) <(fds via-moat) || fail "moat leaks fds into its runtime: $(cat "$OUT/via-moat")"
no_moat_files via-moat
echo "ok: runtime sees fds $(fds via-moat | cut -d' ' -f1 | tr '\n' ' ')"

echo "== the container's init and process: same fds as under bare runc"
moat_conf_jq '.runtime = $r' --arg r "$RUNC"
init_fds() { # BUNDLE ID TOOL... : create with TOOL, list the init's fds, delete
  local bundle="$1" id="$2" pid
  shift 2
  "$@" --root "$RUNC_ROOT" --log "$OUT/$id.log" --log-format json create --bundle "$bundle" \
    --pid-file "$W/$id.pid" "$id" </dev/null >"$OUT/$id.create" 2>&1 || fail "create $id failed: $(cat "$OUT/$id.create")"
  pid="$(cat "$W/$id.pid")"
  ls -l "/proc/$pid/fd" >"$OUT/$id.init-fds"
  "$RUNC" --root "$RUNC_ROOT" start "$id"
  for _ in $(seq 100); do
    [[ "$("$RUNC" --root "$RUNC_ROOT" state "$id" | jq -r .status)" == stopped ]] && break
    sleep 0.1
  done
  "$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
}
probe='["sh","-c","ls -l /proc/self/fd"]'
m="$(cid moat)"
b="$(fake_docker_container "$m" "$probe")"
bundle_jq "$b" '.process.terminal = false'
rm -rf "$W/conf/state/cache"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" --log "$OUT/moat-run.log" --log-format json run --bundle "$b" "$m" \
  </dev/null >"$OUT/moat-run" 2>&1 || fail "moat run failed: $(cat "$OUT/moat-run")"
r="$(cid runc)"
b2="$(fake_docker_container "$r" "$probe")"
cp "$b/config.json" "$W/hardened.json"
jq --arg root "$(jq -r .root.path "$b2/config.json")" '.root.path = $root' "$W/hardened.json" >"$b2/config.json"
"$RUNC" --root "$RUNC_ROOT" --log "$OUT/runc-run.log" --log-format json run --bundle "$b2" "$r" \
  </dev/null >"$OUT/runc-run" 2>&1 || fail "runc run failed: $(cat "$OUT/runc-run")"
"$RUNC" --root "$RUNC_ROOT" delete --force "$m" >/dev/null 2>&1 || true
"$RUNC" --root "$RUNC_ROOT" delete --force "$r" >/dev/null 2>&1 || true
diff <(fds runc-run) <(fds moat-run) || fail "the container sees other fds under moat: $(cat "$OUT/moat-run")"
no_moat_files moat-run
echo "ok: container process sees fds $(fds moat-run | cut -d' ' -f1 | tr '\n' ' ')"
m="$(cid moat-init)"
b="$(fake_docker_container "$m" '["true"]')"
init_fds "$b" "$m" "$MOAT_RUNTIME"
r="$(cid runc-init)"
b2="$(fake_docker_container "$r" '["true"]')"
jq --arg root "$(jq -r .root.path "$b2/config.json")" '.root.path = $root' "$b/config.json" >"$b2/config.json"
init_fds "$b2" "$r" "$RUNC"
diff <(fds "$r.init-fds") <(fds "$m.init-fds") || fail "the container's init holds other fds under moat"
no_moat_files "$m.init-fds"
echo "ok: container init (created, not started) holds fds $(fds "$m.init-fds" | cut -d' ' -f1 | tr '\n' ' ')"

echo "== moat.conf and profiles that someone other than root could change"
# refused NAME WANT ARGV...: moat-runtime exits 1 with one line naming WANT.
refused() {
  local name="$1" want="$2"
  shift 2
  if "$MOAT_RUNTIME" "$@" </dev/null >"$OUT/$name.out" 2>"$OUT/$name.err"; then
    fail "$name: moat-runtime $* succeeded"
  fi
  [[ "$(grep -c . "$OUT/$name.err")" == 1 ]] || fail "$name: not one line: $(cat "$OUT/$name.err")"
  grep -qF -- "$want" "$OUT/$name.err" || fail "$name: error lacks '$want': $(cat "$OUT/$name.err")"
  echo "ok: $name: $(cat "$OUT/$name.err")"
}
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/conf/policy.json"
b="$W/plain"
make_bundle "$b" '["true"]'
conf="$MOAT_CONFIG"
for mode in 0664 0646 0666; do
  chmod "$mode" "$conf"
  refused "conf-$mode" "$conf: mode $mode is group- or world-writable: refused" \
    --root "$RUNC_ROOT" create --bundle "$b" "$(new_id conf)"
  refused "conf-$mode-state" "$conf: mode $mode is group- or world-writable: refused" \
    --root "$RUNC_ROOT" state whatever
done
chmod 0644 "$conf"
chown 65534 "$conf"
refused conf-owner "$conf: owned by uid 65534, not root: refused" --root "$RUNC_ROOT" state whatever
chown 0 "$conf"
chmod 0777 "$W/conf"
refused conf-dir "$W/conf: directory is group- or world-writable: refused" --root "$RUNC_ROOT" state x
chmod 0755 "$W/conf"

P="$W/profiles"
mkdir -m 0755 "$P"
cp -R "$MOAT_SOURCE_DIR/profiles/restricted.json" "$MOAT_SOURCE_DIR/profiles/seccomp" "$P/"
chmod 0644 "$P/restricted.json"
moat_conf_jq '.profiles_dir = $p' --arg p "$P"
for mode in 0664 0646; do
  chmod "$mode" "$P/restricted.json"
  refused "profile-$mode" "$P/restricted.json: mode $mode is group- or world-writable: refused" \
    --root "$RUNC_ROOT" create --bundle "$b" "$(new_id prof)"
done
chmod 0644 "$P/restricted.json"
chown 65534 "$P/restricted.json"
refused profile-owner "$P/restricted.json: owned by uid 65534, not root: refused" \
  --root "$RUNC_ROOT" create --bundle "$b" "$(new_id prof)"
chown 0 "$P/restricted.json"
chmod 0777 "$P"
refused profiles-dir "$P: directory is group- or world-writable: refused" \
  --root "$RUNC_ROOT" create --bundle "$b" "$(new_id prof)"
chmod 1777 "$P" # sticky: others cannot replace root's files
id="$(new_id prof)"
"$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$b" "$id" </dev/null >"$OUT/sticky.out" 2>&1 ||
  fail "a sticky profiles directory was refused: $(cat "$OUT/sticky.out")"
"$RUNC" --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
chmod 0755 "$P"

# Every output moat produced in this test: $OUT, the audit log, the runc logs.
# (Checks over all output, such as secret values never appearing, go here.)
ls "$OUT" >/dev/null
echo "PASS"
