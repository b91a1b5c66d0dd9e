// Content digests as the OCI image spec and go-digest write them
// ("sha256:<hex>"): checking their form, computing them, and checking that
// manifest bytes are what a digest names. Shared by the identity,
// signature and verdict rooms.
#pragma once

#include <string>
#include <string_view>

namespace moat::verify {

/// True for a digest that go-digest's Parse accepts: "sha256:" + 64,
/// "sha384:" + 96 or "sha512:" + 128 lower-case hex digits.
bool IsValidDigest(std::string_view digest);

/// The digest of `bytes` with the algorithm of `like` ("sha256:<hex>" when
/// `like` is sha256 or invalid).
std::string DigestOf(std::string_view bytes, std::string_view like = "sha256:");

/// True when `digest` is valid and equals the digest of the exact manifest
/// bytes. (Docker schema1 signed manifests, whose digest omits the JWS
/// signatures, are not supported: they never match.)
bool ManifestMatchesDigest(std::string_view manifest, std::string_view digest);

}  // namespace moat::verify
