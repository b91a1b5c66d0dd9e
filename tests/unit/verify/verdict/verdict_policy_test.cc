#include "verify/verdict/verdict_policy.h"

#include <catch2/catch.hpp>
#include <string>

#include "base/json.h"
#include "verify/common/reference.h"

using moat::verify::ParseNormalizedNamed;
using moat::verify::ParseVerdictConfig;
using moat::verify::Severity;
using moat::verify::SeverityCap;
using moat::verify::VerdictConfig;
using moat::verify::VerdictRules;

namespace {

VerdictConfig Parse(const std::string& text) {
  auto v = moat::json::Parse(text);
  REQUIRE(v.ok());
  auto c = ParseVerdictConfig(*v, "verdicts");
  INFO((c.ok() ? "" : c.error().message));
  REQUIRE(c.ok());
  return std::move(c.value());
}

std::string Err(const std::string& text) {
  auto v = moat::json::Parse(text);
  REQUIRE(v.ok());
  auto c = ParseVerdictConfig(*v, "verdicts");
  REQUIRE_FALSE(c.ok());
  return c.error().message;
}

const VerdictRules& For(const VerdictConfig& c, const std::string& name, std::string* scope) {
  auto ref = ParseNormalizedNamed(name);
  REQUIRE(ref.ok());
  return c.For(&*ref, scope);
}

}  // namespace

TEST_CASE(
    "verdict policy: the minimal verdicts object: a store and keys, a verdict required, no "
    "thresholds") {
  const VerdictConfig c = Parse(R"({"store": "/var/lib/moat/verdicts", "keys": ["/k.pub"]})");
  CHECK(c.store == "/var/lib/moat/verdicts");
  CHECK(c.rules.keys == std::vector<std::string>{"/k.pub"});
  CHECK(c.rules.require);
  CHECK_FALSE(c.rules.max_severity);
  CHECK_FALSE(c.rules.max_age_hours);
  CHECK_FALSE(c.rules.fixable_only);
  for (const auto& m : c.rules.max_counts) CHECK_FALSE(m);
  CHECK(c.rules.allowlist.empty());
  std::string scope;
  CHECK(&c.For(nullptr, &scope) == &c.rules);
  CHECK(scope == "verdicts");
}

TEST_CASE("verdict policy: every key") {
  const VerdictConfig c = Parse(R"({
    "store": "/s", "keys": ["/a.pub", "/b.pub"], "require": false, "max_severity": "HIGH",
    "max_counts": {"HIGH": 5, "UNKNOWN": 0}, "max_age_hours": 168, "fixable_only": true,
    "allowlist": [{"id": "CVE-2023-45853", "expires": "2026-12-31", "reason": "minizip unused"}]})");
  CHECK(c.rules.keys.size() == 2);
  CHECK_FALSE(c.rules.require);
  CHECK(c.rules.max_severity == SeverityCap::kHigh);
  CHECK(c.rules.max_counts[static_cast<size_t>(Severity::kHigh)] == 5);
  CHECK(c.rules.max_counts[static_cast<size_t>(Severity::kUnknown)] == 0);
  CHECK_FALSE(c.rules.max_counts[static_cast<size_t>(Severity::kCritical)]);
  CHECK(c.rules.max_age_hours == 168);
  CHECK(c.rules.fixable_only);
  REQUIRE(c.rules.allowlist.size() == 1);
  CHECK(c.rules.allowlist[0].id == "CVE-2023-45853");
  CHECK(c.rules.allowlist[0].expires == "2026-12-31");
  CHECK(c.rules.allowlist[0].expires_at == 1798761600);  // 2027-01-01T00:00:00Z
  CHECK(c.rules.allowlist[0].reason == "minizip unused");
}

TEST_CASE("verdict policy: scopes override the keys they give, most specific scope first") {
  const VerdictConfig c = Parse(R"({
    "store": "/s", "keys": ["/a.pub"], "max_severity": "HIGH", "max_age_hours": 24,
    "scopes": {
      "registry.example.com": {"max_severity": "MEDIUM"},
      "registry.example.com/dev": {"require": false, "keys": ["/dev.pub"]},
      "*.example.org": {"max_age_hours": 720, "allowlist": []}}})");
  std::string scope;
  const VerdictRules& dev = For(c, "registry.example.com/dev/app:1", &scope);
  CHECK(scope == "verdicts.scopes[\"registry.example.com/dev\"]");
  CHECK_FALSE(dev.require);
  CHECK(dev.keys == std::vector<std::string>{"/dev.pub"});
  CHECK(dev.max_severity == SeverityCap::kHigh);  // inherited from the top level
  CHECK(dev.max_age_hours == 24);
  const VerdictRules& prod = For(c, "registry.example.com/shop/api:1", &scope);
  CHECK(scope == "verdicts.scopes[\"registry.example.com\"]");
  CHECK(prod.max_severity == SeverityCap::kMedium);
  CHECK(prod.require);
  CHECK(prod.keys == std::vector<std::string>{"/a.pub"});
  const VerdictRules& org = For(c, "mirror.example.org/x/y@sha256:" + std::string(64, 'a'), &scope);
  CHECK(scope == "verdicts.scopes[\"*.example.org\"]");
  CHECK(org.max_age_hours == 720);
  CHECK(&For(c, "busybox", &scope) == &c.rules);
  CHECK(scope == "verdicts");
}

TEST_CASE("verdict policy: errors name the field") {
  CHECK(Err(R"({"keys": ["/k"]})") == "verdicts.store: missing (the verdict store directory)");
  CHECK(Err(R"({"store": "/s"})") == "verdicts.keys: missing (the scanner public keys to trust)");
  CHECK(Err(R"({"store": "s", "keys": ["/k"]})") ==
        "verdicts.store: \"s\" is not an absolute path");
  CHECK(Err(R"({"store": "/s", "keys": []})") ==
        "verdicts.keys: empty (name at least one scanner public key)");
  CHECK(Err(R"({"store": "/s", "keys": ["k.pub"]})") ==
        "verdicts.keys[0]: \"k.pub\" is not an absolute path");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "max_age": 1})") == "verdicts.max_age: unknown key");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "max_severity": "high"})") ==
        "verdicts.max_severity: \"high\" is not one of NONE, LOW, MEDIUM, HIGH, CRITICAL");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "max_counts": {"SEVERE": 1}})") ==
        "verdicts.max_counts.SEVERE: unknown key");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "max_counts": {"HIGH": -1}})") ==
        "verdicts.max_counts.HIGH: -1 is out of range [0, 2147483647]");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "max_age_hours": 0})") ==
        "verdicts.max_age_hours: 0 is out of range [1, 87840]");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "require": "yes"})") ==
        "verdicts.require: expected boolean, got string");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"],
                "allowlist": [{"id": "CVE-1", "expires": "2026-02-30", "reason": "r"}]})") ==
        "verdicts.allowlist[0].expires: \"2026-02-30\" is not a date (YYYY-MM-DD)");
  CHECK(
      Err(R"({"store": "/s", "keys": ["/k"], "allowlist": [{"id": "CVE-1", "expires": "2026-02-03"}]})") ==
      "verdicts.allowlist[0].reason: missing");
  CHECK(
      Err(R"({"store": "/s", "keys": ["/k"], "allowlist": [{"id": "", "expires": "2026-02-03", "reason": "r"}]})") ==
      "verdicts.allowlist[0].id: empty");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "scopes": {"busybox": {}}})")
            .rfind("verdicts.scopes[\"busybox\"]: ", 0) == 0);
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "scopes": {"example.com": {"store": "/t"}}})") ==
        "verdicts.scopes[\"example.com\"].store: unknown key");
  CHECK(Err(R"({"store": "/s", "keys": ["/k"], "scopes": {"example.com": {"max_severity": 3}}})") ==
        "verdicts.scopes[\"example.com\"].max_severity: expected string, got number");
}
