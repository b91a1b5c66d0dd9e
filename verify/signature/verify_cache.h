// A cache of GPG verification results, so that repeat creates of the same
// image do not start gpg. The key covers everything that decides the answer
// of the cryptographic check (every trusted key's bytes and the signature's
// bytes); what the signed payload says (digest, identity) is re-checked by the
// caller on every use, so a cached entry can never widen what a policy allows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/signature/gpg.h"

namespace moat::verify {

class VerifyCache {
 public:
  /// `dir` empty: no cache. Otherwise a root-owned directory, created 0700.
  explicit VerifyCache(std::string dir) : dir_(std::move(dir)) {}

  /// The cache key of a GPG check.
  static std::string GpgKey(const std::vector<std::string>& key_blobs, std::string_view signature);

  /// A verified result stored under `key`, if any (a corrupt entry is a miss).
  std::optional<GpgVerified> GetGpg(const std::string& key) const;
  /// Stores a verified result; failures are ignored (the cache is an optimisation).
  void PutGpg(const std::string& key, const GpgVerified& v) const;

  /// The bytes stored under `key` (a file in a root-owned directory, itself
  /// root-owned), if any. For other kinds of result (verdict_cache.h).
  std::optional<std::string> Get(const std::string& key, size_t max_bytes = 2u << 20) const;
  /// Stores bytes under `key` (0600, atomically); failures are ignored.
  void Put(const std::string& key, const std::string& bytes) const;

 private:
  std::string dir_;
};

}  // namespace moat::verify
