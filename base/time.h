// Timestamps in the formats scanners and policies write: RFC 3339 (Go's
// time.Time JSON, with optional fraction and any offset) and calendar dates.
// Everything is whole seconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace moat {

/// The times ParseRfc3339 returns: 0000-01-01T00:00:00Z through
/// 9999-12-31T23:59:59Z.
inline constexpr int64_t kMinRfc3339Time = -62167219200;
inline constexpr int64_t kMaxRfc3339Time = 253402300799;

/// Parses "2026-11-23T14:08:22Z", "2026-11-23T14:08:22.123456789+09:00" and
/// the like ('T'/'t', 'Z'/'z', a fraction of any length, which is dropped).
/// The time must fall in years 0000-9999 in UTC, so that FormatRfc3339 can
/// write it back. Errors: "\"<text>\" is not an RFC 3339 time".
Result<int64_t> ParseRfc3339(std::string_view text);

/// Parses "YYYY-MM-DD" as 00:00:00 UTC of that day.
Result<int64_t> ParseDate(std::string_view text);

/// "2026-11-23T14:08:22Z"; the year has at least four digits ("0506-...").
std::string FormatRfc3339(int64_t unix_seconds);

/// The current time (CLOCK_REALTIME), whole seconds.
int64_t NowUnix();

}  // namespace moat
