// Verified verdicts, cached under state_dir (VerifyCache's directory rules),
// so that a warm create reads a small summary instead of loading PEM keys,
// checking a signature and parsing a whole scanner report. The key covers
// everything that decides the cached answer: every trusted key's path and
// bytes, the envelope's bytes (by digest) and the manifest digest it had to
// name. The policy (thresholds, age, allowlist) is applied afresh to the
// cached findings on every use, so an entry can never widen what a policy
// allows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verify/verdict/verdict.h"

namespace moat::verify {

/// 64 hex: the cache key of verifying the envelope whose sha256 is
/// `envelope_sha256` as a verdict about `digest` with `keys`.
std::string VerdictCacheKey(const std::vector<VerdictKeyFile>& keys,
                            std::string_view envelope_sha256, std::string_view digest);

/// A verified verdict as cache bytes (JSON), without its path.
std::string SerializeVerifiedVerdict(const VerifiedVerdict& v);

/// Reads cache bytes back; nullopt for anything malformed (a miss), a scan
/// time outside ParseRfc3339's range included.
std::optional<VerifiedVerdict> ParseCachedVerdict(std::string_view text);

}  // namespace moat::verify
