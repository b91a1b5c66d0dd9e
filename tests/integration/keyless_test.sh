#!/usr/bin/env bash
# Keyless sigstore signatures end to end, fully offline: a Fulcio-like CA
# (root + intermediate), a 10-minute leaf with Fulcio's OIDC issuer extensions,
# SAN email and code-signing EKU, issued an hour ago (so expired now), a Rekor
# P-256 key, a hashedrekord body and SET as Rekor makes them, all with the
# openssl CLI; the signature stored as containers/image writes it ("\0sigstore-
# json\n" with the certificate, chain and bundle annotations) in the lookaside
# of a fake Docker image. moat-runtime create allows it under a fulcio +
# rekorPublicKeyPath policy (verified at the Rekor integrated time) and refuses
# it, naming the check, for a wrong issuer or email, another CA, another Rekor
# key, a body for another payload, an integrated time after the certificate
# expired, and a missing bundle. A pki policy (same CA, no Rekor) refuses the
# expired leaf, since pki validates now.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fake_docker.sh"
need_root
need_cmd "$RUNC" jq openssl base64 sha256sum
need_moat_runtime

W="$(tmp_dir work)"
moat_env "$W/conf" enforce restricted
on_exit runc_delete_all "$RUNC_ROOT"
fake_docker_root "$W/docker"
REF=registry.moat.test/moat/busybox:1
fake_docker_image "$REF"
moat_conf_jq '.docker_root = $r' --arg r "$FAKE_DOCKER_ROOT"

P="$W/pki"
install -d -m 0755 "$P"
ISSUER=https://oauth2.sigstore.test/auth
EMAIL=builder@moat.test
now="$(date +%s)"
t0=$((now - 3600))
integrated=$((t0 + 60))
utc() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }

echo "== a Fulcio-like CA, a 10-minute leaf issued an hour ago, a Rekor key"
ossl() { openssl "$@" 2>"$P/openssl.err" || fail "openssl $1: $(cat "$P/openssl.err")"; }
# issue NAME SIGNER START END SECTION [V1 V2 EMAIL]: a P-256 key NAME.key and
# certificate NAME.pem, signed with `openssl ca` (the only CLI that takes a
# start and end time to the second) by SIGNER ("" = self-signed), with the
# extensions of SECTION (ca or leaf; a leaf gets the Fulcio issuer extensions
# V1 and V2 when not empty, and the SAN email EMAIL).
issue() {
  local name="$1" signer="$2" start="$3" end="$4" section="$5" v1="${6:-}" v2="${7:-}" email="${8:-$EMAIL}"
  local d="$P/ca-$name"
  install -d -m 0700 "$d"
  : >"$d/index.txt"
  printf '%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$d/serial"
  cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $d/index.txt
serial = $d/serial
new_certs_dir = $d
policy = p
unique_subject = no
[p]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = critical,email:$email
EOF
  [[ -n "$v1" ]] && echo "1.3.6.1.4.1.57264.1.1 = DER:$(printf '%s' "$v1" | od -An -tx1 | tr -d ' \n')" >>"$d/ca.cnf"
  [[ -n "$v2" ]] && echo "1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:$v2" >>"$d/ca.cnf"
  ossl ecparam -name prime256v1 -genkey -noout -out "$P/$name.key"
  ossl req -new -key "$P/$name.key" -subj "/O=sigstore.test/CN=$name" -out "$P/$name.csr"
  local by=(-selfsign -keyfile "$P/$name.key")
  [[ -n "$signer" ]] && by=(-cert "$P/$signer.pem" -keyfile "$P/$signer.key")
  ossl ca -batch -config "$d/ca.cnf" -extensions "${section}_ext" -md sha256 -notext "${by[@]}" \
    -startdate "$(utc "$start")" -enddate "$(utc "$end")" -in "$P/$name.csr" -out "$P/$name.pem"
}
year=$((365 * 86400))
issue root "" $((now - year)) $((now + year)) ca
issue inter root $((now - year)) $((now + year)) ca
issue other "" $((now - year)) $((now + year)) ca
issue leaf inter "$t0" $((t0 + 600)) leaf "$ISSUER" "$ISSUER"
issue noissuer inter "$t0" $((t0 + 600)) leaf
ossl ecparam -name prime256v1 -genkey -noout -out "$P/rekor.key"
ossl ec -in "$P/rekor.key" -pubout -out "$P/rekor.pub"
ossl ecparam -name prime256v1 -genkey -noout -out "$P/rekor-other.key"
ossl ec -in "$P/rekor-other.key" -pubout -out "$P/rekor-other.pub"
chmod 0644 "$P"/*.pem "$P"/*.pub

LOOK="$W/look"
SIGDIR="$LOOK/moat/busybox@sha256=${FAKE_MANIFEST_DIGEST#sha256:}"
install -d -m 0755 "$SIGDIR" "$W/conf/registries.d"
printf 'docker:\n  registry.moat.test:\n    lookaside: file://%s\n' "$LOOK" >"$W/conf/registries.d/fake.yaml"
chmod 0644 "$W/conf/registries.d/fake.yaml"

b64() { base64 -w0 "$@"; }
# keyless_sig OUT LEAF [REKOR_KEY [INTEGRATED [BODY_PAYLOAD]]]: a sigstore signature by LEAF's
# key over a cosign payload for $REF, with its certificate, chain and Rekor bundle
# (no bundle when REKOR_KEY is "-").
keyless_sig() {
  local out="$1" cert="$2" rekor="${3:-rekor}" at="${4:-$integrated}" bodyp="${5:-}" t="$P/tmp"
  printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
    "$REF" "$FAKE_MANIFEST_DIGEST" >"$t.payload"
  ossl dgst -sha256 -sign "$P/$cert.key" -out "$t.sig" "$t.payload"
  [[ -n "$bodyp" ]] || bodyp="$t.payload"
  printf '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"%s"}},"signature":{"content":"%s","publicKey":{"content":"%s"}}}}' \
    "$(sha256sum "$bodyp" | cut -d' ' -f1)" "$(b64 "$t.sig")" "$(b64 "$P/$cert.pem")" >"$t.body"
  local ann
  ann="$(jq -n --rawfile c "$P/$cert.pem" --rawfile i "$P/inter.pem" --rawfile r "$P/root.pem" \
    --arg s "$(b64 "$t.sig")" \
    '{"dev.cosignproject.cosign/signature": $s, "dev.sigstore.cosign/certificate": $c,
      "dev.sigstore.cosign/chain": ($i + $r)}')"
  if [[ "$rekor" != - ]]; then
    local logid body canonical
    logid="$(openssl ec -in "$P/$rekor.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)"
    body="$(b64 "$t.body")"
    # RFC 8785: keys sorted, no whitespace (base64 and hex need no escaping).
    canonical="{\"body\":\"$body\",\"integratedTime\":$at,\"logID\":\"$logid\",\"logIndex\":7}"
    printf '%s' "$canonical" >"$t.canonical"
    ossl dgst -sha256 -sign "$P/$rekor.key" -out "$t.set" "$t.canonical"
    local bundle
    bundle="$(jq -cn --arg set "$(b64 "$t.set")" --arg body "$body" --argjson at "$at" --arg id "$logid" \
      '{SignedEntryTimestamp: $set, Payload: {body: $body, integratedTime: $at, logIndex: 7, logID: $id}}')"
    ann="$(jq --arg b "$bundle" '. + {"dev.sigstore.cosign/bundle": $b}' <<<"$ann")"
  fi
  { printf '\0sigstore-json\n'
    jq -cn --arg p "$(b64 "$t.payload")" --argjson a "$ann" \
      '{mimeType: "application/vnd.dev.cosign.simplesigning.v1+json", payload: $p, annotations: $a}'
  } >"$out"
  chmod 0644 "$out"
}

# policy JQ_REQUIREMENT: the docker scope registry.moat.test/moat requires it.
policy() {
  jq -n --arg ca "$P/root.pem" --arg other "$P/other.pem" --arg rekor "$P/rekor.pub" \
    --arg issuer "$ISSUER" --arg email "$EMAIL" \
    "{default: [{type: \"reject\"}], transports: {docker: {\"registry.moat.test/moat\": [$1]}}}" \
    >"$W/conf/policy.json"
  chmod 0644 "$W/conf/policy.json"
}
FULCIO='{type: "sigstoreSigned", fulcio: {caPath: $ca, oidcIssuer: $issuer, subjectEmail: $email}, rekorPublicKeyPath: $rekor}'

n=0
create() { # create: a fresh container of the image through moat-runtime
  n=$((n + 1))
  local cid b
  cid="$(printf 'keyless-%s-%s' "$$" "$n" | sha256sum | cut -d' ' -f1)"
  b="$(fake_docker_container "$cid" '["true"]')"
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" create --bundle "$b" "$cid" </dev/null >/dev/null || return 1
  "$MOAT_RUNTIME" --root "$RUNC_ROOT" delete --force "$cid" >/dev/null 2>&1 || true
}
allowed() { # NAME
  local out
  out="$(create 2>&1)" || fail "$1: refused: $out"
  echo "ok   $1: allowed"
}
refused() { # NAME WANT
  echo -n "ok   $1: "
  expect_refusal "$2" create
}

echo "== fulcio + rekorPublicKeyPath"
policy "$FULCIO"
keyless_sig "$SIGDIR/signature-1" leaf
allowed "keyless signature verified at the Rekor integrated time"
tail -n1 "$W/conf/audit.log" | jq -e --arg k "fulcio:$ISSUER/$EMAIL" \
  '.decision == "allow" and (tostring | contains($k))' >/dev/null ||
  fail "audit record does not name the keyless signer: $(tail -n1 "$W/conf/audit.log")"
echo "ok   the audit record names fulcio:$ISSUER/$EMAIL"

policy "${FULCIO/\$issuer/\"https://accounts.example\"}"
refused "wrong issuer" 'fulcio: OIDC issuer "'"$ISSUER"'" is not oidcIssuer "https://accounts.example"'
policy "${FULCIO/\$email/\"mallory@moat.test\"}"
refused "wrong email" 'fulcio: subjectEmail "mallory@moat.test" is not among'
policy "${FULCIO/\$ca/\$other}"
refused "chain to another CA" 'fulcio: at the Rekor integrated time: certificate chain:'
policy "${FULCIO/\$rekor/\"$P/rekor-other.pub\"}"
refused "another Rekor key" "rekor SET: does not verify with $P/rekor-other.pub"
policy "$FULCIO"
keyless_sig "$SIGDIR/signature-1" leaf rekor "$integrated" /etc/hostname
refused "body for another payload" 'rekor SET: body: payload hash does not match'
keyless_sig "$SIGDIR/signature-1" leaf rekor $((t0 + 601))
refused "integrated time after notAfter" "fulcio: Rekor integrated time $((t0 + 601)) is outside the certificate's validity"
keyless_sig "$SIGDIR/signature-1" leaf -
refused "missing bundle" 'missing dev.sigstore.cosign/bundle annotation'
keyless_sig "$SIGDIR/signature-1" noissuer
refused "no issuer extension" 'fulcio: OIDC issuer: the certificate has no issuer extension'

echo "== pki: the same CA, validated now"
keyless_sig "$SIGDIR/signature-1" leaf -
policy '{type: "sigstoreSigned", pki: {caRootsPath: $ca, subjectEmail: $email}}'
refused "pki validates now: the leaf has expired" 'pki: certificate chain: certificate has expired'
issue fresh inter $((now - 60)) $((now + 3600)) leaf
keyless_sig "$SIGDIR/signature-1" fresh -
allowed "pki with a current certificate"
policy '{type: "sigstoreSigned", pki: {caRootsPath: $ca, subjectEmail: "x@moat.test"}}'
refused "pki wrong email" 'pki: subjectEmail "x@moat.test" is not among'

echo "== policy files: root-owned, no symlinks"
ln -s "$P/root.pem" "$P/root-link.pem"
policy "${FULCIO/\$ca/\"$P/root-link.pem\"}"
refused "caPath symlink" "fulcio.caPath: $P/root-link.pem: is a symbolic link, refused"
echo PASS
