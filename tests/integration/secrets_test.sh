#!/usr/bin/env bash
# Secrets through moat-runtime in front of the real runc: a plain store and a
# sealed store; the container reads each secret at its target with the right
# owner and mode, cannot write or chmod it, and does not see it in its
# environment; delete (and delete --force, a failed create, the sweep of a
# crash leftover) leaves no mount and no directory; a missing, oversized,
# escaping or tampered secret refuses the create with its name; the values
# never reach logs, the audit log, state or config.json.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq
need_moat_runtime
MOAT_CLI="$MOAT_BUILD_DIR/cli/moat"
[[ -x "$MOAT_CLI" ]] || fail "moat CLI not built: $MOAT_CLI"

W="$(tmp_dir work)"
on_exit runc_delete_all "$RUNC_ROOT"
moat() { "$MOAT_RUNTIME" --root "$RUNC_ROOT" "$@"; }

# Values the test later searches for everywhere they must not be.
VAL_DB="db-$RANDOM$RANDOM-plain"
VAL_API="api-$RANDOM$RANDOM-sealed"
VAL_ENV="env-$RANDOM$RANDOM-optin"

echo "== stores: a plain directory and a sealed one"
mkdir -m 0755 "$W/store" "$W/store/db" "$W/sealed"
printf '%s' "$VAL_DB" >"$W/store/db/password"
printf '%s' "$VAL_ENV" >"$W/store/token"
chmod 0600 "$W/store/db/password" "$W/store/token"
"$MOAT_CLI" secret keygen --out "$W/store.key" || fail "keygen failed"
assert_eq "$(stat -c '%a %s' "$W/store.key")" "600 32" "key mode and size"
if "$MOAT_CLI" secret keygen --out "$W/store.key" 2>/dev/null; then fail "keygen replaced a key"; fi
printf '%s' "$VAL_API" | "$MOAT_CLI" secret seal --key "$W/store.key" --name api-token \
  --out "$W/sealed/api-token" || fail "seal failed"
grep -qF "$VAL_API" "$W/sealed/api-token" && fail "the sealed file holds the plaintext"
assert_eq "$(head -c 8 "$W/sealed/api-token")" moatseal "sealed file magic"

# A profile: restricted plus secrets (the container runs as 65534).
mkdir -m 0755 "$W/profiles"
cp -R "$MOAT_SOURCE_DIR"/profiles/. "$W/profiles/" # the profiles and their seccomp files
jq '.secrets = [
  {"store": "vault", "name": "db/password", "target": "/run/secrets/db"},
  {"store": "sealed", "name": "api-token", "target": "/etc/app/api", "uid": 0, "gid": 65534, "mode": "0440"}]' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/withsecrets.json"
jq '.secrets = [{"store": "vault", "name": "token", "env": "APP_TOKEN", "target": "/run/secrets/token"}]' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/envsecret.json"
chmod 0644 "$W"/profiles/*.json
export MOAT_PROFILES_DIR="$W/profiles"
set_stores() {
  moat_conf_jq '.secret_stores = {vault: {path: $s}, sealed: {path: $z, key: $k}}' \
    --arg s "$W/store" --arg z "$W/sealed" --arg k "$W/store.key"
}
moat_env "$W/conf" enforce withsecrets
set_stores
STATE="$W/conf/state"

# no_secrets_left ID: no mount and no directory for ID's secrets.
no_secrets_left() {
  [[ -z "$(mounts_under "$STATE/secrets/$1")" ]] || fail "$1: secrets tmpfs still mounted"
  [[ ! -e "$STATE/secrets/$1" ]] || fail "$1: $STATE/secrets/$1 left: $(ls -la "$STATE/secrets/$1")"
}

echo "== the container reads its secrets at their targets, read-only, not in its environment"
probe='for f in /run/secrets/db /etc/app/api; do
  echo "$f $(stat -c "%u %g %a" $f) $(cat $f)";
  if chmod 0600 $f 2>/dev/null || echo x 2>/dev/null >>$f; then echo "$f writable"; else echo "$f read-only"; fi;
  if grep -qF "$(cat $f)" /proc/self/environ; then echo "$f in-environ"; else echo "$f not-in-environ"; fi;
done; grep -E " /run/secrets/db | /etc/app/api " /proc/self/mountinfo; id -u; sleep 300'
B="$W/b1"
make_bundle "$B" "$(jq -nc --arg p "$probe" '["sh","-c",$p]')"
id="$(new_id sec)"
moat --log "$W/runc.log" --log-format json create --bundle "$B" "$id" >"$W/out1" 2>&1 </dev/null ||
  fail "create failed: $(cat "$W/out1")"
[[ -n "$(mounts_under "$STATE/secrets/$id/fs")" ]] || fail "no secrets tmpfs mounted"
assert_eq "$(stat -c '%a %U' "$STATE/secrets/$id/fs")" "700 root" "tmpfs mode"
grep -E " $STATE/secrets/$id/fs " /proc/self/mountinfo | grep -q 'tmpfs moat-secrets' || fail "not a tmpfs"
grep -E " $STATE/secrets/$id/fs " /proc/self/mountinfo | grep -q 'noswap' ||
  echo "note: the kernel took no noswap option"
jq -e --arg d "$STATE/secrets/$id/fs/" '[.mounts[] | select(.source | startswith($d))] |
  length == 2 and all(.options == ["bind","ro","nosuid","nodev","noexec"])' "$B/config.json" >/dev/null ||
  fail "config.json lacks the secret mounts: $(jq -c .mounts "$B/config.json")"
moat start "$id" || fail "start failed"
# The probe writes to the stdout create handed it ($W/out1); it ends with `id -u`.
for _ in $(seq 100); do
  grep -qx 65534 "$W/out1" && break
  sleep 0.1
done
out="$(cat "$W/out1")"
echo "$out" | sed -e "s/$VAL_DB/<db value>/" -e "s/$VAL_API/<api value>/"
assert_match "$out" "/run/secrets/db 65534 65534 400 $VAL_DB" "db secret: owner, mode, value"
assert_match "$out" "/etc/app/api 0 65534 440 $VAL_API" "sealed secret: owner, mode, value"
assert_match "$out" '/run/secrets/db read-only' "db secret read-only"
assert_match "$out" '/etc/app/api read-only' "api secret read-only"
assert_match "$out" '/run/secrets/db not-in-environ' "db secret not in environ"
assert_match "$out" '/etc/app/api not-in-environ' "api secret not in environ"
assert_match "$out" ' /run/secrets/db ro,nosuid,nodev,noexec' "db mount options"
tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" '.id == $id and .decision == "allow" and
  (.changes | any(test("secret \"vault/db/password\" at /run/secrets/db \\(uid 65534, gid 65534, mode 0400")))
  and (has("warnings") | not)' >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== a create while it runs keeps its secrets (the sweep spares live containers)"
B2="$W/b2"
make_bundle "$B2" '["true"]'
id2="$(new_id sec2)"
moat create --bundle "$B2" "$id2" >/dev/null 2>&1 </dev/null || fail "second create failed"
[[ -f "$STATE/secrets/$id/fs/0" ]] || fail "the sweep removed a live container's secrets"
moat delete --force "$id2" || fail "delete --force failed"
no_secrets_left "$id2"

echo "== a bind mount of moat's secrets, a store or a key is refused"
for src in "$STATE/secrets/$id/fs/0" "$STATE" "$W/store" "$W/store.key" /; do
  b="$W/expose-${#src}"
  make_bundle "$b" '["true"]'
  bundle_jq "$b" '.mounts += [{destination: "/x", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$src"
  if out="$(moat create --bundle "$b" "$(new_id expose)" 2>&1 </dev/null)"; then fail "bind of $src accepted"; fi
  assert_match "$out" "bind mount of $src exposes (moat's secrets directory|secret store \"vault\"|the key of secret store \"sealed\")" \
    "refusal of a bind of $src"
done

echo "== delete leaves nothing"
if moat delete "$id" >/dev/null 2>&1; then fail "runc deleted a running container"; fi
[[ -f "$STATE/secrets/$id/fs/0" ]] || fail "secrets removed although runc refused the delete"
moat kill "$id" KILL
for _ in $(seq 50); do
  [[ "$(moat state "$id" | jq -r .status)" == stopped ]] && break
  sleep 0.1
done
moat delete "$id" || fail "delete failed"
no_secrets_left "$id"

echo "== env opt-in: the value is in the environment, and the audit record warns"
moat_conf_jq '.default_profile = "envsecret"'
B3="$W/b3"
make_bundle "$B3" '["sh","-c","echo \"$APP_TOKEN\"; cat /run/secrets/token"]'
id3="$(new_id env)"
out="$(moat run --bundle "$B3" "$id3" 2>"$W/env.err" </dev/null)" || fail "env run failed: $(cat "$W/env.err")"
assert_eq "$out" "$VAL_ENV"$'\n'"$VAL_ENV" "env and file value"
grep -q 'secret "vault/token" is in process.env as APP_TOKEN' "$W/env.err" || fail "no warning on stderr"
tail -n1 "$W/conf/audit.log" | jq -e '.warnings | length == 1 and (.[0] | test("in process.env as APP_TOKEN"))' \
  >/dev/null || fail "no env warning: $(tail -n1 "$W/conf/audit.log")"
grep -F "$VAL_ENV" "$W/conf/audit.log" && fail "env secret value in the audit log"
moat_conf_jq '.default_profile = "withsecrets"'

# run_true: `moat run` of a fresh bundle running `true` (a bundle moat has
# given secrets to names moat's secrets directory in its mounts, which a
# later create refuses: engines make a new bundle for every create).
run_true() {
  local b id
  id="$(new_id run)"
  b="$W/true-$id"
  make_bundle "$b" '["true"]'
  out="$(moat run --bundle "$b" "$id" 2>&1 </dev/null)" || fail "run failed: $out"
}

echo "== runc run removes its container itself, and moat its secrets when run ends"
no_secrets_left "$id3"

echo "== a crash leftover (mounted tmpfs, creator gone) is swept by the next create"
ghost="ghost-$$"
mkdir -m 0700 "$STATE/secrets/$ghost" "$STATE/secrets/$ghost/fs"
sh -c 'exit 0' &
gone_pid=$!
wait "$gone_pid"
jq -nc --arg r "$RUNC_ROOT" --argjson p "$gone_pid" '{root: $r, pid: $p, start: "1"}' \
  >"$STATE/secrets/$ghost/owner"
mount -t tmpfs -o mode=0700 moat-secrets "$STATE/secrets/$ghost/fs"
echo leftover >"$STATE/secrets/$ghost/fs/0"
mkdir -m 0700 "$STATE/secrets/half-$$" # a crash before the owner record
run_true
no_secrets_left "$ghost"
no_secrets_left "half-$$"

echo "== runc create fails after moat made the secrets: delete --force, or the sweep, removes them"
B5="$W/b5"
make_bundle "$B5" '["/no/such/binary"]'
id5="$(new_id fail)"
if moat create --bundle "$B5" "$id5" >/dev/null 2>&1 </dev/null; then fail "create of a missing binary worked"; fi
moat delete --force "$id5" || fail "delete --force of a failed create failed"
no_secrets_left "$id5"
id5b="$(new_id fail)"
if moat create --bundle "$B5" "$id5b" >/dev/null 2>&1 </dev/null; then fail "create of a missing binary worked"; fi
run_true
no_secrets_left "$id5b"

echo "== moat fails halfway (after the tmpfs is filled): nothing is left"
moat_env "$W/half" enforce withsecrets
set_stores
touch "$W/half/state/containers" # SaveContainerState fails after config.json is written
id6="$(new_id half)"
B6="$W/b6"
make_bundle "$B6" '["true"]'
if out="$(moat create --bundle "$B6" "$id6" 2>&1 </dev/null)"; then fail "create worked"; fi
echo "$out"
STATE="$W/half/state" no_secrets_left "$id6"
"$RUNC" --root "$RUNC_ROOT" state "$id6" >/dev/null 2>&1 && fail "a container exists"
moat_env "$W/conf" enforce withsecrets
set_stores

echo "== refusals name the secret, never its value; nothing is left"
refuse() {
  local what="$1" want="$2" id out
  id="$(new_id refuse)"
  make_bundle "$W/r-$what" '["true"]'
  if out="$(moat --log "$W/r-$what.log" --log-format json create --bundle "$W/r-$what" "$id" 2>&1 </dev/null)"; then
    fail "$what: create worked"
  fi
  echo "ok: $what: $out"
  [[ "$out" == *"$want"* ]] || fail "$what: output lacks '$want'"
  runc_json_log_has "$W/r-$what.log" 'refused: secret' || fail "$what: runc log lacks the refusal"
  tail -n1 "$W/conf/audit.log" | jq -e --arg id "$id" '.id == $id and .decision == "deny"' >/dev/null ||
    fail "$what: audit record: $(tail -n1 "$W/conf/audit.log")"
  "$RUNC" --root "$RUNC_ROOT" state "$id" >/dev/null 2>&1 && fail "$what: a container exists"
  no_secrets_left "$id"
}
cp "$W/sealed/api-token" "$W/api-token.good"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[30]^=1; open(p,"wb").write(b)' \
  "$W/sealed/api-token"
refuse tampered 'secret "sealed/api-token": '"$W/sealed/api-token: authentication failed"
printf '%s' "$VAL_API" | "$MOAT_CLI" secret seal --key "$W/store.key" --name other-name --out "$W/sealed/api-token"
refuse renamed 'secret "sealed/api-token"'
cp "$W/api-token.good" "$W/sealed/api-token"
mv "$W/store/db/password" "$W/password.moved"
refuse missing 'secret "vault/db/password": not found in '"$W/store"
ln -s /etc/shadow "$W/store/db/password"
refuse escaping 'leads out of the store'
rm "$W/store/db/password"
ln -s ../token "$W/store/db/password" # inside the store: followed
moat_conf_jq '.secret_max_bytes = 4'
refuse oversized 'secret "vault/db/password": larger than the limit of 4 bytes'
moat_conf_jq '.secret_max_bytes = 1048576'
rm "$W/store/db/password"
mv "$W/password.moved" "$W/store/db/password"

echo "== audit mode delivers secrets too, owned by the uid the container really runs as"
moat_env "$W/audit" audit withsecrets
set_stores
B7="$W/b7"
make_bundle "$B7" '["sh","-c","id -u; stat -c \"%u %a\" /run/secrets/db; cat /run/secrets/db"]'
out="$(moat run --bundle "$B7" "$(new_id audit)" 2>&1 </dev/null)" || fail "audit run failed: $out"
assert_eq "$out" "0"$'\n'"0 400"$'\n'"$VAL_DB" "audit mode: uid, owner, value"
tail -n1 "$W/audit/audit.log" | jq -e '.mode == "audit" and .decision == "allow" and
  (.changes | any(test("secret \"vault/db/password\" at /run/secrets/db \\(uid 0, gid 0, mode 0400")))
  and (.changes | any(test("process.user: uid 0")))' >/dev/null ||
  fail "audit-mode record: $(tail -n1 "$W/audit/audit.log")"

echo "== a create under a profile without secrets sweeps what runc run left"
for conf in "$W/conf" "$W/audit"; do
  moat_env "$conf" enforce restricted
  run_true
  assert_eq "$(ls -A "$conf/state/secrets")" .lock "$conf/state/secrets after the sweep"
  [[ -z "$(mounts_under "$conf/state/secrets")" ]] || fail "a secrets tmpfs is left under $conf"
done

echo "== the values are nowhere but in the stores"
for v in "$VAL_DB" "$VAL_API"; do
  # out1 is what the container printed.
  if grep -rlF --exclude-dir=store --exclude-dir=sealed --exclude='*.good' --exclude='*.moved' \
    --exclude='out1' "$v" "$W" "$RUNC_ROOT"; then
    fail "a secret value was found outside the stores"
  fi
done
grep -rlF "$VAL_ENV" "$W" --exclude-dir=store --exclude-dir=b3 | grep -v '^$' &&
  fail "the env secret's value was found outside its store and its opted-in config.json"
echo "PASS"
