#include "base/time.h"

#include <catch2/catch.hpp>
#include <limits>

using moat::FormatRfc3339;
using moat::ParseDate;
using moat::ParseRfc3339;

TEST_CASE("ParseRfc3339 reads Go's time.Time JSON forms") {
  auto t = GENERATE(table<const char*, int64_t>({
      {"1970-01-01T00:00:00Z", 0},
      {"2026-11-23T14:08:22Z", 1795442902},
      {"2026-11-23t14:08:22z", 1795442902},
      {"2026-11-23T14:08:22.123456789Z", 1795442902},
      {"2026-11-23T15:08:22+01:00", 1795442902},
      {"2026-11-23T05:38:22.5-08:30", 1795442902},
      {"2024-02-29T00:00:00Z", 1709164800},
      {"1969-12-31T23:59:59Z", -1},
  }));
  INFO(std::get<0>(t));
  auto r = ParseRfc3339(std::get<0>(t));
  REQUIRE(r.ok());
  CHECK(*r == std::get<1>(t));
}

TEST_CASE("ParseRfc3339 refuses what is not RFC 3339") {
  auto text =
      GENERATE("", "2026-11-23", "2026-11-23T14:08:22", "2026-11-23 14:08:22Z", "2026-11-23T14:08Z",
               "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
               "2026-11-23T24:00:00Z", "2026-11-23T14:08:60Z", "2026-11-23T14:08:22.Z",
               "2026-11-23T14:08:22+0100", "2026-11-23T14:08:22Z ", "+2026-11-23T14:08:22Z");
  INFO(text);
  auto r = ParseRfc3339(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("is not an RFC 3339 time") != std::string::npos);
}

TEST_CASE("ParseDate and FormatRfc3339") {
  auto d = ParseDate("2026-11-23");
  REQUIRE(d.ok());
  CHECK(*d == 1795392000);
  CHECK(FormatRfc3339(*d) == "2026-11-23T00:00:00Z");
  CHECK(FormatRfc3339(1795442902) == "2026-11-23T14:08:22Z");
  for (const char* bad : {"2026-11-23T00:00:00Z", "2026-1-23", "26-11-23", "2026-00-10", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseDate(bad).ok());
  }
}

TEST_CASE("FormatRfc3339 writes four-digit years, and ParseRfc3339 reads them back") {
  // Found by tests/fuzz/vuln_report_fuzz.cc: year 506 was written "506-...".
  auto t = GENERATE(table<const char*, const char*>({
      {"0506-01-01T00:00:00Z", "0506-01-01T00:00:00Z"},
      {"0043-01-01T00:00:00.999999999-12:00", "0043-01-01T12:00:00Z"},
      {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
      {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
      {"0000-03-01T00:00:00Z", "0000-03-01T00:00:00Z"},
  }));
  INFO(std::get<0>(t));
  auto r = ParseRfc3339(std::get<0>(t));
  REQUIRE(r.ok());
  CHECK(FormatRfc3339(*r) == std::get<1>(t));
  CHECK(*ParseRfc3339(FormatRfc3339(*r)) == *r);
}

TEST_CASE("ParseRfc3339 refuses times an offset moves out of years 0000-9999") {
  for (const char* text : {"0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"}) {
    INFO(text);
    CHECK_FALSE(ParseRfc3339(text).ok());
  }
  CHECK(ParseRfc3339("0000-01-01T00:01:00+00:01").ok());
  CHECK(ParseRfc3339("9999-12-31T23:58:59-00:01").ok());
}

TEST_CASE("FormatRfc3339 of any 64-bit time") {
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59Z");
  CHECK(FormatRfc3339(-86400) == "1969-12-31T00:00:00Z");
  CHECK(FormatRfc3339(-62167219201) == "-001-12-31T23:59:59Z");
  CHECK(!FormatRfc3339(std::numeric_limits<int64_t>::min()).empty());
  CHECK(!FormatRfc3339(std::numeric_limits<int64_t>::max()).empty());
}
