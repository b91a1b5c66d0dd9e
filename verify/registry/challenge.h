// The WWW-Authenticate challenge of a registry's 401 (RFC 7235; the
// distribution spec's token authentication): `Bearer realm="https://auth.
// example/token",service="registry.example",scope="repository:a/b:pull"` or
// `Basic realm="..."`.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct Challenge {
  std::string scheme;                                       // lower case: "bearer", "basic"
  std::vector<std::pair<std::string, std::string>> params;  // names lower case

  /// A parameter's value, or "" when absent.
  std::string Param(std::string_view name) const;
};

/// Parses one challenge (the first, where a header lists several). Quoted
/// strings may hold backslash escapes and commas; a value may also be a bare
/// token. Errors name the position.
Result<Challenge> ParseChallenge(std::string_view header);

/// `s` percent-encoded for a URL query (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace moat::verify
