#!/usr/bin/env bash
# moat's signature decisions agree with the reference tools on signatures made
# now, with fresh keys:
#  - GPG simple signing: `skopeo standalone-sign` makes the signatures (gpg for
#    the expired and revoked cases, which need a past clock), and for every
#    case moat_sigcheck's accept/reject equals `skopeo standalone-verify`'s;
#  - sigstore: Debian's skopeo has sigstore patched out, so the signatures are
#    made with `openssl dgst -sha256 -sign` over a cosign-style payload, stored
#    in containers/image's "\0sigstore-json\n" form; moat's decision must agree
#    with `openssl dgst -verify` on the raw signature plus the digest and
#    identity checks.
# Needs no root and no daemon.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_cmd gpg gpgconf skopeo openssl base64 sha256sum xxd

SIGCHECK="${MOAT_SIGCHECK:-$MOAT_BUILD_DIR/tests/moat_sigcheck}"
[[ -x "$SIGCHECK" ]] || fail "moat_sigcheck not built: $SIGCHECK (set MOAT_BUILD_DIR)"

work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
on_exit "gpgconf --homedir '$GNUPGHOME' --kill all >/dev/null 2>&1; rm -rf '$work'"
cd "$work"

g() { gpg --batch --no-tty --quiet --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
fpr_of() { gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }
flip_byte() { # FILE OFFSET: xor one byte with 0x01 in place
  local byte
  byte="$(xxd -s "$2" -l 1 -p "$1")"
  printf '%02x' $((0x$byte ^ 0x01)) | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

failures=0
# agree NAME EXPECT MOAT_CMD... -- REFERENCE_CMD...: both commands' exit status
# (0 = accept) must agree, and match EXPECT (accept|reject|any).
agree() {
  local name="$1" expect="$2" moat=() reference=() moat_v ref_v out
  shift 2
  while [[ "$1" != -- ]]; do moat+=("$1"); shift; done
  shift
  reference=("$@")
  if out="$("${moat[@]}" 2>&1)"; then moat_v=accept; else moat_v=reject; fi
  if "${reference[@]}" >/dev/null 2>&1; then ref_v=accept; else ref_v=reject; fi
  if [[ "$moat_v" != "$ref_v" ]]; then
    echo "FAIL $name: moat=$moat_v reference=$ref_v; moat said: $out" >&2
    failures=$((failures + 1))
  elif [[ "$expect" != any && "$moat_v" != "$expect" ]]; then
    echo "FAIL $name: both $moat_v, expected $expect; moat said: $out" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name: $moat_v${out:+ (${out//$'\n'/; })}" | cut -c1-200
  fi
}

echo "== keys and manifests"
# A is dated 2019 so that it can also make an expired signature "in 2020".
g --faked-system-time 20190101T000000 --quick-gen-key 'moat it A <a@example.invalid>' ed25519 sign never
g --quick-gen-key 'moat it B <b@example.invalid>' rsa2048 sign never
g --faked-system-time 20200101T000000 --quick-gen-key 'moat it expired <x@example.invalid>' ed25519 sign 1d
g --faked-system-time 20190101T000000 --quick-gen-key 'moat it revoked <r@example.invalid>' ed25519 sign never
fa="$(fpr_of a@example.invalid)"
fb="$(fpr_of b@example.invalid)"
fx="$(fpr_of x@example.invalid)"
fr="$(fpr_of r@example.invalid)"
for k in a:"$fa" b:"$fb" x:"$fx" r:"$fr"; do g --export "${k#*:}" >"key-${k%%:*}.gpg"; done
g --armor --export "$fa" >key-a.asc

# Two schema 2 manifests by hand, differing only in their config digest.
manifest() {
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[]}' \
    "${#1}" "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"
}
manifest '{"architecture":"amd64","os":"linux"}' >manifest.json
manifest '{"architecture":"arm64","os":"linux"}' >manifest-other.json
{ cat manifest.json; echo; } >manifest-newline.json
digest="sha256:$(sha256sum manifest.json | cut -d' ' -f1)"
ref=docker.io/library/busybox:latest

echo "== simple signing: skopeo standalone-sign"
skopeo standalone-sign manifest.json "$ref" "$fa" -o sig-a
skopeo standalone-sign manifest.json "$ref" "$fb" -o sig-b
skopeo standalone-sign manifest-other.json "$ref" "$fa" -o sig-a-other-digest
skopeo standalone-sign manifest.json docker.io/library/alpine:latest "$fa" -o sig-a-other-identity
skopeo standalone-sign manifest.json busybox "$fa" -o sig-a-familiar
# The expired and revoked keys sign "in the past", with gpg, what skopeo would sign.
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"atomic container signature"},"optional":{"creator":"moat it"}}' \
  "$ref" "$digest" >payload.json
g --faked-system-time 20200101T120000 --sign --local-user "$fx!" --output sig-x payload.json
g --faked-system-time 20200101T120000 --sign --local-user "$fr!" --output sig-r payload.json
g --faked-system-time 20200101T120000 --sign --local-user "$fa!" --default-sig-expire 1d \
  --output sig-a-expired payload.json
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$fr.rev" >revoke.asc
g --import revoke.asc
g --export "$fr" >key-r.gpg
# A payload of the cosign type, GPG-signed: a simple signing verifier must refuse it.
sed 's/atomic container signature/cosign container image signature/' payload.json >payload-cosign.json
g --sign --local-user "$fa!" --output sig-a-cosign-type payload-cosign.json

# simple CASE EXPECT SIGNATURE MANIFEST REFERENCE FPR KEYFILE
simple() {
  agree "$1" "$2" "$SIGCHECK" --gpg-key "$7" --signature "$3" --manifest "$4" --reference "$5" \
    -- skopeo standalone-verify "$4" "$5" "$6" "$3"
}
simple "good signature" accept sig-a manifest.json "$ref" "$fa" key-a.gpg
simple "good, armored key" accept sig-a manifest.json "$ref" "$fa" key-a.asc
simple "good, RSA key" accept sig-b manifest.json "$ref" "$fb" key-b.gpg
simple "reference normalised (busybox:latest)" accept sig-a manifest.json busybox:latest "$fa" key-a.gpg
simple "signed familiar name, asked canonical" accept sig-a-familiar manifest.json docker.io/library/busybox "$fa" key-a.gpg
simple "wrong key (A's signature, B trusted)" reject sig-a manifest.json "$ref" "$fb" key-b.gpg
simple "wrong key (B's signature, A trusted)" reject sig-b manifest.json "$ref" "$fa" key-a.gpg
simple "other digest (manifest changed)" reject sig-a manifest-other.json "$ref" "$fa" key-a.gpg
simple "other digest (signature for another manifest)" reject sig-a-other-digest manifest.json "$ref" "$fa" key-a.gpg
simple "manifest with one more byte" reject sig-a manifest-newline.json "$ref" "$fa" key-a.gpg
simple "other identity" reject sig-a-other-identity manifest.json "$ref" "$fa" key-a.gpg
simple "other tag" reject sig-a manifest.json docker.io/library/busybox:1.36 "$fa" key-a.gpg
simple "no tag asked, tag signed" reject sig-a manifest.json docker.io/library/busybox "$fa" key-a.gpg
simple "expired key" reject sig-x manifest.json "$ref" "$fx" key-x.gpg
simple "revoked key" reject sig-r manifest.json "$ref" "$fr" key-r.gpg
simple "expired signature" reject sig-a-expired manifest.json "$ref" "$fa" key-a.gpg
simple "cosign-type payload under GPG" reject sig-a-cosign-type manifest.json "$ref" "$fa" key-a.gpg
simple "not a signature (the manifest)" reject manifest.json manifest.json "$ref" "$fa" key-a.gpg

# Tampered bytes across the whole signature: wherever the flip lands (header,
# compressed stream, signature value, the ignorable last byte), both must agree.
size="$(stat -c %s sig-a)"
for off in 0 1 2 5 10 $((size / 4)) $((size / 2)) $((size * 3 / 4)) $((size - 20)) $((size - 2)) $((size - 1)); do
  cp sig-a "sig-a-flip-$off"
  flip_byte "sig-a-flip-$off" "$off"
  simple "tampered byte at $off/$size" any "sig-a-flip-$off" manifest.json "$ref" "$fa" key-a.gpg
done
simple "tampered byte in the middle" reject "sig-a-flip-$((size / 2))" manifest.json "$ref" "$fa" key-a.gpg

# containers/image's prefixed form, which skopeo standalone-verify (raw bytes
# to gpgme) does not read but a signature-N file may hold: moat alone.
{ printf '\0simple-signing\n'; cat sig-a; } >sig-a-prefixed
out="$("$SIGCHECK" --gpg-key key-a.gpg --signature sig-a-prefixed --manifest manifest.json --reference "$ref")" ||
  fail "prefixed simple signing form refused"
assert_match "$out" "digest: $digest" "prefixed form"
echo "ok   \\0simple-signing\\n form: accept"

echo "== sigstore: openssl-made signatures in the sigstore-json file form"
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec-other.pem
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
openssl genpkey -quiet -algorithm ED25519 -out ed.pem
for k in ec ec-other rsa ed; do openssl pkey -in "$k.pem" -pubout -out "$k.pub"; done

cosign_payload() { # DIGEST REPO
  printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
    "$2" "$1"
}
cosign_payload "$digest" docker.io/library/busybox >cosign.json
cosign_payload "sha256:$(sha256sum manifest-other.json | cut -d' ' -f1)" docker.io/library/busybox >cosign-other.json
raw_sign() { # KEY PAYLOAD OUT
  if [[ "$1" == ed ]]; then
    openssl pkeyutl -sign -rawin -inkey "$1.pem" -in "$2" -out "$3"
  else
    openssl dgst -sha256 -sign "$1.pem" -out "$3" "$2"
  fi
}
raw_verify() { # PUBKEY PAYLOAD SIG
  if [[ "$1" == ed.pub ]]; then
    openssl pkeyutl -verify -rawin -pubin -inkey "$1" -in "$2" -sigfile "$3"
  else
    openssl dgst -sha256 -verify "$1" -signature "$3" "$2"
  fi
}
wrap() { # OUT PAYLOAD SIG
  { printf '\0sigstore-json\n'
    printf '{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}' \
      "$(base64 -w0 "$2")" "$(base64 -w0 "$3")"; } >"$1"
}
for k in ec rsa ed; do
  raw_sign "$k" cosign.json "cosign.json.$k.sig"
  wrap "signature-$k" cosign.json "cosign.json.$k.sig"
done
wrap signature-ec-swapped cosign-other.json cosign.json.ec.sig
cp cosign.json.ec.sig bad.sig
flip_byte bad.sig $(($(stat -c %s bad.sig) - 1))
wrap signature-ec-tampered cosign.json bad.sig

# sigstore CASE EXPECT SIGNATURE PUBKEY PAYLOAD RAWSIG [REFERENCE]: the reference
# decision is openssl's verdict on the raw signature, then the payload's digest
# and identity (the payload is this test's own, so grep suffices).
sigstore() {
  local r="${7:-docker.io/library/busybox}"
  agree "$1" "$2" "$SIGCHECK" --sigstore-key "$4" --signature "$3" --manifest manifest.json --reference "$r" \
    -- bash -c 'raw_verify "$@" && grep -q "\"$4\"" "$2" && grep -q "\"docker-reference\":\"$5\"" "$2"' _ \
    "$4" "$5" "$6" "$digest" "$r"
}
export -f raw_verify
for k in ec rsa ed; do
  sigstore "cosign payload, $k key" accept "signature-$k" "$k.pub" cosign.json "cosign.json.$k.sig"
done
sigstore "wrong key" reject signature-ec ec-other.pub cosign.json cosign.json.ec.sig
sigstore "RSA key for an ECDSA signature" reject signature-ec rsa.pub cosign.json cosign.json.ec.sig
sigstore "payload swapped for another digest" reject signature-ec-swapped ec.pub cosign-other.json cosign.json.ec.sig
sigstore "tampered signature" reject signature-ec-tampered ec.pub cosign.json bad.sig
sigstore "other identity" reject signature-ec ec.pub cosign.json cosign.json.ec.sig docker.io/library/alpine

if ((failures > 0)); then
  fail "$failures case(s) where moat and the reference tool disagree or are wrong"
fi
echo "PASS"
