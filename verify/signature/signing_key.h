// Private keys that sign scan verdicts (`moat verdict keygen|import`):
// ECDSA P-256 (signatures are DER over SHA-256, as cosign makes them) and
// Ed25519. Verification uses PublicKey and VerifyRawSignature (sigstore.h).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

class SigningKey {
 public:
  /// A fresh key of `alg` (kEcdsaP256 or kEd25519).
  static Result<SigningKey> Generate(KeyAlgorithm alg);
  /// Reads the first private key of a PEM file: "PRIVATE KEY" (PKCS#8) or
  /// "EC PRIVATE KEY", unencrypted. Other algorithms and curves are errors.
  static Result<SigningKey> FromPem(std::string_view pem, const std::string& display);

  KeyAlgorithm algorithm() const { return algorithm_; }
  /// The private key as unencrypted PKCS#8 PEM.
  Result<std::string> PrivatePem() const;
  /// The public key as "PUBLIC KEY" (PKIX) PEM, which PublicKey::FromPem reads.
  Result<std::string> PublicPem() const;
  /// The public key, for verifying what this key signs.
  Result<PublicKey> Public() const;
  /// The signature over `data`: DER ECDSA over SHA-256, or pure Ed25519.
  Result<std::string> Sign(std::string_view data) const;

 private:
  SigningKey(EvpPkeyPtr key, KeyAlgorithm alg) : key_(std::move(key)), algorithm_(alg) {}
  EvpPkeyPtr key_;
  KeyAlgorithm algorithm_;
};

/// A short identifier of a public key: the lower-case hex SHA-256 of its
/// DER SubjectPublicKeyInfo (what `openssl pkey -pubin -outform DER |
/// sha256sum` prints). Used as the DSSE keyid, a hint only.
Result<std::string> KeyId(const PublicKey& key);

}  // namespace moat::verify
