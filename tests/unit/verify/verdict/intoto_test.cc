#include "verify/verdict/intoto.h"

#include <catch2/catch.hpp>
#include <string>

using moat::verify::BuildStatement;
using moat::verify::ParseStatement;
using moat::verify::StatementSubject;

namespace {

const std::string kHex = "3b4f7b6fbb5b0f2c1d9a8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b";

std::string Statement(const std::string& type, const std::string& subject = "",
                      const std::string& extra = "") {
  return R"({"_type":")" + type + R"(","predicateType":"https://example.com/p",)" +
         R"("subject":)" +
         (subject.empty() ? R"([{"name":"r/x","digest":{"sha256":")" + kHex + R"("}}])" : subject) +
         R"(,"predicate":{"k":1})" + extra + "}";
}

std::string Err(const std::string& text) {
  auto s = ParseStatement(text, "payload");
  REQUIRE_FALSE(s.ok());
  return s.error().message;
}

}  // namespace

TEST_CASE("in-toto: Statements v0.1, v1 and the v1.0 draft are read") {
  auto type = GENERATE("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1",
                       "https://in-toto.io/Statement/v1.0");
  auto s = ParseStatement(Statement(type), "payload");
  REQUIRE(s.ok());
  CHECK(s->type == type);
  REQUIRE(s->subjects.size() == 1);
  CHECK(s->subjects[0].name == "r/x");
  CHECK(s->subjects[0].sha256 == "sha256:" + kHex);
  CHECK(s->predicate_type == "https://example.com/p");
  CHECK(s->predicate.is_object());
  CHECK(s->Names("sha256:" + kHex));
  CHECK_FALSE(s->Names("sha256:" + std::string(64, '0')));
}

TEST_CASE("in-toto: subjects: several, other algorithms, upper-case hex, no name") {
  std::string upper = kHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto s = ParseStatement(
      Statement("https://in-toto.io/Statement/v1",
                R"([{"digest":{"sha512":"ab"}},{"digest":{"sha256":")" + upper + R"("}}])"),
      "payload");
  REQUIRE(s.ok());
  REQUIRE(s->subjects.size() == 2);
  CHECK(s->subjects[0].sha256.empty());
  CHECK(s->Names("sha256:" + kHex));
}

TEST_CASE("in-toto: unknown fields are ignored, as the spec asks") {
  CHECK(ParseStatement(Statement("https://in-toto.io/Statement/v1", "", R"(,"future":[1,2])"),
                       "payload")
            .ok());
}

TEST_CASE("in-toto: bad Statements are errors naming the field") {
  CHECK(Err(Statement("https://in-toto.io/Statement/v2")) ==
        "payload: _type: \"https://in-toto.io/Statement/v2\" is not an in-toto Statement "
        "(https://in-toto.io/Statement/v0.1 or https://in-toto.io/Statement/v1)");
  CHECK(Err(Statement("https://in-toto.io/Statement/v1", "[]")) == "payload: subject: empty");
  CHECK(Err(Statement("https://in-toto.io/Statement/v1", R"([{"name":"x"}])")) ==
        "payload: subject[0].digest: missing");
  CHECK(Err(Statement("https://in-toto.io/Statement/v1", R"([{"digest":{"sha256":"abc"}}])")) ==
        "payload: subject[0].digest.sha256: \"abc\" is not 64 hex digits");
  CHECK(Err(Statement("https://in-toto.io/Statement/v1", R"([{"digest":{"sha1":1}}])")) ==
        "payload: subject[0].digest.sha1: expected string, got number");
  CHECK(Err(R"({"_type":"https://in-toto.io/Statement/v1","subject":[]})") ==
        "payload: predicateType: missing");
  CHECK(Err("[1]") == "payload: statement: expected object, got array");
  CHECK(Err("{").rfind("payload: ", 0) == 0);
}

TEST_CASE("in-toto: BuildStatement writes a v1 Statement that reads back") {
  auto pred = moat::json::Parse(R"({"scanner":{"uri":"x"}})");
  REQUIRE(pred.ok());
  const std::string text = BuildStatement(StatementSubject{"reg/app", "sha256:" + kHex},
                                          "https://cosign.sigstore.dev/attestation/vuln/v1", *pred);
  auto s = ParseStatement(text, "payload");
  REQUIRE(s.ok());
  CHECK(s->type == "https://in-toto.io/Statement/v1");
  CHECK(s->subjects[0].name == "reg/app");
  CHECK(s->Names("sha256:" + kHex));
  CHECK(s->predicate == *pred);
  CHECK(text.find("\"sha256\":\"" + kHex + "\"") != std::string::npos);
}

TEST_CASE("in-toto: BuildStatement without a predicate reads back without one") {
  // Found by tests/fuzz/intoto_fuzz.cc: "predicate": null was written, which
  // ParseStatement refuses (seed corpus/intoto/no-predicate.json).
  const std::string text = BuildStatement(StatementSubject{"", "sha256:" + kHex},
                                          "https://example.com/p", moat::json::Value::Null());
  CHECK(text.find("predicate\"") == std::string::npos);
  auto s = ParseStatement(text, "payload");
  INFO((s.ok() ? "" : s.error().message));
  REQUIRE(s.ok());
  CHECK(s->predicate.is_null());
  CHECK(s->Names("sha256:" + kHex));
}
