#!/usr/bin/env bash
# Hygiene: nothing moat opens leaks into runc or the container (every fd
# O_CLOEXEC), and moat refuses to run on a moat.conf or profile that anyone
# but root could change.
#
# The fd checks use the path that opens the most: a signed image (policy,
# registries.d, key file, gpgme and gpg, the verification cache), a json
# --log file, the audit log and the state directory.
#
# Secrets never reach an output: with a profile giving three secrets (two
# from a plain store, one sealed), in enforce and in audit mode, every
# moat-runtime call runs with runc's --log (json) and --debug: create,
# start, exec (argv, --process, a refused --cap), state, list, kill,
# delete, run, a text --log and stderr alone; creates refused after the
# secrets are read (a missing, an oversized and a tampered secret; runc
# failing after moat delivered them; moat failing after the tmpfs is
# filled); a bundle the profile refuses (enforce) or only records (audit);
# and `moat explain` / `moat verify` of the same bundles. Every stdout,
# stderr and log, the rewritten config.json, the audit log, and copies of
# moat's state_dir (all but the secret files) and of runc's state root are
# collected under $OUT, which is then searched for each value (random per
# run) as is, in hex and in base64; a hit fails with the file's name.
# After `run` (runc deletes the container itself) no secrets directory,
# tmpfs, value or state record of it is left on the host.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
need_root
need_cmd "$RUNC" jq skopeo gpg python3
need_moat_runtime
[[ -x "$MOAT_CLI" ]] || fail "moat CLI not built: $MOAT_CLI"

W="$(tmp_dir work)"
OUT="$W/out"
mkdir -m 0755 "$OUT"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
fake_docker_signed_busybox "$W"
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

echo "== secrets: no value in any output"
# Values new every run; each is searched for as is, in hex, and in base64 at
# the three alignments it can take inside a longer base64 text.
rand() { head -c 24 /dev/urandom | base64 | tr '+/' 'Zz'; }
VALS=("hyg-db-$(rand)" "hyg-cert-$(rand)" "hyg-api-$(rand)")
mkdir -m 0755 "$W/store" "$W/store/db" "$W/sealed" "$W/sprofiles"
printf '%s' "${VALS[0]}" >"$W/store/db/password"
printf '%s' "${VALS[1]}" >"$W/store/cert"
chmod 0600 "$W/store/db/password" "$W/store/cert"
"$MOAT_CLI" secret keygen --out "$W/store.key" >"$OUT/keygen.out" 2>&1 || fail "keygen failed"
printf '%s' "${VALS[2]}" | "$MOAT_CLI" secret seal --key "$W/store.key" --name api-token \
  --out "$W/sealed/api-token" >"$OUT/seal.out" 2>&1 || fail "seal failed"
cp -R "$MOAT_SOURCE_DIR"/profiles/. "$W/sprofiles/"
jq '.secrets = [
  {"store": "vault", "name": "db/password", "target": "/run/secrets/db"},
  {"store": "vault", "name": "cert", "target": "/etc/app/cert", "mode": "0444"},
  {"store": "sealed", "name": "api-token", "target": "/etc/app/api", "uid": 0, "gid": 65534, "mode": "0440"}]' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/sprofiles/withsecrets.json"
chmod 0644 "$W"/sprofiles/*.json
export MOAT_PROFILES_DIR="$W/sprofiles"
# What the container prints: the secrets' digests, which must match.
want_sums="$(for v in "${VALS[@]}"; do printf '%s' "$v" | sha256sum | cut -d' ' -f1; done)"
sums='sha256sum /run/secrets/db /etc/app/cert /etc/app/api | cut -d" " -f1'

# mr DIR NAME ARGS...: moat-runtime ARGS with runc's --log (json) and
# --debug; stdout, stderr and the log all go to DIR/NAME.*. Its status is mr's.
mr() {
  local d="$1" n="$2"
  shift 2
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" --log "$d/$n.log" --log-format json --debug "$@" \
    </dev/null >"$d/$n.out" 2>"$d/$n.err"
}
# cli DIR NAME ARGS...: the moat CLI, output to DIR/NAME.*; 0 or 3 (allow,
# refuse) is fine, anything else a failure.
cli() {
  local d="$1" n="$2" rc=0
  shift 2
  "$MOAT_CLI" "$@" </dev/null >"$d/$n.out" 2>"$d/$n.err" || rc=$?
  ((rc == 0 || rc == 3)) || fail "moat $*: exit $rc: $(cat "$d/$n.err")"
}
# snapshot DIR NAME: moat's state_dir (all but the secret files themselves)
# and runc's state root into DIR/NAME.state/.
snapshot() {
  mkdir -p "$1/$2.state"
  tar -C "$(dirname "$MOAT_CONFIG")/state" --exclude='./secrets/*/fs/*' -cf - . |
    tar -C "$1/$2.state" -xf - || fail "snapshot of the state_dir failed"
  # runc's state.json files (runc's directories also hold a fifo).
  find "$RUNC_ROOT" -name state.json | while read -r f; do
    mkdir -p "$1/$2.state/runc/${f%/state.json}"
    cp "$f" "$1/$2.state/runc/$f"
  done
}
# wait_sums FILE: until FILE holds the container's three digests.
wait_sums() {
  for _ in $(seq 100); do
    [[ "$(grep -c '^[0-9a-f]\{64\}$' "$1")" -ge 3 ]] && break
    sleep 0.1
  done
  assert_eq "$(grep '^[0-9a-f]\{64\}$' "$1" | head -n3)" "$want_sums" "secret digests in $1"
}
# refused_create NAME WANT: in secret_round (its $mode and $o), a create of a
# fresh bundle fails with WANT on stderr; delete --force follows.
refused_create() {
  local n="$1" want="$2" rb="$W/s-$mode-$1" rid
  rid="$(cid "s-$mode-$n")"
  make_bundle "$rb" '["true"]'
  if mr "$o" "$n" create --bundle "$rb" "$rid"; then fail "$mode: $n: create worked"; fi
  grep -qF -- "$want" "$o/$n.err" || fail "$mode: $n: stderr lacks '$want': $(cat "$o/$n.err")"
  cp "$rb/config.json" "$o/$n.config.json"
  mr "$o" "$n-delete" delete --force "$rid" || true
  echo "ok: $mode: $n: $(tail -n1 "$o/$n.err" | cut -c1-160)"
}
# secret_round MODE: the calls the header lists, in enforce or audit MODE, with its own
# moat.conf and state_dir ($W/s-MODE); outputs under $OUT/MODE.
secret_round() {
  local mode="$1" cdir="$W/s-$1" o="$OUT/$1" b id
  mkdir -m 0755 "$o"
  moat_env "$cdir" "$mode" withsecrets
  moat_conf_jq '.secret_stores = {vault: {path: $s}, sealed: {path: $z, key: $k}}' \
    --arg s "$W/store" --arg z "$W/sealed" --arg k "$W/store.key"
  cp "$MOAT_CONFIG" "$o/moat.conf"

  echo "-- $mode: explain, verify, create, start, exec, state, delete"
  b="$W/s-$mode-b"
  id="$(cid "s-$mode")"
  make_bundle "$b" "$(jq -nc --arg p "$sums; sleep 30" '["sh","-c",$p]')"
  cli "$o" explain explain --bundle "$b" --id "$id"
  cli "$o" explain-json explain --bundle "$b" --id "$id" --output json
  cli "$o" verify verify --bundle "$b" --id "$id"
  cli "$o" verify-json verify --bundle "$b" --id "$id" --output json
  mr "$o" create create --bundle "$b" "$id" || fail "$mode: create failed: $(cat "$o/create.err")"
  cp "$b/config.json" "$o/config.json.rewritten"
  jq -e '[.mounts[] | select(.source | contains("/secrets/"))] | length == 3' "$b/config.json" >/dev/null ||
    fail "$mode: the rewrite lacks the secret mounts"
  mr "$o" start start "$id" || fail "$mode: start failed: $(cat "$o/start.err")"
  wait_sums "$o/create.out"
  mr "$o" exec exec "$id" sh -c "$sums" || fail "$mode: exec failed: $(cat "$o/exec.err")"
  wait_sums "$o/exec.out"
  # As the container's own user: 65534 under enforce, 0 (unchanged) under audit.
  jq -n --arg p "$sums" --argjson u "$([[ "$mode" == enforce ]] && echo 65534 || echo 0)" \
    '{args: ["sh","-c",$p], cwd: "/", env: ["PATH=/bin"], user: {uid: $u, gid: $u}}' >"$o/process.json"
  mr "$o" exec-process exec --process "$o/process.json" "$id" || fail "$mode: exec --process failed"
  wait_sums "$o/exec-process.out"
  if mr "$o" exec-cap exec --cap CAP_SYS_ADMIN "$id" true && [[ "$mode" == enforce ]]; then
    fail "$mode: exec --cap CAP_SYS_ADMIN was not refused"
  fi
  mr "$o" state state "$id" || fail "$mode: state failed"
  mr "$o" list list --format json || fail "$mode: list failed"
  snapshot "$o" running
  # The rewritten bundle names moat's secrets directory: explain and verify refuse it.
  cli "$o" explain-after explain --bundle "$b" --id "$id" --output json
  cli "$o" verify-after verify --bundle "$b" --id "$id"
  mr "$o" kill kill "$id" KILL || fail "$mode: kill failed"
  for _ in $(seq 50); do
    [[ "$("$RUNC" --root "$RUNC_ROOT" state "$id" | jq -r .status)" == stopped ]] && break
    sleep 0.1
  done
  mr "$o" delete delete "$id" || fail "$mode: delete failed: $(cat "$o/delete.err")"

  echo "-- $mode: run, a text --log, stderr only"
  b="$W/s-$mode-run"
  make_bundle "$b" "$(jq -nc --arg p "$sums" '["sh","-c",$p]')"
  mr "$o" run run --bundle "$b" "$(cid "s-$mode-run")" || fail "$mode: run failed: $(cat "$o/run.err")"
  wait_sums "$o/run.out"
  # runc deletes a run's container itself: nothing of its secrets may stay
  # on the host once run has returned (no directory, no tmpfs, no value in
  # state_dir, no record).
  local st rid v
  st="$(dirname "$MOAT_CONFIG")/state"
  rid="$(cid "s-$mode-run")"
  [[ ! -e "$st/secrets/$rid" ]] || fail "$mode: after run, $st/secrets/$rid is left"
  [[ -z "$(mounts_under "$st")" ]] || fail "$mode: after run, mounted under state_dir: $(mounts_under "$st")"
  [[ ! -e "$st/containers/$rid.json" ]] || fail "$mode: after run, moat's record of $rid is left"
  for v in "${VALS[@]}"; do
    if grep -rlF -- "$v" "$st" "$RUNC_ROOT"; then fail "$mode: after run, a secret value is on disk (above)"; fi
  done
  b="$W/s-$mode-text"
  make_bundle "$b" '["true"]'
  id="$(cid "s-$mode-text")"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" --log "$o/text.log" --debug create --bundle "$b" "$id" \
    </dev/null >"$o/text.out" 2>"$o/text.err" || fail "$mode: create with a text log failed"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" --debug delete --force "$id" >"$o/stderr-only.out" 2>&1 ||
    fail "$mode: delete failed"

  echo "-- $mode: refusals after secrets are read"
  mv "$W/store/cert" "$W/cert.moved" # the first secret is read, the second is missing
  refused_create missing 'secret "vault/cert": not found'
  mv "$W/cert.moved" "$W/store/cert"
  moat_conf_jq '.secret_max_bytes = 8'
  refused_create oversized 'larger than the limit of 8 bytes'
  moat_conf_jq 'del(.secret_max_bytes)'
  cp "$W/sealed/api-token" "$W/api-token.good"
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-3]^=1; open(p,"wb").write(b)' \
    "$W/sealed/api-token"
  refused_create tampered 'authentication failed'
  cp "$W/api-token.good" "$W/sealed/api-token"
  rm "$W/api-token.good"
  # moat delivers the secrets and rewrites config.json, then runc fails.
  b="$W/s-$mode-nobin"
  id="$(cid "s-$mode-nobin")"
  make_bundle "$b" '["/no/such/binary"]'
  if mr "$o" nobin create --bundle "$b" "$id"; then fail "$mode: create of a missing binary worked"; fi
  cp "$b/config.json" "$o/nobin.config.json"
  mr "$o" nobin-delete delete --force "$id" || fail "$mode: delete --force after runc failed"
  if [[ "$mode" == enforce ]]; then
    # moat fails after the tmpfs is filled and config.json written (saving
    # its record of the container, which audit mode does not keep).
    mv "$cdir/state/containers" "$cdir/state/containers.moved"
    touch "$cdir/state/containers"
    refused_create state-fails "$cdir/state/containers"
    rm "$cdir/state/containers"
    mv "$cdir/state/containers.moved" "$cdir/state/containers"
  fi

  echo "-- $mode: a bundle the profile refuses (no pid namespace)"
  b="$W/s-$mode-nopid"
  id="$(cid "s-$mode-nopid")"
  make_bundle "$b" "$(jq -nc --arg p "$sums" '["sh","-c",$p]')"
  bundle_jq "$b" '.linux.namespaces |= map(select(.type != "pid"))'
  cli "$o" nopid-explain explain --bundle "$b" --id "$id"
  if [[ "$mode" == enforce ]]; then
    if mr "$o" nopid run --bundle "$b" "$id"; then fail "enforce: a bundle without a pid namespace ran"; fi
  else
    mr "$o" nopid run --bundle "$b" "$id" || fail "audit: nopid run failed: $(cat "$o/nopid.err")"
    wait_sums "$o/nopid.out"
  fi
  cp "$b/config.json" "$o/nopid.config.json"
  snapshot "$o" end
  cp "$cdir/audit.log" "$o/audit.log"
  jq -e -s --arg m "$mode" 'length >= 8 and all(.mode == $m) and any(.decision == "deny")' "$o/audit.log" \
    >/dev/null || fail "$mode: the audit log lacks records: $(cat "$o/audit.log")"
}
secret_round enforce
secret_round audit

# forms VALUE: the value, its hex, its base64 at the three alignments (only
# the characters that depend on nothing but the value).
forms() {
  local v="$1" k b start end
  echo "$v"
  printf '%s' "$v" | od -An -tx1 | tr -d ' \n'
  echo
  for k in 0 1 2; do
    b="$(printf '%*s%s' "$k" '' "$v" | base64 -w0)"
    start=$((k == 0 ? 0 : 4))
    # shellcheck disable=SC2017 # whole base64 groups: the truncation is the point
    end=$(((k + ${#v}) / 3 * 4))
    echo "${b:start:end-start}"
  done
}
files="$(find "$OUT" -type f | wc -l)"
((files > 100)) || fail "only $files output files: the collection missed something"
for v in "${VALS[@]}"; do
  while read -r f; do
    if hits="$(grep -rlF -D skip -- "$f" "$OUT")"; then
      fail "a secret value (as '$f') is in: $hits"
    fi
  done < <(forms "$v")
done
echo "ok: no secret value, in hex or base64, in the $files files of $OUT"
echo "PASS"
