#!/usr/bin/env bash
# shellcheck disable=SC2154  # P, ISSUER, EMAIL, FULCIO: set by keyless_setup
# The whole road of a cosign keyless signature, offline at create: an image in
# Debian's docker-registry on 127.0.0.1, a keyless signature pushed beside it
# as cosign lays it out ("sha256-<hex>.sig", one simple-signing layer with the
# signature, Fulcio certificate, chain and Rekor bundle annotations; the
# material from keyless_lib.sh, made with openssl), `moat trust pull` storing
# it in the lookaside, and a private dockerd running the image through moat
# under the policy podman or CRI-O would take unchanged (fulcio +
# rekorPublicKeyPath, matchRepository). The registry is then stopped: the
# create needs no network. A wrong subjectEmail in the policy refuses, naming
# the check.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/keyless_lib.sh"
need_root
need_cmd dockerd containerd jq docker-registry openssl python3 base64 sha256sum
need_moat_runtime
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI (set MOAT_BUILD_DIR)"
push() { python3 "$MOAT_SOURCE_DIR/tests/tools/oci_push.py" "$REG" moat/busybox "$@"; }

W="$(tmp_dir work)"
start_registry "$W/registry"
moat_env "$W/conf" enforce restricted
start_dockerd keyless "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
IMG="$REG/moat/busybox:1"
publish_busybox "$IMG" "$W/manifest.json"
HEX="${DIGEST#sha256:}"
echo "image $IMG = $DIGEST"

# keyless_lib signs $REF for $FAKE_MANIFEST_DIGEST; cosign signs the repository.
REF="$REG/moat/busybox"
FAKE_MANIFEST_DIGEST="$DIGEST"
keyless_setup "$W"
LOOK="$W/lookaside"
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$LOOK" >"$W/conf/registries.d/local.yaml"
chmod 0644 "$W/conf/registries.d/local.yaml"
SIGDIR="$LOOK/moat/busybox@sha256=$HEX"
scoped_policy() { # scoped_policy JQ_REQUIREMENT: required for $REG/moat, all else rejected
  jq -n --arg ca "$P/root.pem" --arg rekor "$P/rekor.pub" --arg issuer "$ISSUER" \
    --arg email "$1" --arg scope "$REG/moat" \
    "{default: [{type: \"reject\"}], transports: {docker: {(\$scope): [$FULCIO + {signedIdentity: {type: \"matchRepository\"}}]}}}" \
    >"$W/conf/policy.json"
  chmod 0644 "$W/conf/policy.json"
}
scoped_policy "$EMAIL"

echo "== the keyless signature pushed as cosign does: sha256-$HEX.sig"
keyless_sig "$W/keyless.sig" leaf
tail -c +16 "$W/keyless.sig" | jq -r .payload | base64 -d >"$W/payload.json"
tail -c +16 "$W/keyless.sig" | jq --arg f "$W/payload.json" \
  '{layers: [{file: $f, mediaType: .mimeType, annotations: .annotations}]}' >"$W/sig.spec"
push "sha256-$HEX.sig" "$W/sig.spec" >/dev/null

run() { docker run --rm --runtime moat --network none "$IMG" id -u 2>&1; }
out="$(run)" && fail "ran before the pull: $out"
assert_match "$out" "no signatures in $SIGDIR" "refused before the pull"

echo "== moat trust pull stores it as containers/image would"
out="$("$MOAT_CLI" trust pull "$IMG")" || fail "moat trust pull: $out"
echo "$out"
head -c 15 "$SIGDIR/signature-1" | cmp -s - <(printf '\0sigstore-json\n') || fail "signature-1 is not sigstore-json"
jq -e --slurpfile want <(tail -c +16 "$W/keyless.sig") '. == $want[0]' <(tail -c +16 "$SIGDIR/signature-1") >/dev/null ||
  fail "stored signature differs from what was signed: $(cat "$SIGDIR/signature-1")"

echo "== the registry is stopped: create is offline"
kill "$REG_PID"
wait "$REG_PID" 2>/dev/null || true
out="$(run)" || fail "keyless-signed image refused: $out"
assert_eq "$out" 65534 "uid"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.trusted == "yes"' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"
echo "ok: allowed: $(tail -n1 "$W/conf/audit.log" | jq -c '.image.signers // .image.how // .image')" | cut -c1-300

echo "== another subject in the policy: refused, the check named"
scoped_policy someone-else@moat.test
out="$(run)" && fail "ran for another subjectEmail: $out"
assert_match "$out" "someone-else@moat.test" "the subject named"
echo "ok: refused: ${out#*OCI runtime create failed: }" | cut -c1-300
echo PASS
