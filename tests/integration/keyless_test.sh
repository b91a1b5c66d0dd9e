#!/usr/bin/env bash
# shellcheck disable=SC2154  # P, SIGDIR, now, t0, integrated, FULCIO: set by keyless_setup
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
source "$(dirname "${BASH_SOURCE[0]}")/keyless_lib.sh"
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

keyless_setup "$W"

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
