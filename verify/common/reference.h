// Docker image references, parsed and normalised as docker/distribution's
// reference package does: "busybox" -> "docker.io/library/busybox:latest".
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace moat::verify {

struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // "" when none
  std::string digest;  // "sha256:<hex>", "" when none

  /// "docker.io/library/busybox"
  std::string Name() const;
  /// "docker.io/library/busybox:latest", "...@sha256:..", or "...:tag@sha256:.."
  std::string String() const;
  bool operator==(const Reference& o) const = default;
};

/// Parses a reference in normalised or familiar form ("busybox",
/// "library/busybox:1", "localhost:5000/a/b@sha256:..."). Invalid names,
/// tags or digests, upper case in the repository, and a bare 64-hex id are errors.
Result<Reference> ParseNormalizedNamed(std::string_view s);

/// ParseNormalizedNamed, then ":latest" added when neither tag nor digest is given.
Result<Reference> ParseNormalizedTagged(std::string_view s);

/// True for "sha256:<64 lower-case hex>".
bool IsSha256Digest(std::string_view s);

/// ParseNormalizedNamed, but the input must already be in the fully expanded
/// form ("docker.io/library/busybox:latest", not "busybox:latest"), as
/// containers/image's reference.ParseNamed requires.
Result<Reference> ParseCanonicalNamed(std::string_view s);

/// True when the reference has neither a tag nor a digest.
bool IsNameOnly(const Reference& r);

/// Grammar pieces, for callers that validate scopes and prefixes.
/// host[:port]: DNS-like labels ("a-b.example.com", upper case allowed) or
/// "[ipv6]", with an optional numeric port.
bool IsValidDomain(std::string_view s);
/// Labels joined by "." only: no port, no IPv6 (what a "*." wildcard scope names).
bool IsValidDomainName(std::string_view s);
/// containers/image's splitDockerDomain test: a first component (before a "/")
/// is a registry host if it contains "." or ":", is "localhost", or has upper case.
bool LooksLikeDomain(std::string_view first_component);
/// One or more lower-case path components joined by "/".
bool IsValidPath(std::string_view s);
/// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsValidTag(std::string_view s);

}  // namespace moat::verify
