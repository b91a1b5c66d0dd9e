#!/usr/bin/env bash
# Signature enforcement end to end: a real local registry, a GPG key, simple
# signatures made by skopeo, a private dockerd with moat as runtime. A signed
# image runs; a side-loaded, retagged or badly signed one is refused with the
# scope and the failed check in the docker CLI's output. `moat verify` says
# the same about images and bundles; `moat trust import` stores the
# signatures of a `skopeo copy --sign-by ... dir:` copy where moat finds them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
need_cmd dockerd containerd jq curl skopeo gpg docker-registry
need_moat_runtime

W="$(tmp_dir work)"
start_registry "$W/registry"
echo "registry at $REG"

echo "== keys"
gpg_signing_key "$W/gnupg" 'someone else' other@moat.test
cp "$W/gnupg.other@moat.test.gpg" "$W/other.gpg"
gpg_signing_key "$W/gnupg" 'moat signer' signer@moat.test
cp "$W/gnupg.signer@moat.test.gpg" "$W/signer.gpg"

echo "== moat, dockerd, and an image pushed to and pulled from the registry"
moat_env "$W/conf" enforce restricted
start_dockerd signed "$MOAT_RUNTIME" "{\"insecure-registries\": [\"$REG\"]}"
moat_conf_jq '.docker_root = $r' --arg r "$DOCKERD_DIR/root"
IMG="$REG/moat/busybox:1"
publish_busybox "$IMG" "$W/manifest.json"
assert_eq "$(docker image inspect -f '{{index .RepoDigests 0}}' "$IMG")" "$REG/moat/busybox@$DIGEST" "repo digest"

LOOK="$W/lookaside"
SIGDIR="$LOOK/moat/busybox@sha256=${DIGEST#sha256:}"
mkdir -p "$SIGDIR"
cat >"$W/conf/registries.d/local.yaml" <<EOF
docker:
  $REG:
    lookaside: file://$LOOK
EOF
chmod 0644 "$W/conf/registries.d/local.yaml"
# sign REF KEY OUT [MANIFEST]: a simple signature, as skopeo copy --sign-by makes.
sign() { skopeo standalone-sign -o "$3" "${4:-$W/manifest.json}" "$1" "$2"; }
write_policy() {
  jq -n --arg reg "$REG" --arg key "$1" --argjson moatreq "${2:-null}" '
    {default: [{type: "reject"}],
     transports: {docker: {
       ($reg + "/moat"): ($moatreq // [{type: "signedBy", keyType: "GPGKeys", keyPath: $key}]),
       ($reg + "/open"): [{type: "insecureAcceptAnything"}]}}}' >"$W/conf/policy.json"
  chmod 0644 "$W/conf/policy.json"
}
write_policy "$W/signer.gpg"
sign "$IMG" "$FPR" "$SIGDIR/signature-1"

run() { docker run --rm --runtime moat --network none "$@"; }
refused() {
  local want="$1" out
  shift
  if out="$(run "$@" id -u 2>&1)"; then fail "docker run $* ran: $out"; fi
  [[ "$out" == *"$want"* ]] || fail "docker run $*: output lacks '$want': $out"
  echo "ok: refused: ${out#*OCI runtime create failed: }" | cut -c1-400
}

echo "== a signed image runs, hardened"
out="$(run "$IMG" id -u 2>&1)" || fail "signed image refused: $out"
assert_eq "$out" 65534 "uid"
tail -n1 "$W/conf/audit.log" | jq -e --arg d "$DIGEST" --arg f "$FPR" \
  '.decision == "allow" and .image.trusted == "yes" and (.image.how | contains($f) and contains($d))' \
  >/dev/null || fail "audit record: $(tail -n1 "$W/conf/audit.log")"
assert_eq "$(ls "$W/conf/state/cache/gpg" | wc -l)" 1 "cached GPG results"
out="$(run "$IMG" id -u 2>&1)" || fail "signed image refused on the cached path: $out"
assert_eq "$(ls "$W/conf/state/cache/gpg" | wc -l)" 1 "cached GPG results after a repeat create"

echo "== moat verify: an image in dockerd's store, and a container's bundle"
out="$("$MOAT_CLI" verify "$IMG")" || fail "moat verify $IMG: exit $?: $out"
grep -q '^trust:      allowed' <<<"$out" || fail "moat verify $IMG: $out"
grep -q "^how:        signedBy: GPG key $FPR over $DIGEST" <<<"$out" || fail "moat verify $IMG: $out"
cid="$(docker run -d --runtime moat --network none "$IMG" sleep 600)"
bundle="$(dirname "$(find "$DOCKERD_DIR" -path "*/io.containerd.runtime.v2.task/moby/$cid/config.json")")"
"$MOAT_CLI" verify --bundle "$bundle" --id "$cid" --output json |
  jq -e --arg d "$DIGEST" '.allow and .identity.engine == "docker" and ([.identity.manifests[].digest] | index($d)) != null' \
  >/dev/null || fail "moat verify --bundle: $("$MOAT_CLI" verify --bundle "$bundle" --id "$cid" 2>&1)"
docker rm -f "$cid" >/dev/null

echo "== moat trust import: signatures of a skopeo dir: copy"
mv "$SIGDIR" "$W/saved-sigs"
skopeo copy -q --src-tls-verify=false --sign-by "$FPR" --sign-identity "$IMG" "docker://$IMG" "dir:$W/copy"
out="$("$MOAT_CLI" trust import "$W/copy" --reference "$IMG")" || fail "moat trust import: $out"
echo "$out"
[[ -f "$SIGDIR/signature-1" ]] || fail "moat trust import did not write $SIGDIR/signature-1"
out="$(run "$IMG" id -u 2>&1)" || fail "image with an imported signature refused: $out"
out="$("$MOAT_CLI" trust import "$W/copy" --reference "$IMG")" || fail "second import: $out"
grep -q "imported 0 of 1" <<<"$out" || fail "a second import added a duplicate: $out"
rm -f "$W/copy/signature-1"
if out="$("$MOAT_CLI" trust import "$W/copy" --reference "$IMG" 2>&1)"; then
  fail "import without signatures succeeded: $out"
fi
assert_eq "$out" "moat: $W/copy: no signature-1: nothing to import" "import without signatures"
rm -rf "$SIGDIR"
mv "$W/saved-sigs" "$SIGDIR"

echo "== the same bits under another name are refused"
docker tag "$IMG" "$REG/moat/renamed:1"
refused "no signatures in $LOOK/moat/renamed@sha256=" "$REG/moat/renamed:1"
docker tag "$IMG" busybox:latest
refused 'docker.io/library/busybox:latest (scope default): default[0]: reject' busybox:latest

echo "== docker save | docker load (side-loaded, even under the signed name) is refused"
docker save "$IMG" -o "$W/image.tar"
docker rmi -f "$IMG" "$REG/moat/renamed:1" busybox:latest >/dev/null
docker load -q -i "$W/image.tar" >/dev/null
refused 'no registry manifest of this image is on the host' "$IMG"
if out="$("$MOAT_CLI" verify "$IMG")"; then fail "moat verify accepted a loaded image: $out"; fi
grep -q 'no registry manifest of this image is on the host' <<<"$out" || fail "moat verify: $out"
docker rmi -f "$IMG" >/dev/null
docker pull -q "$IMG" >/dev/null
out="$(run "$IMG" true 2>&1)" || fail "re-pulled signed image refused: $out"

echo "== bad signatures are refused"
write_policy "$W/other.gpg"
refused 'signedBy' "$IMG"
write_policy "$W/signer.gpg"
cp "$SIGDIR/signature-1" "$W/good.sig"
sign "$REG/moat/busybox:2" "$FPR" "$SIGDIR/signature-1"
refused "signed for \"$REG/moat/busybox:2\", which matchRepoDigestOrExact does not accept" "$IMG"
cp "$W/good.sig" "$SIGDIR/signature-1"
python3 - "$SIGDIR/signature-1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-20] ^= 0x55  # inside the signature packet
open(p, "wb").write(b)
PY
refused "$SIGDIR/signature-1" "$IMG"
sed 's/"size": *[0-9]*/"size": 1/' "$W/manifest.json" >"$W/other-manifest.json"
cmp -s "$W/manifest.json" "$W/other-manifest.json" && fail "could not make another manifest"
sign "$IMG" "$FPR" "$SIGDIR/signature-1" "$W/other-manifest.json"
refused "signs manifest sha256:" "$IMG"

echo "== a second, good signature after a bad one is enough"
cp "$W/good.sig" "$SIGDIR/signature-2"
out="$(run "$IMG" true 2>&1)" || fail "good signature-2 not used: $out"
cp "$W/good.sig" "$SIGDIR/signature-1"
rm -f "$SIGDIR/signature-2"

echo "== reject and insecureAcceptAnything scopes"
write_policy "$W/signer.gpg" '[{"type":"reject"}]'
refused "transports.docker[\"$REG/moat\"][0]: reject" "$IMG"
write_policy "$W/signer.gpg"
docker_import_busybox "$REG/open/anything:1"
out="$(run "$REG/open/anything:1" id -u 2>&1)" || fail "insecureAcceptAnything scope refused: $out"
assert_eq "$out" 65534 "uid under an open scope"
echo "PASS"
