#!/usr/bin/env bash
# `moat verify dir:` and `moat verify oci:` decide as containers/image does, on
# the same policy and signatures: a table of cases, each judged by
#  - skopeo 1.9.3 `skopeo copy --policy P docker://REF dir:X` from a local
#    registry whose signatures sit in a file:// lookaside (the full policy
#    semantics: scopes, signedIdentity), and for GPG rows also
#    `skopeo standalone-verify MANIFEST REF FINGERPRINT SIG` where it applies;
#  - moat verify dir:COPY --reference REF, COPY holding only manifest.json and
#    the signatures skopeo would have copied (no config, no layers), with moat's
#    registries.d pointing at an empty lookaside (only the copy's own signatures
#    may count);
#  - moat verify oci:LAYOUT:REF, an OCI layout skopeo made, with the lookaside.
# Debian's skopeo has sigstore patched out: sigstore rows (openssl-made, in the
# "\0sigstore-json\n" file form) compare with containers/image's semantics
# (sigstoreSigned + keyPath: the key verifies the payload, whose digest is the
# manifest's and whose identity signedIdentity accepts), stated per row.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd jq curl skopeo gpg gpgconf openssl base64 sha256sum docker-registry gzip tar

W="$(tmp_dir work)"
start_registry "$W/registry"
echo "registry at $REG"

echo "== keys"
gpg_signing_key "$W/gnupg" 'someone else' other@moat.test
FB="$FPR"
cp "$W/gnupg.other@moat.test.gpg" "$W/other.gpg"
gpg_signing_key "$W/gnupg" 'moat signer' signer@moat.test
FA="$FPR"
cp "$W/gnupg.signer@moat.test.gpg" "$W/signer.gpg"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ec.pem"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ec-other.pem"
for k in ec ec-other; do openssl pkey -in "$W/$k.pem" -pubout -out "$W/$k.pub"; done
chmod 0644 "$W"/*.pub "$W"/*.gpg

echo "== an OCI-format image, pushed to the registry and signed by skopeo copy --sign-by"
sha() { sha256sum "$1" | cut -d' ' -f1; }
SRC="$W/src"
mkdir -p "$SRC" "$W/layer"
echo hello >"$W/layer/hello"
tar -C "$W/layer" -cf - hello | gzip -n >"$W/layer.tgz"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(tar -C "$W/layer" -cf - hello | sha256sum | cut -d' ' -f1)" >"$W/config.json"
cp "$W/layer.tgz" "$SRC/$(sha "$W/layer.tgz")"
cp "$W/config.json" "$SRC/$(sha "$W/config.json")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
  "$(sha "$W/config.json")" "$(stat -c %s "$W/config.json")" "$(sha "$W/layer.tgz")" "$(stat -c %s "$W/layer.tgz")" \
  >"$SRC/manifest.json"
printf 'Directory Transport Version: 1.1\n' >"$SRC/version"
MANIFEST="$SRC/manifest.json"
DIGEST="sha256:$(sha "$MANIFEST")"

LOOK="$W/lookaside"
mkdir -p "$LOOK" "$W/skopeo-regd" "$W/empty-look"
printf 'docker:\n  %s:\n    lookaside: file://%s\n    lookaside-staging: file://%s\n' "$REG" "$LOOK" "$LOOK" \
  >"$W/skopeo-regd/local.yaml"
IMG="$REG/moat/app:1"
skopeo copy -q --dest-tls-verify=false --registries.d "$W/skopeo-regd" --sign-by "$FA" "dir:$SRC" "docker://$IMG"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$IMG" "docker://$REG/moat/app:2"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$IMG" "docker://$REG/other/app:1"
SIGDIR_MOAT="$LOOK/moat/app@sha256=${DIGEST#sha256:}"
SIGDIR_OTHER="$LOOK/other/app@sha256=${DIGEST#sha256:}"
[[ -f "$SIGDIR_MOAT/signature-1" ]] || fail "skopeo copy --sign-by wrote no $SIGDIR_MOAT/signature-1"
cp "$SIGDIR_MOAT/signature-1" "$W/sig-good"
rm -rf "$SIGDIR_MOAT"

# Signatures the rows store: good (above), by the other key, over another
# manifest, sigstore with the right and the wrong key.
skopeo standalone-sign -o "$W/sig-otherkey" "$MANIFEST" "$IMG" "$FB"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":1},"layers":[]}' \
  "$(printf x | sha256sum | cut -d' ' -f1)" >"$W/other-manifest.json"
skopeo standalone-sign -o "$W/sig-othermanifest" "$W/other-manifest.json" "$IMG" "$FA"
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$REG/moat/app" "$DIGEST" >"$W/cosign.json"
sigstore_sig() { # KEY OUT
  openssl dgst -sha256 -sign "$W/$1.pem" -out "$W/$2.raw" "$W/cosign.json"
  { printf '\0sigstore-json\n'
    printf '{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}' \
      "$(base64 -w0 "$W/cosign.json")" "$(base64 -w0 "$W/$2.raw")"; } >"$W/$2"
}
sigstore_sig ec sig-sigstore
openssl dgst -sha256 -verify "$W/ec.pub" -signature "$W/sig-sigstore.raw" "$W/cosign.json" >/dev/null ||
  fail "openssl does not verify its own sigstore signature"

echo "== moat: its own conf, an empty lookaside for dir: rows"
moat_env "$W/conf" enforce restricted
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$W/empty-look" >"$W/conf/registries.d/local.yaml"
chmod 0644 "$W/conf/registries.d/local.yaml"
# A second conf for the oci: column: the same policy file, the real lookaside.
moat_env "$W/conf-oci" enforce restricted
moat_conf_jq '.policy = $p' --arg p "$W/conf/policy.json"
printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REG" "$LOOK" >"$W/conf-oci/registries.d/local.yaml"
chmod 0644 "$W/conf-oci/registries.d/local.yaml"
export MOAT_CONFIG="$W/conf/moat.conf"

# policy REQ-JSON: the requirement list for $REG/moat and $REG/other; default reject.
policy() {
  jq -n --arg reg "$REG" --argjson req "$1" \
    '{default: [{type: "reject"}], transports: {docker: {($reg): $req}}}' >"$W/conf/policy.json"
  chmod 0644 "$W/conf/policy.json"
}
signed_by() { # KEYFILE [IDENTITY-JSON]
  jq -n --arg k "$1" --argjson id "${2:-null}" \
    '[{type: "signedBy", keyType: "GPGKeys", keyPath: $k} + (if $id == null then {} else {signedIdentity: $id} end)]'
}
# store SIGNATURE...: the lookaside of both repositories holds these (none: empty).
store() {
  rm -rf "$SIGDIR_MOAT" "$SIGDIR_OTHER"
  mkdir -p "$SIGDIR_MOAT" "$SIGDIR_OTHER"
  local n=1 s
  for s in "$@"; do
    cp "$W/$s" "$SIGDIR_MOAT/signature-$n"
    cp "$W/$s" "$SIGDIR_OTHER/signature-$n"
    n=$((n + 1))
  done
}
# copy_dir SIGNATURE...: a dir: copy with only manifest.json and signature-N.
copy_dir() {
  rm -rf "$W/copy"
  mkdir "$W/copy"
  cp "$MANIFEST" "$W/copy/manifest.json"
  local n=1 s
  for s in "$@"; do cp "$W/$s" "$W/copy/signature-$n"; n=$((n + 1)); done
}

failures=0
verdict() { if "$@" >/dev/null 2>&1; then echo accept; else echo reject; fi; }
moat_verdict() { # ARGS...: accept (0), reject (3), or "error N"
  local rc=0
  "$MOAT_CLI" verify "$@" >"$W/moat.out" 2>&1 || rc=$?
  case "$rc" in 0) echo accept ;; 3) echo reject ;; *) echo "error $rc" ;; esac
}
# row NAME EXPECT REF REQ-JSON SIGNATURE...: skopeo copy from the registry
# (signatures in the lookaside) and moat verify dir: (signatures in the copy)
# must both give EXPECT; a sigstore row (name "sigstore...") takes EXPECT from
# containers/image's semantics, as skopeo here cannot judge it.
row() {
  local name="$1" expect="$2" ref="$3" req="$4" sk m o
  shift 4
  policy "$req"
  store "$@"
  copy_dir "$@"
  rm -rf "$W/pulled"
  if [[ "$name" == sigstore* ]]; then
    sk="$expect (containers/image semantics)"
  else
    sk="$(verdict skopeo copy -q --src-tls-verify=false --policy "$W/conf/policy.json" \
      --registries.d "$W/skopeo-regd" "docker://$ref" "dir:$W/pulled")"
    # What skopeo copied is what the row's copy holds.
    if [[ "$sk" == accept && $# -gt 0 ]]; then
      cmp -s "$W/pulled/signature-1" "$W/copy/signature-1" || {
        echo "FAIL $name: skopeo's copy holds other signatures than the row's" >&2
        failures=$((failures + 1))
      }
    fi
  fi
  m="$(moat_verdict "dir:$W/copy" --reference "$ref")"
  local mout
  mout="$(head -c 600 "$W/moat.out")"
  o="$(MOAT_CONFIG="$W/conf-oci/moat.conf" moat_verdict "oci:$W/oci:$IMG" --reference "$ref")"
  if [[ "${sk%% *}" != "$expect" || "$m" != "$expect" || "$o" != "$expect" ]]; then
    echo "FAIL $name: expected $expect; skopeo $sk, moat dir: $m, moat oci: $o: $mout // $(head -c 600 "$W/moat.out")" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name: skopeo $sk, moat dir: $m, oci: $o" | cut -c1-200
  fi
}

echo "== an OCI layout of the image (skopeo copy to oci:, signatures removed as oci: cannot hold them)"
skopeo copy -q --src-tls-verify=false --remove-signatures --policy <(echo '{"default":[{"type":"insecureAcceptAnything"}]}') \
  "docker://$IMG" "oci:$W/oci:$IMG"
assert_eq "$(jq -r '.manifests[0].digest' "$W/oci/index.json")" "$DIGEST" "the layout's manifest is the registry's"

echo "== the table"
M="$REG/moat/app"
row "GPG signed, signedBy the key" accept "$IMG" "$(signed_by "$W/signer.gpg")" sig-good
row "GPG wrong key" reject "$IMG" "$(signed_by "$W/other.gpg")" sig-good
row "GPG signature by another key only" reject "$IMG" "$(signed_by "$W/signer.gpg")" sig-otherkey
row "GPG signature for another manifest" reject "$IMG" "$(signed_by "$W/signer.gpg")" sig-othermanifest
row "GPG one bad, one good signature" accept "$IMG" "$(signed_by "$W/signer.gpg")" sig-othermanifest sig-good
row "unsigned, signedBy" reject "$IMG" "$(signed_by "$W/signer.gpg")"
row "insecureAcceptAnything, unsigned" accept "$IMG" '[{"type":"insecureAcceptAnything"}]'
row "reject, signed" reject "$IMG" '[{"type":"reject"}]' sig-good
row "matchRepoDigestOrExact: same tag" accept "$IMG" "$(signed_by "$W/signer.gpg" '{"type":"matchRepoDigestOrExact"}')" sig-good
row "matchRepoDigestOrExact: other tag" reject "$M:2" "$(signed_by "$W/signer.gpg" '{"type":"matchRepoDigestOrExact"}')" sig-good
row "matchRepoDigestOrExact: by digest" accept "$M@$DIGEST" "$(signed_by "$W/signer.gpg" '{"type":"matchRepoDigestOrExact"}')" sig-good
row "matchRepoDigestOrExact: other repo" reject "$REG/other/app:1" "$(signed_by "$W/signer.gpg" '{"type":"matchRepoDigestOrExact"}')" sig-good
row "matchExact: same tag" accept "$IMG" "$(signed_by "$W/signer.gpg" '{"type":"matchExact"}')" sig-good
row "matchExact: other tag" reject "$M:2" "$(signed_by "$W/signer.gpg" '{"type":"matchExact"}')" sig-good
row "matchRepository: other tag" accept "$M:2" "$(signed_by "$W/signer.gpg" '{"type":"matchRepository"}')" sig-good
row "matchRepository: other repo" reject "$REG/other/app:1" "$(signed_by "$W/signer.gpg" '{"type":"matchRepository"}')" sig-good
row "exactReference: signed as named" accept "$M:2" "$(signed_by "$W/signer.gpg" "$(jq -nc --arg r "$IMG" '{type:"exactReference",dockerReference:$r}')")" sig-good
row "exactReference: signed as another" reject "$IMG" "$(signed_by "$W/signer.gpg" "$(jq -nc --arg r "$M:2" '{type:"exactReference",dockerReference:$r}')")" sig-good
row "remapIdentity: other repo remapped" accept "$REG/other/app:1" "$(signed_by "$W/signer.gpg" "$(jq -nc --arg p "$REG/other" --arg s "$REG/moat" '{type:"remapIdentity",prefix:$p,signedPrefix:$s}')")" sig-good
row "remapIdentity: prefix elsewhere" reject "$REG/other/app:1" "$(signed_by "$W/signer.gpg" "$(jq -nc --arg p "$REG/else" --arg s "$REG/moat" '{type:"remapIdentity",prefix:$p,signedPrefix:$s}')")" sig-good
SIGSTORE_REQ() { jq -nc --arg k "$1" '[{type:"sigstoreSigned",keyPath:$k,signedIdentity:{type:"matchRepository"}}]'; }
row "sigstore with the key" accept "$IMG" "$(SIGSTORE_REQ "$W/ec.pub")" sig-sigstore
row "sigstore, wrong key" reject "$IMG" "$(SIGSTORE_REQ "$W/ec-other.pub")" sig-sigstore
row "sigstore, other repo" reject "$REG/other/app:1" "$(SIGSTORE_REQ "$W/ec.pub")" sig-sigstore
row "sigstore, a GPG signature only" reject "$IMG" "$(SIGSTORE_REQ "$W/ec.pub")" sig-good

echo "== skopeo standalone-verify agrees on the GPG rows it can express (exact identity)"
sv() { # NAME EXPECT SIG REF FPR
  local s m
  s="$(verdict skopeo standalone-verify "$MANIFEST" "$4" "$5" "$W/$3")"
  policy "$(signed_by "$W/$([[ "$5" == "$FA" ]] && echo signer || echo other).gpg" '{"type":"matchExact"}')"
  copy_dir "$3"
  m="$(moat_verdict "dir:$W/copy" --reference "$4")"
  if [[ "$s" != "$2" || "$m" != "$2" ]]; then
    echo "FAIL standalone $1: expected $2; skopeo $s, moat $m: $(cat "$W/moat.out")" >&2
    failures=$((failures + 1))
  else
    echo "ok   standalone $1: $s"
  fi
}
sv "signed ok" accept sig-good "$IMG" "$FA"
sv "wrong key" reject sig-good "$IMG" "$FB"
sv "another manifest" reject sig-othermanifest "$IMG" "$FA"
sv "other tag" reject sig-good "$M:2" "$FA"

echo "== a full skopeo dir: copy (with blobs) verifies the same; blobs removed, still"
policy "$(signed_by "$W/signer.gpg")"
store sig-good
rm -rf "$W/full"
skopeo copy -q --src-tls-verify=false --policy "$W/conf/policy.json" --registries.d "$W/skopeo-regd" \
  "docker://$IMG" "dir:$W/full"
out="$("$MOAT_CLI" verify "dir:$W/full" --reference "$IMG" --output json)" || fail "moat verify full copy: $out"
jq -e --arg d "$DIGEST" --arg f "$FA" '.allow and .identity.engine == "copy" and .trust.allow
  and ([.identity.manifests[].digest] == [$d])
  and ([.identity.copy_signatures[].manifest] == [$d])' <<<"$out" >/dev/null || fail "json: $out"
find "$W/full" -type f ! -name manifest.json ! -name 'signature-*' -delete
assert_eq "$(moat_verdict "dir:$W/full" --reference "$IMG")" accept "blobs absent"

echo "== oci: judged with the lookaside, as create reads it"
policy "$(signed_by "$W/signer.gpg")"
export MOAT_CONFIG="$W/conf-oci/moat.conf"
store sig-good
assert_eq "$(moat_verdict "oci:$W/oci:$IMG")" accept "oci: signed, name from index.json"
# Without a name (as `moat run --image oci:DIR` without one) the image is nameless.
assert_eq "$(moat_verdict "oci:$W/oci")" reject "oci: the only manifest, no name"
assert_eq "$(moat_verdict "oci:$W/oci" --reference "$IMG")" accept "oci: the only manifest, --reference"
assert_eq "$(moat_verdict "oci:$W/oci:$IMG" --reference "$M:2")" reject "oci: --reference other tag"
store
assert_eq "$(moat_verdict "oci:$W/oci:$IMG")" reject "oci: unsigned"
rm -f "$W/oci/blobs/sha256/$(sha "$W/config.json")"
store sig-good
assert_eq "$(moat_verdict "oci:$W/oci:$IMG")" accept "oci: config blob absent"

echo "== dir: rows above ignored the lookaside: with it, an unsigned copy is still refused"
copy_dir
assert_eq "$(moat_verdict "dir:$W/copy" --reference "$IMG")" reject "dir: copy without signatures, lookaside signed"

echo "== a multi-arch index: signed over the index (skopeo copy --all --sign-by), or over linux/amd64"
export MOAT_CONFIG="$W/conf/moat.conf"
SRC2="$W/src-multi"
mkdir -p "$SRC2"
cp "$SRC"/* "$SRC2/"
printf '{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$W/config-arm.json"
cp "$W/config-arm.json" "$SRC2/$(sha "$W/config-arm.json")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[]}' \
  "$(sha "$W/config-arm.json")" "$(stat -c %s "$W/config-arm.json")" >"$W/arm.json"
AMD_HEX="$(sha "$MANIFEST")" ARM_HEX="$(sha "$W/arm.json")"
cp "$MANIFEST" "$SRC2/$AMD_HEX.manifest.json"
cp "$W/arm.json" "$SRC2/$ARM_HEX.manifest.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"arm64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}' \
  "$ARM_HEX" "$(stat -c %s "$W/arm.json")" "$AMD_HEX" "$(stat -c %s "$MANIFEST")" >"$SRC2/manifest.json"
MULTI="$REG/moat/multi:1"
skopeo copy -q --all --dest-tls-verify=false --registries.d "$W/skopeo-regd" --sign-by "$FA" "dir:$SRC2" "docker://$MULTI"
policy "$(signed_by "$W/signer.gpg")"
rm -rf "$W/multi"
skopeo copy -q --all --src-tls-verify=false --policy "$W/conf/policy.json" --registries.d "$W/skopeo-regd" \
  "docker://$MULTI" "dir:$W/multi" || fail "skopeo refused the index signed by itself"
[[ -f "$W/multi/signature-1" && -f "$W/multi/$AMD_HEX.manifest.json" ]] ||
  fail "skopeo copy --all wrote no signature-1 / instance manifest: $(ls "$W/multi")"
find "$W/multi" -type f ! -name '*manifest.json' ! -name '*signature-*' -delete
out="$("$MOAT_CLI" verify "dir:$W/multi" --reference "$MULTI" --output json)" || fail "index signed: $out"
jq -e --arg a "sha256:$AMD_HEX" '.allow and ([.identity.manifests[].digest] | length == 2 and .[1] == $a)' \
  <<<"$out" >/dev/null || fail "index signed, json: $out"
echo "ok   index signed (skopeo accept): moat dir: accept, 2 manifests"
# Only the platform manifest signed: create accepts a signature over the
# manifest it runs (ImageIdentity::manifests), so moat does too.
mv "$W/multi/signature-1" "$W/index-sig"
skopeo standalone-sign -o "$W/multi/$AMD_HEX.signature-1" "$MANIFEST" "$MULTI" "$FA"
assert_eq "$(moat_verdict "dir:$W/multi" --reference "$MULTI")" accept "index, linux/amd64 signed"
rm "$W/multi/$AMD_HEX.manifest.json"
assert_eq "$(moat_verdict "dir:$W/multi" --reference "$MULTI")" reject \
  "index, linux/amd64 signed but its manifest absent"
cp "$W/index-sig" "$W/multi/signature-1"
assert_eq "$(moat_verdict "dir:$W/multi" --reference "$MULTI")" accept "index signed, instance absent"

echo "== bad input: exit 1, one line naming the file"
bad() { # NAME WANT ARGS...
  local name="$1" want="$2" rc=0 out
  shift 2
  out="$("$MOAT_CLI" verify "$@" 2>&1)" || rc=$?
  if [[ "$rc" != 1 || "$out" != *"$want"* || "$(wc -l <<<"$out")" != 1 ]]; then
    echo "FAIL bad input $name: exit $rc: $out" >&2
    failures=$((failures + 1))
  else
    echo "ok   bad input $name: $out" | cut -c1-200
  fi
}
rm -rf "$W/bad"; mkdir "$W/bad"
bad "missing manifest.json" "$W/bad/manifest.json" "dir:$W/bad" --reference "$IMG"
ln -s "$MANIFEST" "$W/bad/manifest.json"
bad "symlinked manifest.json" "manifest.json" "dir:$W/bad" --reference "$IMG"
rm "$W/bad/manifest.json"; head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$W/bad/manifest.json"
bad "oversized manifest.json" "manifest.json" "dir:$W/bad" --reference "$IMG"
cp "$MANIFEST" "$W/bad/manifest.json"; ln -s "$W/sig-good" "$W/bad/signature-1"
bad "symlinked signature-1" "signature-1" "dir:$W/bad" --reference "$IMG"
rm "$W/bad/signature-1"
bad "--reference by another digest" "--reference: sha256:" "dir:$W/bad" --reference "$M@sha256:$(printf x | sha256sum | cut -d' ' -f1)"
cp -r "$W/oci" "$W/badoci"; echo '{"manifests":{}}' >"$W/badoci/index.json"
bad "malformed index.json" "index.json: manifests" "oci:$W/badoci"

if ((failures > 0)); then fail "$failures case(s) wrong"; fi
echo "PASS"
