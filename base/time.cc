#include "base/time.h"

#include <cstdio>
#include <ctime>

namespace moat {

namespace {

// Reads exactly `n` digits at `*pos`.
bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to year-month-day (proleptic Gregorian; Howard
// Hinnant's days_from_civil).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "YYYY-MM-DD" at *pos, validated.
bool ReadDate(std::string_view s, size_t* pos, int64_t* days) {
  int y = 0, m = 0, d = 0;
  if (!Digits(s, pos, 4, &y) || !Expect(s, pos, '-') || !Digits(s, pos, 2, &m) ||
      !Expect(s, pos, '-') || !Digits(s, pos, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysIn(y, m)) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&]() { return Error{"\"" + std::string(s) + "\" is not an RFC 3339 time"}; };
  size_t pos = 0;
  int64_t days = 0;
  if (!ReadDate(s, &pos, &days)) return bad();
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return bad();
  ++pos;
  int hh = 0, mm = 0, ss = 0;
  if (!Digits(s, &pos, 2, &hh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &mm) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &ss)) {
    return bad();
  }
  // A leap second (ss == 60) is refused, as Go's time.Parse does.
  if (hh > 23 || mm > 59 || ss > 59) return bad();
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad();
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset = static_cast<int64_t>(sign) * (int64_t{oh} * 3600 + int64_t{om} * 60);
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  const int64_t t = days * 86400 + int64_t{hh} * 3600 + int64_t{mm} * 60 + ss - offset;
  // An offset can move 0000-01-01 or 9999-12-31 out of four-digit years in
  // UTC, which FormatRfc3339 could not write back as RFC 3339 (Go's
  // time.Time.MarshalJSON refuses such years too).
  if (t < kMinRfc3339Time || t > kMaxRfc3339Time) return bad();
  return t;
}

Result<int64_t> ParseDate(std::string_view s) {
  size_t pos = 0;
  int64_t days = 0;
  if (!ReadDate(s, &pos, &days) || pos != s.size()) {
    return Error{"\"" + std::string(s) + "\" is not a date (YYYY-MM-DD)"};
  }
  return days * 86400;
}

std::string FormatRfc3339(int64_t unix_seconds) {
  // Howard Hinnant's civil_from_days: no time_t range limit, and a year of
  // at least four digits (strftime's %Y writes year 506 as "506").
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                      static_cast<long long>(y), static_cast<long long>(m),
                      static_cast<long long>(d), static_cast<long long>(secs / 3600),
                      static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

int64_t NowUnix() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

}  // namespace moat
