// Fixtures of tests/fixtures/verdicts (hand-written Trivy and Grype
// reports, openssl-made keys and envelopes; see make-fixtures.sh there).
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "base/json.h"

namespace moat::testing {

/// The manifest digests the fixture envelopes are about.
inline constexpr const char* kApiDigest =
    "sha256:3b4f7b6fbb5b0f2c1d9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b";
inline constexpr const char* kWorkerDigest =
    "sha256:2d7e5d9b1c3f0e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a";

inline std::string VerdictFixturePath(const std::string& name) {
  return std::string(MOAT_TEST_FIXTURES) + "/verdicts/" + name;
}

inline std::string VerdictFixture(const std::string& name) {
  const std::string path = VerdictFixturePath(name);
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline json::Value VerdictFixtureJson(const std::string& name) {
  auto v = json::Parse(VerdictFixture(name));
  INFO(name << ": " << (v.ok() ? "" : v.error().message));
  REQUIRE(v.ok());
  return std::move(v.value());
}

}  // namespace moat::testing
