# shellcheck shell=bash
# Keyless sigstore material made with the openssl CLI, for keyless_test.sh and
# bench/bench_keyless.sh: a Fulcio-like CA (root + intermediate), 10-minute
# leaves with Fulcio's OIDC issuer extensions, SAN email and code-signing EKU,
# Rekor P-256 keys, hashedrekord bodies and SETs as Rekor makes them, and the
# signature file as containers/image stores it.
#
#   keyless_setup WORK      # after fake_docker_image; needs REF; sets P, SIGDIR,
#                           # ISSUER, EMAIL, t0, integrated, FULCIO
#   keyless_sig OUT LEAF [REKOR_KEY|- [INTEGRATED [BODY_PAYLOAD]]]
#   policy JQ_REQUIREMENT   # the policy for registry.moat.test/moat

keyless_setup() {
W="$1"
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

}
