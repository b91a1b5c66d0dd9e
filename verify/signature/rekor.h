// Rekor signed entry timestamps (SETs) in sigstore signatures, verified
// offline as containers/image does (signature/internal/rekor_set.go).
//
// The dev.sigstore.cosign/bundle annotation is cosign's RekorBundle:
//   {"SignedEntryTimestamp": base64 DER ECDSA signature,
//    "Payload": {"body": base64 Rekor entry, "integratedTime": unix seconds,
//                "logIndex": int, "logID": hex}}
// The SET is the Rekor key's ECDSA/SHA-256 signature over the RFC 8785
// canonical JSON of Payload: {"body":...,"integratedTime":...,"logID":...,
// "logIndex":...}. The body must be a hashedrekord v0.0.1 entry naming this
// signature, this certificate or public key (the same DER) and the SHA-256
// of this payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/signature/policy.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

/// A parsed, not yet verified, RekorBundle.
struct RekorBundle {
  std::string set;   // the decoded SignedEntryTimestamp
  std::string body;  // the decoded Payload.body
  int64_t integrated_time = 0;
  int64_t log_index = 0;
  std::string log_id;
  /// The canonical JSON the SET signs.
  std::string canonical;
};

/// Parses the bundle annotation: exactly the fields above (no others, no
/// duplicates), integers in [0, 2^53]. Errors: "rekor bundle: <field>: ...".
Result<RekorBundle> ParseRekorBundle(std::string_view json);

/// What a hashedrekord v0.0.1 body says.
struct HashedRekord {
  std::string signature;       // spec.signature.content, decoded
  std::string public_key_pem;  // spec.signature.publicKey.content, decoded
  std::string sha256_hex;      // spec.data.hash.value (algorithm "sha256")
};

/// Parses a Rekor entry body; only kind "hashedrekord", apiVersion "0.0.1".
Result<HashedRekord> ParseHashedRekord(std::string_view body);

/// DER SubjectPublicKeyInfo of a key.
std::string PublicKeyDer(const PublicKey& key);

/// The Rekor log ID of a key: lower-case hex SHA-256 of its DER SubjectPublicKeyInfo.
std::string RekorLogId(const PublicKey& key);

/// Verifies the bundle annotation with any of `rekor_keys` (ECDSA PEM public
/// keys): the SET signature, logID = that key's ID, and the body naming
/// `key_or_cert_der` (the DER of the certificate or SubjectPublicKeyInfo),
/// `signature_b64` and `payload`. Returns the
/// integrated time. Errors name the check: "rekor SET: does not verify with
/// rekorPublicKeyPath /etc/...", "rekor SET: body: signature does not match".
Result<int64_t> VerifyRekorSet(const std::vector<TrustedKey>& rekor_keys,
                               std::string_view bundle_json, std::string_view key_or_cert_der,
                               std::string_view signature_b64, std::string_view payload);

}  // namespace moat::verify
