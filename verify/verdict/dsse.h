// DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse,
// envelope.md and protocol.md), as cosign writes attestations:
//
//   {"payloadType": "application/vnd.in-toto+json",
//    "payload": "<base64 of the statement>",
//    "signatures": [{"keyid": "<hint>", "sig": "<base64 signature>"}]}
//
// Each signature is over PAE(payloadType, payload) =
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with LEN the byte length
// in ASCII decimal. The keyid is an unauthenticated hint: every trusted key is
// tried against every signature.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/signature/signing_key.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

struct DsseSignature {
  std::string keyid;  // may be empty
  std::string sig;    // raw signature bytes (base64-decoded)
};

/// An envelope as read, untrusted until VerifyDsse accepts it.
struct DsseEnvelope {
  std::string payload_type;
  std::string payload;  // raw bytes (base64-decoded), exactly as signed
  std::vector<DsseSignature> signatures;
};

/// Parses an envelope: an object with exactly "payloadType" (string),
/// "payload" (base64) and "signatures" (a non-empty array of objects with a
/// base64 "sig" and an optional string "keyid"; other members of a signature,
/// such as a certificate, are ignored). Base64 may be standard or URL-safe,
/// padded or not, as the DSSE spec allows. Errors: "<display>: payload: ...".
Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json, const std::string& display);

/// PAE(type, body), the bytes every DSSE signature covers.
std::string Pae(std::string_view type, std::string_view body);

/// Checks that some signature of `env` verifies with one of `keys`, and
/// returns the index of the first key that does. Errors: "signature does not
/// verify with any of the N trusted keys".
Result<size_t> VerifyDsse(const DsseEnvelope& env, const std::vector<const PublicKey*>& keys);

/// Signs `payload` with `key` and returns the envelope as JSON text, one
/// signature whose keyid is KeyId of the public key.
Result<std::string> SignDsse(std::string_view payload_type, std::string_view payload,
                             const SigningKey& key);

}  // namespace moat::verify
