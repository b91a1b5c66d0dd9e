#!/usr/bin/env bash
# Secrets through a real, private dockerd with moat-runtime as its runtime:
# `docker run` reads its secrets (owner, mode, read-only, not in the
# environment), a secret scoped to an image goes to that image only, a
# tampered sealed secret refuses the container with the secret's name, and
# after `docker rm` nothing of the secrets remains on the host.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq
need_moat_runtime
MOAT_CLI="$MOAT_BUILD_DIR/cli/moat"
[[ -x "$MOAT_CLI" ]] || fail "moat CLI not built: $MOAT_CLI"

W="$(tmp_dir work)"
VAL_DB="db-$RANDOM$RANDOM-docker"
VAL_API="api-$RANDOM$RANDOM-docker"
VAL_TEAM="team-$RANDOM$RANDOM-docker"
mkdir -m 0755 "$W/store" "$W/sealed"
printf '%s' "$VAL_DB" >"$W/store/db"
printf '%s' "$VAL_TEAM" >"$W/store/team"
"$MOAT_CLI" secret keygen --out "$W/s.key" || fail "keygen failed"
printf '%s' "$VAL_API" >"$W/api.plain"
"$MOAT_CLI" secret seal --key "$W/s.key" --name api --in "$W/api.plain" --out "$W/sealed/api" ||
  fail "seal failed"
rm "$W/api.plain"

mkdir -m 0755 "$W/profiles"
cp -R "$MOAT_SOURCE_DIR"/profiles/seccomp "$W/profiles/" # restricted.json names seccomp/default.json
jq '.secrets = [
  {"store": "vault", "name": "db", "target": "/run/secrets/db"},
  {"store": "sealed", "name": "api", "target": "/run/secrets/api", "mode": "0440"},
  {"store": "vault", "name": "team", "target": "/run/secrets/team", "images": ["docker.io/moat-test/busybox"]}]' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/withsecrets.json"
chmod 0644 "$W/profiles/withsecrets.json"
export MOAT_PROFILES_DIR="$W/profiles"
moat_env "$W/conf" enforce withsecrets
moat_conf_jq '.secret_stores = {vault: {path: $s}, sealed: {path: $z, key: $k}}' \
  --arg s "$W/store" --arg z "$W/sealed" --arg k "$W/s.key"
STATE="$W/conf/state"
start_dockerd moat "$MOAT_RUNTIME"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
docker_import_busybox moat-test/busybox:1
docker_import_busybox moat-test/other:1
run() { docker run --rm --runtime moat --network none "$@"; }

nothing_left() {
  local left
  left="$(find "$STATE/secrets" -mindepth 1 -maxdepth 1 ! -name .lock -printf '%f ' 2>/dev/null || true)"
  [[ -z "$left" ]] || fail "secrets left on the host: $left"
  [[ -z "$(mounts_under "$STATE/secrets")" ]] || fail "a secrets tmpfs is still mounted"
}

echo "== docker run reads its secrets"
probe='for f in /run/secrets/db /run/secrets/api /run/secrets/team; do
  if [ -e $f ]; then echo "$f $(stat -c "%u %g %a" $f) $(cat $f)"; else echo "$f absent"; continue; fi;
  if chmod 0600 $f 2>/dev/null; then echo "$f writable"; else echo "$f read-only"; fi;
  if grep -qF "$(cat $f)" /proc/self/environ; then echo "$f in-environ"; fi;
done'
out="$(run moat-test/busybox:1 sh -c "$probe" 2>&1)" || fail "docker run failed: $out"
echo "$out" | sed -e "s/$VAL_DB/<db>/" -e "s/$VAL_API/<api>/" -e "s/$VAL_TEAM/<team>/"
assert_match "$out" "/run/secrets/db 65534 65534 400 $VAL_DB" "db secret"
assert_match "$out" "/run/secrets/api 65534 65534 440 $VAL_API" "sealed secret"
assert_match "$out" "/run/secrets/team 65534 65534 400 $VAL_TEAM" "image-scoped secret"
[[ "$out" == *writable* ]] && fail "a secret is writable"
[[ "$out" == *in-environ* ]] && fail "a secret is in the environment"
nothing_left

echo "== a secret scoped to an image goes to that image only"
out="$(run moat-test/other:1 sh -c "$probe" 2>&1)" || fail "docker run failed: $out"
assert_match "$out" "/run/secrets/team absent" "scoped secret for another image"
assert_match "$out" "/run/secrets/db 65534 65534 400 $VAL_DB" "unscoped secret for another image"

echo "== after docker rm nothing remains on the host"
cid="$(docker run -d --runtime moat --network none moat-test/busybox:1 sleep 300)"
on_exit "docker rm -f $cid >/dev/null 2>&1 || true"
[[ -f "$STATE/secrets/$cid/fs/0" ]] || fail "no secrets for the running container $cid"
[[ -n "$(mounts_under "$STATE/secrets/$cid/fs")" ]] || fail "no tmpfs for the running container"
assert_eq "$(docker exec "$cid" cat /run/secrets/db)" "$VAL_DB" "docker exec reads the secret"
docker stop -t 1 "$cid" >/dev/null
docker rm "$cid" >/dev/null
nothing_left

echo "== a tampered sealed secret refuses the container, with the secret's name"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' \
  "$W/sealed/api"
if out="$(run moat-test/busybox:1 true 2>&1)"; then fail "docker run with a tampered secret worked"; fi
echo "$out"
[[ "$out" == *'secret "sealed/api"'*'authentication failed'* ]] || fail "refusal lacks the secret's name"
[[ "$out" == *"$VAL_API"* ]] && fail "the refusal shows the value"
nothing_left

echo "== the values are nowhere but in the stores"
for v in "$VAL_DB" "$VAL_API" "$VAL_TEAM"; do
  if grep -rlF --exclude-dir=store --exclude-dir=sealed "$v" "$W/conf" "$DOCKERD_DIR/x" \
    "$DOCKERD_DIR/root/containers" "$DOCKERD_DIR/dockerd.log" 2>/dev/null; then
    fail "a secret value was found in moat's or docker's state or logs"
  fi
done
echo "PASS"
