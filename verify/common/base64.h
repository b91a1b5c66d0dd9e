// Base64, as the signature and attestation formats moat reads use it.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace moat::verify {

/// The value of a character of the standard alphabet, or -1.
int Base64Value(char c);

/// Standard base64 with padding, as Go's base64.StdEncoding: '\r' and '\n'
/// are skipped, anything else outside the alphabet is an error.
Result<std::string> DecodeBase64(std::string_view text);

/// Base64 as DSSE allows it: standard or URL-safe alphabet, padding optional.
Result<std::string> DecodeBase64Any(std::string_view text);

/// Standard base64 with padding.
std::string EncodeBase64(std::string_view bytes);

}  // namespace moat::verify
