#include "shim/config.h"

#include <catch2/catch.hpp>
#include <string>

using moat::shim::ParseConfig;

namespace {

std::string Conf(const std::string& extra) {
  return R"({"runtime": "/usr/sbin/runc")" + (extra.empty() ? "" : ", " + extra) + "}";
}

}  // namespace

TEST_CASE("moat.conf fetch_on_miss: off unless enabled, bounded, absolute", "[config]") {
  auto off = ParseConfig(Conf(""), "moat.conf");
  REQUIRE(off.ok());
  CHECK_FALSE(off->fetch_on_miss.enabled);
  CHECK(off->fetch_on_miss.timeout_ms == 3000);
  CHECK(off->fetch_on_miss.moat == MOAT_BINDIR "/moat");

  auto on = ParseConfig(
      Conf(
          R"("fetch_on_miss": {"enabled": true, "timeout_ms": 500, "moat": "/opt/moat/bin/moat"})"),
      "moat.conf");
  REQUIRE(on.ok());
  CHECK(on->fetch_on_miss.enabled);
  CHECK(on->fetch_on_miss.timeout_ms == 500);
  CHECK(on->fetch_on_miss.moat == "/opt/moat/bin/moat");

  auto rel =
      ParseConfig(Conf(R"("fetch_on_miss": {"enabled": true, "moat": "moat"})"), "moat.conf");
  REQUIRE_FALSE(rel.ok());
  CHECK(rel.error().message.find("moat.conf: fetch_on_miss.moat") == 0);
  auto slow = ParseConfig(Conf(R"("fetch_on_miss": {"timeout_ms": 600000})"), "moat.conf");
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().message.find("moat.conf: fetch_on_miss.timeout_ms") == 0);
  auto unknown = ParseConfig(Conf(R"("fetch_on_miss": {"enable": true})"), "moat.conf");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("enable") != std::string::npos);
  CHECK_FALSE(ParseConfig(Conf(R"("fetch_on_miss": {"enabled": "yes"})"), "moat.conf").ok());
}
