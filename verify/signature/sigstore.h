// Stored signature files and sigstore (cosign) signatures.
//
// A `signature-N` file in a lookaside directory or a `dir:` image holds one
// signature in the form containers/image writes (internal/signature/
// signature.go, sigstore.go):
//  - a binary OpenPGP message, told apart by its first byte (a compressed
//    data, one-pass signature or signature packet): GPG simple signing;
//  - "\x00simple-signing\n" + the same OpenPGP message;
//  - "\x00sigstore-json\n" + {"mimeType": ..., "payload": base64,
//    "annotations": {"dev.cosignproject.cosign/signature": base64, ...}}.
// A sigstore signature is a signature over the raw payload bytes: ECDSA
// (P-256/P-384/P-521, SHA-256, DER), RSA PKCS#1 v1.5 with SHA-256, or Ed25519.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "verify/signature/payload.h"

namespace moat::verify {

enum class SignatureFormat { kSimpleSigning, kSigstore };

/// One stored signature with its format recognised. `data` is the OpenPGP
/// message (simple signing) or the JSON after the "\x00sigstore-json\n" header.
struct SignatureBlob {
  SignatureFormat format = SignatureFormat::kSimpleSigning;
  std::string data;
};

/// Recognises a signature file's format exactly as containers/image's
/// FromBlob does; unknown formats (an ASCII-armored or clear-signed message,
/// "\x00other\n") are errors: "<display>: unrecognized signature format ...".
Result<SignatureBlob> ParseSignatureBlob(std::string_view blob, const std::string& display);

const char* SignatureFormatName(SignatureFormat format);

inline constexpr std::string_view kSigstoreSignatureMimeType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSigstoreSignatureAnnotation =
    "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kSigstoreCertificateAnnotation =
    "dev.sigstore.cosign/certificate";
inline constexpr std::string_view kSigstoreChainAnnotation = "dev.sigstore.cosign/chain";
inline constexpr std::string_view kSigstoreBundleAnnotation = "dev.sigstore.cosign/bundle";

/// The JSON of a sigstore signature file, untrusted until verified.
struct SigstoreSignature {
  std::string mime_type;
  /// The payload bytes (base64-decoded), exactly as signed.
  std::string payload;
  /// Every annotation, in file order (keys are unique).
  std::vector<std::pair<std::string, std::string>> annotations;

  /// The value of an annotation, or nullptr.
  const std::string* Annotation(std::string_view key) const;
  /// False for other cosign attachments (attestations, SBOMs), which
  /// containers/image skips rather than counts as signatures.
  bool IsSignature() const { return mime_type == kSigstoreSignatureMimeType; }
};

/// Parses the JSON part of a sigstore signature file: an object with exactly
/// "mimeType" (string), "payload" (base64 string) and "annotations" (object
/// of strings). Errors: "<display>: payload: invalid base64 ...".
Result<SigstoreSignature> ParseSigstoreJson(std::string_view json, const std::string& display);

/// ParseSignatureBlob, then ParseSigstoreJson; a simple signing blob is an error.
Result<SigstoreSignature> ParseSigstoreBlob(std::string_view blob, const std::string& display);

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

enum class KeyAlgorithm { kEcdsaP256, kEcdsaP384, kEcdsaP521, kRsa, kEd25519 };

/// A public key that sigstore verification accepts.
class PublicKey {
 public:
  /// Reads the first "-----BEGIN PUBLIC KEY-----" (PKIX) block. EC keys must
  /// be on P-256, P-384 or P-521; RSA keys at least 2048 bits.
  static Result<PublicKey> FromPem(std::string_view pem, const std::string& display);
  /// The same checks on a key already decoded (a certificate's).
  static Result<PublicKey> FromKey(EvpPkeyPtr key, const std::string& display);

  KeyAlgorithm algorithm() const { return algorithm_; }
  EVP_PKEY* get() const { return key_.get(); }

 private:
  PublicKey(EvpPkeyPtr key, KeyAlgorithm alg) : key_(std::move(key)), algorithm_(alg) {}
  EvpPkeyPtr key_;
  KeyAlgorithm algorithm_;
};

const char* KeyAlgorithmName(KeyAlgorithm alg);

/// Verifies a raw signature over `data`: SHA-256 + DER ECDSA, SHA-256 +
/// RSA PKCS#1 v1.5, or pure Ed25519. Error: "signature does not verify".
Status VerifyRawSignature(const PublicKey& key, std::string_view data, std::string_view signature);

/// Verifies a sigstore signature with `key` (signature MIME type, the
/// base64 signature annotation over the payload bytes), and only then
/// parses the payload as a cosign payload. Digest and identity are the
/// caller's to match. Errors: "<display>: ...".
Result<SignaturePayload> VerifySigstoreSignature(const PublicKey& key, const SigstoreSignature& sig,
                                                 const std::string& display);

}  // namespace moat::verify
