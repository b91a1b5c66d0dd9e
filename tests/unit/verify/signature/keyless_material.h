// Test material for keyless sigstore signatures, built at test time with the
// OpenSSL API: a Fulcio-like CA (root + intermediate), leaves with Fulcio's
// issuer extensions, a Rekor P-256 key, hashedrekord bodies and SETs as
// Rekor makes them, and cosign payloads signed by a leaf.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "verify/signature/cert.h"
#include "verify/signature/sigstore.h"

namespace moat::testing {

struct KeyPair {
  verify::EvpPkeyPtr key;
  std::string public_pem;
};

KeyPair NewP256();

struct CertSpec {
  std::string cn;
  time_t not_before = 0;
  time_t not_after = 0;
  bool ca = false;
  std::string email;                // SAN email
  std::string dns;                  // SAN DNS name
  std::string eku = "codeSigning";  // "" for none
  std::string ca_eku;               // a CA's extendedKeyUsage, "" for none
  std::string issuer_v1;            // 1.3.6.1.4.1.57264.1.1 raw, "" for none
  std::string issuer_v2;            // 1.3.6.1.4.1.57264.1.8 UTF8String, "" for none
};

/// A CA certificate spec.
inline CertSpec CaSpec(std::string cn, time_t not_before, time_t not_after) {
  CertSpec s;
  s.cn = std::move(cn);
  s.not_before = not_before;
  s.not_after = not_after;
  s.ca = true;
  return s;
}

/// A certificate for `subject` signed by `issuer_key` (issuer_cert null: self-signed).
verify::X509Ptr MakeCert(const CertSpec& spec, EVP_PKEY* subject, X509* issuer_cert,
                         EVP_PKEY* issuer_key);
std::string CertPem(X509* cert);

/// ECDSA/SHA-256 DER signature.
std::string Sign(EVP_PKEY* key, std::string_view data);

std::string Sha256Hex(std::string_view data);

/// A hashedrekord v0.0.1 body as Rekor stores it.
std::string HashedRekordBody(std::string_view signature, std::string_view key_or_cert_pem,
                             std::string_view payload);

/// cosign's RekorBundle JSON for `body`, signed by `rekor` (SET over the
/// canonical JSON), with `log_id` ("" = the key's ID).
std::string RekorBundleJson(EVP_PKEY* rekor, const std::string& body, int64_t integrated_time,
                            int64_t log_index, std::string log_id = "");

std::string CosignPayload(const std::string& reference, const std::string& digest);

}  // namespace moat::testing
