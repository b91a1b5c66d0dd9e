#!/usr/bin/env bash
# moat trust pull end to end, against Debian's docker-registry on 127.0.0.1:
# an image pushed by a private dockerd, then what cosign pushes beside it,
# laid out exactly as cosign does (tests/tools/oci_push.py builds the
# manifests and blobs): "sha256-<hex>.sig" with an openssl-made sigstore
# signature layer, "sha256-<hex>.att" with a DSSE vuln attestation made by
# `moat verdict import`, and a referrers-tag index (docker-registry 2.8 has no
# referrers API) listing a sigstore bundle moat cannot convert. `moat trust
# pull` stores the signature in the lookaside and the attestation in the
# verdict store; the image is refused under a sigstoreSigned policy before
# the pull and runs after it (signedIdentity matchRepository: cosign signs the
# repository, not the tag). A registry that is down is a clear error.
# Credentials: a token realm (tests/tools/token_proxy.py in front of the
# registry, the distribution spec's Bearer flow) and Basic, from --authfile
# and ~/.docker/config.json. fetch_on_miss: a create with no signature stored
# runs `moat trust pull` and is allowed; a fetch that times out or finds the
# registry down is a refusal, and the audit record names the fetch.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq curl docker-registry openssl python3 base64 sha256sum
need_moat_runtime
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI (set MOAT_BUILD_DIR)"
moat() { "$MOAT_CLI" "$@"; }
push() { python3 "$MOAT_SOURCE_DIR/tests/tools/oci_push.py" "$REG" moat/busybox "$@"; }
FIX="$MOAT_SOURCE_DIR/tests/fixtures/verdicts"

W="$(tmp_dir work)"
start_registry "$W/registry"
echo "registry at $REG"
moat_env "$W/conf" enforce restricted
start_dockerd pull "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
IMG="$REG/moat/busybox:1"
publish_busybox "$IMG" "$W/manifest.json"
HEX="${DIGEST#sha256:}"
echo "image $IMG = $DIGEST"

echo "== keys, policy, registries.d, verdict store"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/cosign.key"
openssl pkey -in "$W/cosign.key" -pubout -out "$W/cosign.pub"
chmod 0644 "$W/cosign.pub"
mkdir -m 0755 "$W/keys" "$W/store"
moat verdict keygen --out "$W/keys/scanner" >/dev/null
jq -n --arg reg "$REG" --arg key "$W/cosign.pub" '
  {default: [{type: "reject"}],
   transports: {docker: {($reg + "/moat"): [{type: "sigstoreSigned", keyPath: $key, signedIdentity: {type: "matchRepository"}}]}}}' \
  >"$W/conf/policy.json"
LOOK="$W/lookaside"
cat >"$W/conf/registries.d/local.yaml" <<EOF2
docker:
  $REG:
    lookaside: file://$LOOK
EOF2
chmod 0644 "$W/conf/registries.d/local.yaml"
SIGDIR="$LOOK/moat/busybox@sha256=$HEX"

run() { docker run --rm --runtime moat --network none "$@"; }
refused() {
  local want="$1" out
  shift
  if out="$(run "$@" id -u 2>&1)"; then fail "docker run $* ran: $out"; fi
  [[ "$out" == *"$want"* ]] || fail "docker run $*: output lacks '$want': $out"
  echo "ok: refused: ${out#*OCI runtime create failed: }" | cut -c1-300
}

echo "== before any pull: refused (no signature stored)"
refused "no signatures in $SIGDIR" "$IMG"

echo "== what cosign pushes: .sig, .att, a referrers-tag index"
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$REG/moat/busybox" "$DIGEST" >"$W/payload.json"
openssl dgst -sha256 -sign "$W/cosign.key" -out "$W/payload.sig" "$W/payload.json"
openssl dgst -sha256 -verify "$W/cosign.pub" -signature "$W/payload.sig" "$W/payload.json" >/dev/null ||
  fail "openssl does not verify its own signature"
jq -n --arg f "$W/payload.json" --arg s "$(base64 -w0 "$W/payload.sig")" '
  {layers: [{file: $f, mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
             annotations: {"dev.cosignproject.cosign/signature": $s}}]}' >"$W/sig.spec"
push "sha256-$HEX.sig" "$W/sig.spec" >/dev/null

moat verdict import --from trivy "$FIX/trivy-clean.json" --image "$DIGEST" --key "$W/keys/scanner.key" \
  --name "$REG/moat/busybox" --scanned-at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --output "$W/att.json" >/dev/null ||
  fail "moat verdict import --output failed"
jq -n --arg f "$W/att.json" '
  {layers: [{file: $f, mediaType: "application/vnd.dsse.envelope.v1+json",
             annotations: {predicateType: "https://cosign.sigstore.dev/attestation/vuln/v1"}}]}' \
  >"$W/att.spec"
push "sha256-$HEX.att" "$W/att.spec" >/dev/null

# A sigstore bundle v0.3 with a messageSignature, as cosign's new bundle
# format attaches one (artifactType application/vnd.dev.sigstore.bundle.v0.3+json).
jq -n --arg d "$(openssl dgst -sha256 -binary "$W/payload.json" | base64 -w0)" \
  --arg s "$(base64 -w0 "$W/payload.sig")" '
  {mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
   verificationMaterial: {publicKey: {hint: "k"}},
   messageSignature: {messageDigest: {algorithm: "SHA2_256", digest: $d}, signature: $s}}' \
  >"$W/bundle.json"
msize="$(wc -c <"$W/manifest.json")"
jq -n --arg f "$W/bundle.json" --arg d "$DIGEST" --argjson n "$msize" '
  {artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
   configMediaType: "application/vnd.oci.empty.v1+json",
   subject: {mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $d, size: $n},
   layers: [{file: $f, mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json"}]}' >"$W/bundle.spec"
read -r bdigest bsize < <(push - "$W/bundle.spec")
jq -n --arg d "$bdigest" --argjson n "$bsize" '
  {index: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $n,
            artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json"}]}' >"$W/referrers.spec"
push "sha256-$HEX" "$W/referrers.spec" >/dev/null

echo "== moat trust pull without a verdict store: the signature is stored, the attestation named"
out="$(moat trust pull "$IMG")" || fail "moat trust pull: $out"
echo "$out"
assert_match "$out" "resolves to $DIGEST" "resolved digest"
assert_match "$out" "signature $SIGDIR/signature-1" "stored signature"
assert_match "$out" "1 vuln attestation\(s\) not stored: moat.conf has no verdicts store" "attestation without store"
assert_match "$out" "the registry has no referrers API; looked for the referrers tag sha256-$HEX" "referrers fallback"
assert_match "$out" "refused: .*sigstore bundle: messageSignature: the bundle holds the payload's digest, not the payload" "bundle refusal"
head -c 15 "$SIGDIR/signature-1" | cmp -s - <(printf '\0sigstore-json\n') || fail "signature-1 is not sigstore-json"
tail -c +16 "$SIGDIR/signature-1" | jq -e --arg p "$(base64 -w0 "$W/payload.json")" --arg s "$(base64 -w0 "$W/payload.sig")" '
  .mimeType == "application/vnd.dev.cosign.simplesigning.v1+json" and .payload == $p and
  .annotations["dev.cosignproject.cosign/signature"] == $s' >/dev/null || fail "signature-1: $(cat "$SIGDIR/signature-1")"

echo "== pulled: the image runs under sigstoreSigned"
out="$(run "$IMG" id -u 2>&1)" || fail "signed image refused after pull: $out"
assert_eq "$out" 65534 "uid"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.trusted == "yes"' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"

echo "== a second pull adds nothing; with a verdict store the attestation is stored"
moat_conf_jq '.verdicts = {store: $s, keys: [$k], max_severity: "HIGH", max_age_hours: 168}' \
  --arg s "$W/store" --arg k "$W/keys/scanner.pub"
out="$(moat trust pull "$IMG")" || fail "second pull: $out"
echo "$out"
assert_match "$out" "signature $SIGDIR/signature-1 \(already stored\)" "no duplicate"
[[ ! -e "$SIGDIR/signature-2" ]] || fail "a second pull stored a duplicate"
assert_match "$out" "attestation $W/store/sha256/$HEX/[0-9a-f]{64}.json" "attestation stored"
cmp -s "$W/att.json" "$W/store/sha256/$HEX/"*.json || fail "stored attestation differs from the pushed one"
out="$(run "$IMG" id -u 2>&1)" || fail "signed image with pulled verdict refused: $out"
moat verdict check "$DIGEST" >/dev/null || fail "moat verdict check $DIGEST: $(moat verdict check "$DIGEST" 2>&1)"

echo "== storing is not trusting: a signature by another key is pulled and refused"
rm -rf "$SIGDIR"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/rogue.key"
openssl dgst -sha256 -sign "$W/rogue.key" -out "$W/rogue.sig" "$W/payload.json"
jq --arg s "$(base64 -w0 "$W/rogue.sig")" '.layers[0].annotations["dev.cosignproject.cosign/signature"] = $s' \
  "$W/sig.spec" >"$W/rogue.spec"
push "sha256-$HEX.sig" "$W/rogue.spec" >/dev/null
moat trust pull "$IMG" >/dev/null || fail "pull of a rogue signature failed"
[[ -f "$SIGDIR/signature-1" ]] || fail "rogue signature not stored"
refused "sigstoreSigned" "$IMG"
push "sha256-$HEX.sig" "$W/sig.spec" >/dev/null
rm -rf "$SIGDIR"

echo "== moat trust pull --all: every image dockerd holds"
out="$(moat trust pull --all)" || fail "moat trust pull --all: $out"
echo "$out"
assert_match "$out" "$REG/moat/busybox:1: http://$REG resolves to $DIGEST" "--all tag"
assert_match "$out" "$REG/moat/busybox@$DIGEST: http://$REG resolves to $DIGEST" "--all repo digest"
[[ -f "$SIGDIR/signature-1" && ! -e "$SIGDIR/signature-2" ]] || fail "--all stored $(ls "$SIGDIR")"

echo "== a multi-arch index: signatures of the index and of this host's platform manifest"
arch="$(uname -m)"
case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
jq -n --arg d "$DIGEST" --argjson n "$(wc -c <"$W/manifest.json")" --arg a "$arch" '
  {index: [{mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $d, size: $n,
            platform: {os: "linux", architecture: $a}},
           {mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $d, size: $n,
            platform: {os: "linux", architecture: "s390x"}}]}' >"$W/index.spec"
read -r idigest _ < <(push multi "$W/index.spec")
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$REG/moat/busybox" "$idigest" >"$W/ipayload.json"
openssl dgst -sha256 -sign "$W/cosign.key" -out "$W/ipayload.sig" "$W/ipayload.json"
jq -n --arg f "$W/ipayload.json" --arg s "$(base64 -w0 "$W/ipayload.sig")" '
  {layers: [{file: $f, mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
             annotations: {"dev.cosignproject.cosign/signature": $s}}]}' >"$W/isig.spec"
push "sha256-${idigest#sha256:}.sig" "$W/isig.spec" >/dev/null
out="$(moat trust pull "$REG/moat/busybox:multi")" || fail "pull of an index: $out"
echo "$out" | grep -v '^  sha256.*: skipped'
assert_match "$out" "resolves to $idigest \(an index\)" "index resolved"
assert_match "$out" "signature $LOOK/moat/busybox@sha256=${idigest#sha256:}/signature-1" "index signature"
assert_match "$out" "$DIGEST: signature $SIGDIR/signature-1 \(already stored\)" "platform manifest signature"

echo "== moat-runtime links no network code"
assert_eq "$(grep -c curl_easy "$MOAT_RUNTIME" || true)" 0 "libcurl symbols in moat-runtime"

echo "== an image with nothing pushed beside it, a missing tag, a registry that is down"
docker tag "$IMG" "$REG/moat/plain:1"
docker push -q "$REG/moat/plain:1" >/dev/null
out="$(moat trust pull "$REG/moat/plain:1")" || fail "pull of an unsigned image: $out"
assert_match "$out" "0 signature\(s\) fetched, 0 new; 0 attestation\(s\)" "nothing found"
rc=0
out="$(moat trust pull "$REG/moat/none:1" 2>&1)" || rc=$?
assert_eq "$rc" 1 "exit status for a missing tag"
assert_match "$out" "moat: trust pull $REG/moat/none:1: http://$REG: $REG/moat/none:1: manifest not found" "missing tag"
port="${REG#*:}"
down="127.0.0.1:$((port == 65535 ? port - 1 : port + 1))"
rc=0
out="$(moat trust pull --timeout-ms 3000 "$down/moat/busybox:1" 2>&1)" || rc=$?
assert_eq "$rc" 1 "exit status for a registry that is down"
echo "$out"
assert_match "$out" "^moat: trust pull $down/moat/busybox:1: http://$down/v2/moat/busybox/manifests/1: .*(onnect|refused)" "registry down"
rc=0
out="$(moat trust pull --plain-http --authfile "$W/none.json" "$IMG" 2>&1)" || rc=$?
assert_eq "$rc" 1 "exit status for a missing --authfile"
assert_match "$out" "$W/none.json" "missing authfile named"

echo "== credentials: a Bearer token realm (distribution token auth), then Basic"
# proxy MODE: the registry behind token_proxy.py; sets PROXY=127.0.0.1:PORT.
proxy() {
  rm -f "$W/proxy.port"
  python3 "$MOAT_SOURCE_DIR/tests/tools/token_proxy.py" "$W/proxy.port" "$REG" moat s3cret "$1" \
    "$W/token.log" &
  local pid=$! i
  on_exit "kill $pid 2>/dev/null || true"
  for i in $(seq 100); do [[ -s "$W/proxy.port" ]] && break; sleep 0.1; done
  PROXY="127.0.0.1:$(cat "$W/proxy.port")"
  PROXY_PID=$pid
  cat >"$W/conf/registries.d/proxy.yaml" <<EOF2
docker:
  $PROXY:
    lookaside: file://$W/lookaside-proxy
EOF2
  chmod 0644 "$W/conf/registries.d/proxy.yaml"
}
proxy bearer
jq -n --arg a "$(printf moat:s3cret | base64 -w0)" --arg p "$PROXY" '{auths: {($p): {auth: $a}}}' >"$W/auth.json"
jq -n --arg a "$(printf moat:wrong | base64 -w0)" --arg p "$PROXY/moat" '{auths: {($p): {auth: $a}}}' >"$W/bad-auth.json"
rc=0
out="$(HOME="$W/nohome" moat trust pull "$PROXY/moat/busybox:1" 2>&1)" || rc=$?
assert_eq "$rc" 1 "exit status without credentials"
assert_match "$out" "token from http://$PROXY/token: HTTP 401 \(no credentials given\)" "no credentials"
rc=0
out="$(moat trust pull --authfile "$W/bad-auth.json" "$PROXY/moat/busybox:1" 2>&1)" || rc=$?
assert_eq "$rc" 1 "exit status with wrong credentials"
assert_match "$out" "HTTP 401 \(credentials refused\?\)" "wrong credentials"
out="$(moat trust pull --authfile "$W/auth.json" "$PROXY/moat/busybox:1")" || fail "pull with a token: $out"
assert_match "$out" "signature $W/lookaside-proxy/moat/busybox@sha256=$HEX/signature-1" "pull through token auth"
# The proxy has the referrers API: no fallback note, and the bundle is found through it.
[[ "$out" != *"no referrers API"* ]] || fail "referrers API not used: $out"
assert_match "$out" "referrers of $DIGEST: sha256:[0-9a-f]{64}: layers\[0\]: sigstore bundle: messageSignature" "bundle via the referrers API"
grep -q "^service=moat-test&scope=repository%3Amoat%2Fbusybox%3Apull auth=ok$" "$W/token.log" ||
  fail "token requests: $(cat "$W/token.log")"
mkdir -p "$W/home/.docker"
cp "$W/auth.json" "$W/home/.docker/config.json"
out="$(HOME="$W/home" XDG_RUNTIME_DIR="$W/noxdg" moat trust pull "$PROXY/moat/busybox:1")" ||
  fail "pull with ~/.docker/config.json: $out"
assert_match "$out" "\(already stored\)" "pull with Docker's config.json"
kill "$PROXY_PID"
proxy basic
jq -n --arg a "$(printf moat:s3cret | base64 -w0)" --arg p "$PROXY" '{auths: {($p): {auth: $a}}}' >"$W/auth.json"
out="$(moat trust pull --authfile "$W/auth.json" "$PROXY/moat/busybox:1")" || fail "pull with Basic: $out"
assert_match "$out" "1 signature\(s\) fetched" "pull through Basic auth"
kill "$PROXY_PID"

echo "== fetch_on_miss: at create, no signature stored -> moat trust pull, then judged again"
rm -rf "$SIGDIR"
moat_conf_jq '.fetch_on_miss = {enabled: true, timeout_ms: 20000, moat: $m}' --arg m "$MOAT_CLI"
out="$(run "$IMG" id -u 2>&1)" || fail "fetch on miss, registry up: refused: $out"
assert_eq "$out" 65534 "uid after fetch on miss"
tail -n1 "$W/conf/audit.log" | jq -e --arg m "$MOAT_CLI trust pull $IMG: ok" \
  '.decision == "allow" and (.image.fetch | startswith($m))' >/dev/null ||
  fail "audit record: $(tail -n1 "$W/conf/audit.log")"
[[ -f "$SIGDIR/signature-1" ]] || fail "fetch on miss stored no signature"
out="$(run "$IMG" true 2>&1)" || fail "stored signature refused: $out"
tail -n1 "$W/conf/audit.log" | jq -e '.image.fetch == null' >/dev/null ||
  fail "a fetch with a signature stored: $(tail -n1 "$W/conf/audit.log")"

echo "== fetch_on_miss fails closed: a fetch that times out, a registry that is down"
rm -rf "$SIGDIR"
printf '#!/bin/sh\nexec sleep 30\n' >"$W/slow-moat"
chmod 0755 "$W/slow-moat"
moat_conf_jq '.fetch_on_miss = {enabled: true, timeout_ms: 500, moat: $m}' --arg m "$W/slow-moat"
refused "fetch_on_miss: $W/slow-moat trust pull $IMG: killed after 500 ms" "$IMG"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "deny" and (.image.fetch | endswith("killed after 500 ms"))' \
  >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
moat_conf_jq '.fetch_on_miss = {enabled: true, timeout_ms: 20000, moat: $m}' --arg m "$MOAT_CLI"
kill "$REG_PID"
wait_gone 10 "$REG_PID" || fail "registry did not stop"
refused "fetch_on_miss: $MOAT_CLI trust pull $IMG: exit 1" "$IMG"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "deny" and (.image.fetch | test("exit 1 .*: moat: trust pull .*onnect"))' \
  >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
[[ ! -e "$SIGDIR/signature-1" ]] || fail "a failed fetch stored a signature"
echo "ok: trust pull"
