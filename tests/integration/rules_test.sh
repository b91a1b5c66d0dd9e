#!/usr/bin/env bash
# moat.conf rules end to end: a private registry, two GPG keys (infra, app),
# a private dockerd with moat as runtime. The image signed by the infra key
# gets the infra profile (host network); the same bits under a name the policy
# accepts unsigned, and the app image, get restricted; a Docker label asking
# for infra changes nothing; an exception for one digest lets a writable host
# bind through until its `until`, and the same create is refused after it,
# naming the exception; an exception that lets an image's root user stay root
# holds for `docker exec` too while it lasts, and no longer once moat.conf
# drops it; a warn-mode rule lets a refused container run and says so in the
# audit record.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq curl skopeo gpg docker-registry
need_moat_runtime

W="$(tmp_dir work)"
start_registry "$W/registry"

echo "== keys, profiles (restricted, and infra: restricted with host namespaces)"
gpg_signing_key "$W/gnupg" 'moat app' app@moat.test
APP_FPR="$FPR"
cp "$W/gnupg.app@moat.test.gpg" "$W/app.gpg"
gpg_signing_key "$W/gnupg" 'moat infra' infra@moat.test
INFRA_FPR="$FPR"
cp "$W/gnupg.infra@moat.test.gpg" "$W/infra.gpg"
mkdir -m 0755 "$W/profiles"
cp -r "$MOAT_SOURCE_DIR/profiles/." "$W/profiles/"
jq '.deny.host_namespaces = false | .description = "infra agents: host network"' \
  "$MOAT_SOURCE_DIR/profiles/restricted.json" >"$W/profiles/infra.json"
chmod -R go-w "$W/profiles"
export MOAT_PROFILES_DIR="$W/profiles"

moat_env "$W/conf" enforce restricted
start_dockerd rules "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
LOOK="$W/lookaside"
cat >"$W/conf/registries.d/local.yaml" <<EOF
docker:
  $REG:
    lookaside: file://$LOOK
EOF
chmod 0644 "$W/conf/registries.d/local.yaml"
jq -n --arg reg "$REG" --arg a "$W/app.gpg" --arg i "$W/infra.gpg" '
  {default: [{type: "reject"}],
   transports: {docker: {
     ($reg + "/moat"): [{type: "signedBy", keyType: "GPGKeys", keyPaths: [$a, $i]}],
     ($reg + "/open"): [{type: "insecureAcceptAnything"}]}}}' >"$W/conf/policy.json"
chmod 0644 "$W/conf/policy.json"

# publish NAME KEY: busybox as $REG/moat/NAME:1, signed by KEY; its digest in $DIGEST.
publish() {
  local img="$REG/moat/$1:1"
  publish_busybox "$img" "$W/$1.manifest"
  mkdir -p "$LOOK/moat/$1@sha256=${DIGEST#sha256:}"
  skopeo standalone-sign -o "$LOOK/moat/$1@sha256=${DIGEST#sha256:}/signature-1" \
    "$W/$1.manifest" "$img" "$2"
}
publish agent "$INFRA_FPR"
AGENT="$REG/moat/agent:1"
publish app "$APP_FPR"
APP="$REG/moat/app:1"
APP_DIGEST="$DIGEST"

moat_conf_jq '.rules = [
    {name: "label-infra", match: {labels: {"moat.profile": "infra"}}, profile: "infra"},
    {name: "infra", match: {signer: {type: "signedBy", key: $infra}}, profile: "infra"},
    {name: "apps", match: {engine: "docker"}, profile: "restricted"}]' --arg infra "$INFRA_FPR"

run() { docker run --rm --runtime moat "$@"; }
last_audit() { tail -n1 "$W/conf/audit.log"; }
refused() {
  local want="$1" out
  shift
  if out="$(run "$@" true 2>&1)"; then fail "docker run $* ran: $out"; fi
  [[ "$out" == *"$want"* ]] || fail "docker run $*: output lacks '$want': $out"
  echo "ok: refused: ${out#*OCI runtime create failed: }" | cut -c1-300
}

echo "== the infra-signed image gets infra: host network"
out="$(run --network host "$AGENT" id -u 2>&1)" || fail "infra image on the host network refused: $out"
assert_eq "$out" 65534 "uid under infra"
last_audit | jq -e --arg f "$INFRA_FPR" '.rule == "infra" and .profile == "infra" and .decision == "allow"' \
  >/dev/null || fail "audit record: $(last_audit)"
"$MOAT_CLI" profile rules >/dev/null || fail "moat profile rules: $("$MOAT_CLI" profile rules 2>&1)"

echo "== the same bits under an unsigned-but-accepted name get restricted"
docker tag "$AGENT" "$REG/open/agent:1"
refused "the host's network namespace" --network host "$REG/open/agent:1"
last_audit | jq -e '.rule == "apps" and .profile == "restricted" and .decision == "deny"' >/dev/null ||
  fail "audit record: $(last_audit)"

echo "== side-loaded under the signed name: refused (no registry manifest, no signer)"
docker save "$AGENT" -o "$W/agent.tar"
docker rmi -f "$AGENT" "$REG/open/agent:1" >/dev/null
docker load -q -i "$W/agent.tar" >/dev/null
refused 'no registry manifest of this image is on the host' --network host "$AGENT"
docker rmi -f "$AGENT" >/dev/null

echo "== the app image gets restricted; a label asking for infra changes nothing"
refused "the host's network namespace" --network host "$APP"
refused "the host's network namespace" --network host --label moat.profile=infra "$APP"
last_audit | jq -e '.rule == "apps" and .profile == "restricted"' >/dev/null ||
  fail "a label chose the profile: $(last_audit)"

echo "== an exception for one digest lets a writable host bind through until it expires"
mkdir -p /etc/moat-rules-test-$$
on_exit rmdir "/etc/moat-rules-test-$$"
refused 'host' -v "/etc:/hostetc" "$APP"
until="$(date -u -d '+25 seconds' +%Y-%m-%dT%H:%M:%SZ)"
moat_conf_jq '.exceptions = [{name: "app-etc", match: {digest: $d},
    grants: {deny: {host_paths: false}}, reason: "reads host config", ticket: "OPS-7",
    until: $u}]' --arg d "$APP_DIGEST" --arg u "$until"
out="$(run -v "/etc:/hostetc" "$APP" ls -d /hostetc/moat-rules-test-$$ 2>&1)" ||
  fail "create under the exception refused: $out"
last_audit | jq -e '.exceptions == ["app-etc"] and .decision == "allow"' >/dev/null ||
  fail "audit record lacks the exception: $(last_audit)"
refused "the host's network namespace" --network host "$REG/moat/app:1"  # grants only what it names
while [[ "$(date -u +%s)" -le "$(date -u -d "$until" +%s)" ]]; do sleep 1; done
refused 'exception "app-etc" (reads host config, OPS-7) expired at' -v "/etc:/hostetc" "$APP"
last_audit | jq -e '.expired_exceptions == ["app-etc"] and .decision == "deny"' >/dev/null ||
  fail "audit record: $(last_audit)"
if "$MOAT_CLI" profile rules 2>"$W/lint.err"; then fail "lint passed an expired exception"; fi
grep -q 'exceptions\[0\] ("app-etc"): expired at' "$W/lint.err" || fail "lint: $(cat "$W/lint.err")"

echo "== docker exec is held to the exceptions create applied, while moat.conf has them"
moat_conf_jq '.exceptions += [{name: "app-root", match: {digest: $d}, grants: {user: {root: "allow"}},
    reason: "installs packages", until: $u}]' --arg d "$APP_DIGEST" \
  --arg u "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
cid="$(docker run -d --runtime moat "$APP" sleep 600)"
assert_eq "$(docker exec "$cid" id -u)" 0 "uid of docker exec under the exception"
last_audit | jq -e '.verb == "exec" and .rule == "apps" and .exceptions == ["app-root"]' >/dev/null || fail "exec audit record: $(last_audit)"
moat_conf_jq 'del(.exceptions[1])'
assert_eq "$(docker exec "$cid" id -u)" 65534 "uid of docker exec once the exception is gone"
docker rm -f "$cid" >/dev/null

echo "== a warn-mode rule lets a refused container run, and says so"
moat_conf_jq '.rules[2].mode = "warn"'
out="$(run -v "/etc:/hostetc" "$APP" id -u 2>&1)" || fail "warn mode refused: $out"
assert_eq "$(tail -n1 <<<"$out")" 65534 "uid under warn (the profile's changes are made)"
[[ "$out" == *'warn mode (rule apps), enforce would refuse: profile "restricted": mounts['*"/etc is the host's /etc and profile \"restricted\" grants no host path there"* ]] ||
  fail "docker run's output lacks the warning: $out"
last_audit | jq -e '.mode == "warn" and .decision == "warn" and .rule == "apps" and
  (.reasons | length) > 0' >/dev/null || fail "audit record: $(last_audit)"
echo "== moat explain of a warned container's bundle says warn and names the rule"
cid="$(docker run -d --runtime moat -v "/etc:/hostetc" "$APP" sleep 600)"
bundle="$(dirname "$(find "$DOCKERD_DIR" -path "*/moby/$cid/config.json" | head -n1)")"
grep -q 'warn mode (rule apps), enforce would refuse' "$bundle/log.json" ||
  fail "runtime log lacks the warning: $(cat "$bundle/log.json")"
"$MOAT_CLI" explain --bundle "$bundle" --id "$cid" --output json |
  jq -e '.mode == "warn" and .rule == "apps" and (.rules_skipped | length) == 2' >/dev/null ||
  fail "moat explain: $("$MOAT_CLI" explain --bundle "$bundle" --id "$cid" 2>&1)"
"$MOAT_CLI" explain --bundle "$bundle" --id "$cid" --at "$(date -u -d "$until - 5 seconds" +%Y-%m-%dT%H:%M:%SZ)" --output json |
  jq -e '.exceptions[0].name == "app-etc"' >/dev/null || fail "moat explain --at before the expiry"
docker rm -f "$cid" >/dev/null
echo "PASS"
