// The JSON payload that an image signature signs, parsed as strictly as
// containers/image does (signature/simple.go, signature/internal/
// sigstore_payload.go, signature/internal/json.go):
//
//   {"critical": {"identity": {"docker-reference": "..."},
//                 "image": {"docker-manifest-digest": "sha256:..."},
//                 "type": "atomic container signature"},
//    "optional": {"creator": "...", "timestamp": 1700000000}}
//
// Only ever parse a payload whose signature has already been verified: the
// values are what the signer vouched for, nothing more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace moat::verify {

/// Which mechanism signed a payload. Each accepts only its own critical.type.
enum class PayloadKind {
  kSimpleSigning,  // GPG "simple signing" (skopeo, podman, atomic)
  kCosign,         // sigstore / cosign
};

inline constexpr std::string_view kSimpleSigningType = "atomic container signature";
inline constexpr std::string_view kCosignType = "cosign container image signature";

/// The signed claims of one signature.
struct SignaturePayload {
  PayloadKind kind = PayloadKind::kSimpleSigning;
  /// critical.image.docker-manifest-digest: a valid digest ("sha256:<hex>").
  std::string docker_manifest_digest;
  /// critical.identity.docker-reference exactly as signed (not normalised;
  /// cosign writes a repository without tag, skopeo what it was told).
  std::string docker_reference;
  /// optional.creator and optional.timestamp (whole seconds), when present.
  std::optional<std::string> creator;
  std::optional<int64_t> timestamp;
};

/// Parses a payload signed by `kind`. As containers/image does:
///  - the top level has exactly the keys "critical" and "optional";
///  - critical has exactly "type", "image", "identity"; image exactly
///    "docker-manifest-digest"; identity exactly "docker-reference";
///  - critical.type must be the kind's type string;
///  - optional must be an object (for kCosign also null, as cosign writes);
///    its "creator" must be a string and "timestamp" an integral number,
///    other keys are ignored;
///  - the digest must be valid (IsValidDigest).
/// Keys are compared exactly; duplicate keys, unknown or missing keys are
/// errors. Where Go would silently read a JSON null as "" in critical, this
/// refuses it (no accepted signature changes). Errors read
/// "<display>: critical.image.docker-manifest-digest: ...".
Result<SignaturePayload> ParsePayload(std::string_view json, PayloadKind kind,
                                      const std::string& display);

const char* PayloadKindName(PayloadKind kind);

}  // namespace moat::verify
