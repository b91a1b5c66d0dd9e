#!/usr/bin/env bash
# Stored scan verdicts end to end. Hand-written Trivy (SchemaVersion 2) and
# Grype reports (tests/fixtures/verdicts) are signed with `moat verdict
# import`, and independently with openssl (a DSSE envelope built by
# dsse-sign.sh from openssl's signature, as cosign's `attest --type vuln`
# output looks); each side verifies the other's. Then, through a private
# dockerd pulling from a local registry, moat-runtime in front of real runc:
# a fresh clean verdict runs; too old, wrong digest, untrusted key, tampered
# payload and severity over the threshold are refused with the reason in
# `docker run`'s output; an allowlisted CVE runs until its expiry date has
# passed; a scope override applies to the images under it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd "$RUNC" jq openssl base64 sha256sum
need_moat_runtime
[[ -x "$MOAT_CLI" ]] || fail "moat not built: $MOAT_CLI (set MOAT_BUILD_DIR)"
FIX="$MOAT_SOURCE_DIR/tests/fixtures/verdicts"
moat() { "$MOAT_CLI" "$@"; }

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
mkdir -m 0755 "$W/keys" "$W/store"
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
HOUR_AGO="$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
MONTH_AGO="$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)"
YESTERDAY="$(date -u -d '-1 day' +%F)"
NEXT_MONTH="$(date -u -d '+30 days' +%F)"

echo "== keys: moat verdict keygen (ECDSA P-256, Ed25519), openssl (P-256), an untrusted one"
moat verdict keygen --out "$W/keys/scanner" >/dev/null
moat verdict keygen --type ed25519 --out "$W/keys/ed" >/dev/null
assert_eq "$(stat -c %a "$W/keys/scanner.key")" 600 "private key mode"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/keys/ossl.key" 2>/dev/null
openssl pkey -in "$W/keys/ossl.key" -pubout -out "$W/keys/ossl.pub"
moat verdict keygen --out "$W/keys/rogue" >/dev/null
chmod 0644 "$W/keys/"*.pub
rc=0
out="$(moat verdict keygen --out "$W/keys/scanner" 2>&1)" || rc=$?
assert_eq "$rc" 1 "keygen over an existing key"
assert_match "$out" 'scanner.key: cannot create: File exists' "keygen refuses to overwrite"

# policy [FILTER [JQ_ARGS...]]: moat.conf's verdicts object, changed by FILTER
# (jq, applied to the object).
policy() {
  local filter="${1:-.}"
  (($# == 0)) || shift
  moat_conf_jq '.verdicts = ({store: $store, keys: [$k1, $k2, $k3], max_severity: "HIGH",
      max_age_hours: 168} | '"$filter"')' --arg store "$W/store" \
    --arg k1 "$W/keys/scanner.pub" --arg k2 "$W/keys/ed.pub" --arg k3 "$W/keys/ossl.pub" "$@"
}
policy

D1=sha256:3b4f7b6fbb5b0f2c1d9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b
echo "== import a Trivy report with CRITICAL findings: check refuses, naming them"
out="$(moat verdict import --from trivy "$FIX/trivy-report.json" --image "$D1" \
  --key "$W/keys/scanner.key" --name registry.example.com/shop/api --scanned-at "$HOUR_AGO")" ||
  fail "import: $out"
echo "$out"
ENV1="${out%%: verdict about*}"
[[ -f "$ENV1" && "$ENV1" == "$W/store/sha256/${D1#sha256:}/"*.json ]] || fail "stored where? $out"
assert_eq "$(basename "$ENV1" .json)" "$(sha256sum <"$ENV1" | cut -d' ' -f1)" "file name = sha256"
rc=0
out="$(moat verdict check "$D1")" || rc=$?
assert_eq "$rc" 3 "check exit status for a refused image"
echo "$out"
assert_match "$out" "refused: +image $D1 has 2 CRITICAL \(CVE-2023-45853, CVE-2024-45491\) above policy max 0 \(max_severity HIGH\)" "check"
assert_match "$out" 'reported: +CRITICAL=2 HIGH=3 MEDIUM=2 LOW=3 UNKNOWN=1' "counts"

echo "== interop: openssl verifies moat's envelope"
jq -r .payload "$ENV1" | base64 -d >"$W/payload1"
jq -r '.signatures[0].sig' "$ENV1" | base64 -d >"$W/sig1"
type="$(jq -r .payloadType "$ENV1")"
{
  printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(wc -c <"$W/payload1")"
  cat "$W/payload1"
} >"$W/pae1"
openssl dgst -sha256 -verify "$W/keys/scanner.pub" -signature "$W/sig1" "$W/pae1" ||
  fail "openssl does not verify moat's DSSE signature"
jq -e --arg hex "${D1#sha256:}" '._type == "https://in-toto.io/Statement/v1" and
  .predicateType == "https://cosign.sigstore.dev/attestation/vuln/v1" and
  .subject[0].digest.sha256 == $hex and .predicate.scanner.result.SchemaVersion == 2 and
  (.predicate.metadata.scanFinishedOn | test("Z$"))' "$W/payload1" >/dev/null ||
  fail "statement: $(head -c 600 "$W/payload1")"

echo "== interop: moat verifies an envelope made by openssl (cosign's v0.1 form)"
# A newer clean rescan, signed outside moat, is the verdict that counts.
bash "$FIX/cosign-statement.sh" "$FIX/trivy-clean.json" registry.example.com/shop/api "$D1" \
  "$NOW" v0.1 >"$W/clean.statement.json"
bash "$FIX/dsse-sign.sh" "$W/clean.statement.json" "$W/keys/ossl.key" >"$W/clean.envelope.json"
out="$(moat verdict add "$W/clean.envelope.json" --image "$D1")" || fail "add: $out"
echo "$out"
out="$(moat verdict check "$D1")" || fail "check after a clean openssl-signed rescan: $out"
assert_match "$out" "signed by: +$W/keys/ossl.pub" "the openssl-signed verdict counts"
out="$(moat verdict show "$D1")"
assert_eq "$(grep -c 'signature: verified with' <<<"$out")" 2 "verified envelopes in show"
# Ed25519 with unpadded URL-safe base64, a Grype report, a v1 Statement.
D2=sha256:2d7e5d9b1c3f0e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a
bash "$FIX/cosign-statement.sh" "$FIX/grype-report.json" registry.example.com/shop/worker "$D2" \
  "$NOW" v1 >"$W/grype.statement.json"
bash "$FIX/dsse-sign.sh" "$W/grype.statement.json" "$W/keys/ed.key" application/vnd.in-toto+json url \
  >"$W/grype.envelope.json"
moat verdict add "$W/grype.envelope.json" --image "$D2" >/dev/null
rc=0
out="$(moat verdict check "$D2" --output json)" || rc=$?
assert_eq "$rc" 3 "grype verdict with a CRITICAL"
jq -e --arg ed "$W/keys/ed.pub" '.verdict.key == $ed and .counted.CRITICAL == 1 and
  .reported.LOW == 2 and (.reasons[0] | contains("has 1 CRITICAL (CVE-2024-45491)"))' <<<"$out" \
  >/dev/null || fail "grype check: $out"
# moat import of the same Grype report takes the scan time from descriptor.timestamp.
out="$(moat verdict import --from grype "$FIX/grype-report.json" --image "$D2" \
  --key "$W/keys/ed.key" --output -)" || fail "import --output -: $out"
jq -r .payload <<<"$out" | base64 -d | jq -e \
  '.predicate.metadata.scanFinishedOn == "2026-11-21T10:33:15Z" and
   .predicate.scanner.uri == "pkg:github/anchore/grype@0.82.2"' >/dev/null ||
  fail "grype import: scan time or scanner"

echo "== add refuses what is not a verdict about that digest; import checks its input"
rc=0
out="$(moat verdict add "$W/grype.envelope.json" --image "$D1" 2>&1)" || rc=$?
assert_eq "$rc" 1 "add of a verdict about another digest"
assert_match "$out" "is about $D2, not $D1" "add, wrong digest"
rc=0
out="$(moat verdict add "$FIX/trivy-report.json" --image "$D1" 2>&1)" || rc=$?
assert_match "$out" 'trivy-report.json: SchemaVersion: unknown key' "add of a report, not an envelope"
rc=0
out="$(moat verdict import --from grype "$FIX/trivy-report.json" --image "$D1" \
  --key "$W/keys/scanner.key" 2>&1)" || rc=$?
assert_match "$out" '--from grype, but this is a trivy report' "import, wrong --from"
out="$(moat verdict import --from trivy "$FIX/trivy-report.json" --image "$D1" \
  --key "$W/keys/scanner.pub" 2>&1)" && fail "import with a public key worked"
assert_match "$out" 'no unencrypted PEM private key' "import with a public key"

echo "== runc: a bundle with no registry manifest is refused while verdicts are required"
B="$W/bundle"
make_bundle "$B" '["true"]'
id="$(new_id verdict)"
rc=0
out="$(cd "$B" && "$MOAT_RUNTIME" --root "$RUNC_ROOT" --log "$W/runc.log" --log-format json \
  create "$id" 2>&1)" || rc=$?
assert_eq "$rc" 1 "create of a hand-made bundle"
assert_match "$out" 'a scan verdict is required, and no registry manifest of this image is on the host' \
  "refusal"
runc_json_log_has "$W/runc.log" 'no verdict can name it' || fail "runc log lacks the refusal"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "deny" and .image.verdict == "missing"' \
  >/dev/null || fail "audit: $(tail -n1 "$W/conf/audit.log")"
policy '.require = false'
(cd "$B" && "$MOAT_RUNTIME" --root "$RUNC_ROOT" create "$id") || fail "create with require false"
"$RUNC" --root "$RUNC_ROOT" delete --force "$id"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "allow" and .image.verdict == "not required"' \
  >/dev/null || fail "audit: $(tail -n1 "$W/conf/audit.log")"

# --- a real image from a registry, through dockerd --------------------------------
command -v dockerd >/dev/null && command -v docker-registry >/dev/null &&
  command -v skopeo >/dev/null && command -v curl >/dev/null ||
  skip "the CLI and runc parts passed; the dockerd part needs dockerd, docker-registry, skopeo, curl"

echo "== dockerd, a local registry, an image pulled from it"
start_registry "$W/registry"
start_dockerd verdicts "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
IMG="$REG/shop/app:1"
publish_busybox "$IMG" "$W/manifest.json"
echo "image $IMG, manifest $DIGEST"
policy
STORE_DIR="$W/store/sha256/${DIGEST#sha256:}"

run() { docker run --rm --runtime moat --network none "$@"; }
runs() {
  local out
  out="$(run "$IMG" id -u 2>&1)" || fail "$1: refused: $out"
  assert_eq "$out" 65534 "$1: uid"
  echo "ok: runs: $1"
}
refused() {
  local what="$1" want="$2" out
  if out="$(run "${3:-$IMG}" id -u 2>&1)"; then fail "$what: ran: $out"; fi
  [[ "$out" == *"$want"* ]] || fail "$what: output lacks '$want': $out"
  echo "ok: refused: $what: ${out#*OCI runtime create failed: }" | cut -c1-400
}
clear_store() { rm -rf "$STORE_DIR"; }
import_report() { # REPORT SCANNED_AT [KEY]
  moat verdict import --from trivy "$FIX/$1" --image "$DIGEST" --name "$IMG" \
    --key "${3:-$W/keys/scanner.key}" --scanned-at "$2" >/dev/null
}

refused "no verdict" "a scan verdict is required, and none is stored for image $DIGEST"

echo "== a fresh clean verdict runs"
import_report trivy-clean.json "$NOW"
runs "fresh clean verdict"
tail -n1 "$W/conf/audit.log" | jq -e --arg d "$DIGEST" '.decision == "allow" and
  .image.verdict == "pass" and .image.verdict_digest == $d and
  .image.verdict_counts == "CRITICAL=0 HIGH=0 MEDIUM=0 LOW=0 UNKNOWN=0" and
  .image.verdict_age_hours == "0"' >/dev/null || fail "audit: $(tail -n1 "$W/conf/audit.log")"
compgen -G "$W/conf/state/cache/verdicts/*" >/dev/null || fail "no cached verdict under state_dir"
runs "fresh clean verdict, cached"
moat verify "$IMG" | grep -q '^verdict: *pass (verdicts)' || fail "moat verify: $(moat verify "$IMG")"

echo "== too old"
clear_store
import_report trivy-clean.json "$MONTH_AGO"
refused "too old" "is 720 hours old (scan finished $MONTH_AGO), above policy max_age_hours 168"

echo "== a verdict about another digest, put in this digest's directory"
clear_store
out="$(moat verdict import --from trivy "$FIX/trivy-clean.json" --image "$D1" \
  --key "$W/keys/scanner.key" --scanned-at "$NOW" --output "$W/other-digest.json")"
mkdir -p "$STORE_DIR"
cp "$W/other-digest.json" "$STORE_DIR/$(sha256sum <"$W/other-digest.json" | cut -d' ' -f1).json"
refused "wrong digest" "is about $D1, not $DIGEST"

echo "== signed by a key the policy does not trust"
clear_store
import_report trivy-clean.json "$NOW" "$W/keys/rogue.key"
refused "untrusted key" "signature does not verify with any of the 3 trusted keys"

echo "== a payload changed after signing (CRITICAL rewritten to LOW)"
clear_store
moat verdict import --from trivy "$FIX/trivy-report.json" --image "$DIGEST" \
  --key "$W/keys/scanner.key" --scanned-at "$NOW" --output "$W/dirty.json" >/dev/null
jq -r .payload "$W/dirty.json" | base64 -d | sed 's/"CRITICAL"/"LOW"/g' | base64 -w0 >"$W/tampered.b64"
jq --rawfile p "$W/tampered.b64" '.payload = $p' "$W/dirty.json" >"$W/tampered.json"
moat verdict add "$W/tampered.json" --image "$DIGEST" >/dev/null
refused "tampered payload" "signature does not verify with any of the 3 trusted keys"

echo "== severity over the threshold"
clear_store
moat verdict add "$W/dirty.json" --image "$DIGEST" >/dev/null
refused "CRITICAL findings" \
  "image $DIGEST has 2 CRITICAL (CVE-2023-45853, CVE-2024-45491) above policy max 0 (max_severity HIGH)"
tail -n1 "$W/conf/audit.log" | jq -e '.decision == "deny" and .image.verdict == "fail" and
  .image.verdict_counts == "CRITICAL=2 HIGH=3 MEDIUM=2 LOW=3 UNKNOWN=1"' >/dev/null ||
  fail "audit: $(tail -n1 "$W/conf/audit.log")"

echo "== allowlisted CVEs run until their expiry date has passed"
policy '.allowlist = [
  {id: "CVE-2023-45853", expires: $next, reason: "minizip is not built into the image"},
  {id: "CVE-2024-45491", expires: $next, reason: "expat only parses our own config"}]' \
  --arg next "$NEXT_MONTH"
runs "allowlisted until $NEXT_MONTH"
tail -n1 "$W/conf/audit.log" | jq -e --arg next "$NEXT_MONTH" '.decision == "allow" and
  (.image.verdict_allowlisted | contains("CVE-2023-45853 until " + $next))' >/dev/null ||
  fail "audit: $(tail -n1 "$W/conf/audit.log")"
# What the policy will say the day after the entries expire (moat verdict check --at).
rc=0
out="$(moat verdict check "$DIGEST" --at "$(date -u -d "$NEXT_MONTH +1 day" +%Y-%m-%dT12:00:00Z)")" ||
  rc=$?
assert_eq "$rc" 3 "check --at the day after the allowlist expires"
assert_match "$out" "expired: +CVE-2024-45491 expired $NEXT_MONTH" "check --at: expired entries"
policy '.allowlist = [
  {id: "CVE-2023-45853", expires: $past, reason: "minizip is not built into the image"},
  {id: "CVE-2024-45491", expires: $next, reason: "expat only parses our own config"}]' \
  --arg next "$NEXT_MONTH" --arg past "$YESTERDAY"
refused "allowlist entry expired $YESTERDAY" \
  "image $DIGEST has 1 CRITICAL (CVE-2023-45853) above policy max 0 (max_severity HIGH)"
tail -n1 "$W/conf/audit.log" | jq -e --arg past "$YESTERDAY" \
  '.image.verdict_expired == "CVE-2023-45853 expired " + $past' >/dev/null ||
  fail "audit: $(tail -n1 "$W/conf/audit.log")"

echo "== a scope override: the same image under another repository"
docker tag "$IMG" "$REG/lab/app:1"
policy '.scopes = {($reg + "/lab"): {max_severity: "CRITICAL"}}' --arg reg "$REG"
refused "under the top-level rules" "has 2 CRITICAL"
out="$(run "$REG/lab/app:1" id -u 2>&1)" || fail "under the lab scope: $out"
tail -n1 "$W/conf/audit.log" | jq -e --arg reg "$REG" \
  '.image.verdict == "pass" and .image.verdict_scope == "verdicts.scopes[\"" + $reg + "/lab\"]"' \
  >/dev/null || fail "audit: $(tail -n1 "$W/conf/audit.log")"
echo "ok: runs under verdicts.scopes[\"$REG/lab\"]"
echo "PASS"
