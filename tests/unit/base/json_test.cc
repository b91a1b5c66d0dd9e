#include "base/json.h"

#include <catch2/catch.hpp>

using moat::json::Limits;
using moat::json::Parse;
using moat::json::Serialize;
using moat::json::Value;

TEST_CASE("json: round trip keeps key order and number text") {
  const std::string text =
      R"({"z":1,"a":[1.50,-0,1e3,12345678901234567890],"m":{"b":true,"a":null},"s":"x\u00e9\n"})";
  auto v = Parse(text);
  REQUIRE(v.ok());
  CHECK(Serialize(*v) ==
        "{\"z\":1,\"a\":[1.50,-0,1e3,12345678901234567890],\"m\":{\"b\":true,\"a\":null},"
        "\"s\":\"x\xc3\xa9\\n\"}");
  auto again = Parse(Serialize(*v, true));
  REQUIRE(again.ok());
  CHECK(*again == *v);
}

TEST_CASE("json: rejects what runc's decoder would read differently") {
  auto [text, fragment] = GENERATE(table<std::string, std::string>({
      {R"({"a":1,"a":2})", "duplicate key \"a\""},
      {R"({"o":{"k":1,"k":1}})", "duplicate key \"k\""},
      {R"([{"x":[{"y":1,"y":2}]}])", "duplicate key \"y\""},
      {"{\"a\":1} // c", "line 1"},
      {"/* c */ {}", "line 1"},
      {"{\"a\":\"\xff\"}", "line 1"},
      {"{\"a\":1} {\"b\":2}", "line 1"},
      {"{\"a\":1", "line 1"},
      {"", "line 1"},
  }));
  auto v = Parse(text);
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::Contains(fragment));
}

TEST_CASE("json: error position names line and column") {
  auto v = Parse("{\n  \"a\": 1,\n  \"a\": 2\n}");
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::StartsWith("line 3, column"));
}

namespace {
const std::string kCutDoc =
    "{\n  \"SchemaVersion\": 2,\n  \"Results\": [\n    {\"Target\": \"alpine\"}\n  ]\n}\n";
}  // namespace

TEST_CASE("json: a truncated document is reported where the input ended") {
  // yajl reports what its last call consumed: before this was fixed a cut
  // document said "line 1, column 2: premature EOF" whatever its length.
  const std::string& doc = kCutDoc;
  auto [cut, where] = GENERATE(table<size_t, std::string>({
      {kCutDoc.find("\"Results\"") + 5, "line 3, column 8: "},  // inside a key
      {kCutDoc.find("{\"Target"), "line 4, column 5: "},        // after "[\n    "
      {kCutDoc.size() - 2, "line 6, column 1: "},               // the final brace missing
  }));
  auto v = Parse(std::string_view(doc).substr(0, cut));
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::StartsWith(where));
}

TEST_CASE("json: nesting limit is enforced without deep recursion") {
  Limits limits;
  limits.max_depth = 64;
  std::string deep(100000, '[');
  auto v = Parse(deep, limits);
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::Contains("nesting deeper than 64"));
  std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(Parse(ok, limits).ok());
  std::string over = std::string(65, '[') + std::string(65, ']');
  CHECK_FALSE(Parse(over, limits).ok());
}

TEST_CASE("json: size limit") {
  Limits limits;
  limits.max_bytes = 10;
  CHECK_FALSE(Parse("[1,2,3,4,5,6]", limits).ok());
  CHECK(Parse("[1,2,3]", limits).ok());
}

TEST_CASE("json: value limit bounds memory whatever the bytes") {
  Limits limits;
  limits.max_values = 4;
  CHECK(Parse("[1,[],{}]", limits).ok());  // 1, [], {} and the outer array
  auto v = Parse("[1,[],{},null]", limits);
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::Contains("more than 4 values"));
  CHECK_FALSE(Parse(R"({"a":1,"b":2,"c":3,"d":4})", limits).ok());
  // The default: 16 MB of "[]," would be ~5.6M values.
  std::string many = "[";
  for (size_t i = 0; i < (1u << 18); ++i) many += "[],";
  many += "[]]";
  auto d = Parse(many, Limits());
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.error().message, Catch::Contains("more than 262144 values"));
}

TEST_CASE("json: Go key folding for documents runc reads") {
  Limits go;
  go.go_fold_keys = true;
  SECTION("case-different duplicates are rejected") {
    CHECK_FALSE(Parse(R"({"process":{},"Process":{}})", go).ok());
    CHECK(Parse(R"({"process":{},"Process":{}})").ok());
  }
  SECTION("long s and Kelvin sign fold to ASCII as in Go") {
    CHECK_FALSE(Parse("{\"ss\":1,\"s\xc5\xbf\":2}", go).ok());
    CHECK_FALSE(Parse("{\"k\":1,\"\xe2\x84\xaa\":2}", go).ok());
  }
  SECTION("lookups find the key runc would use") {
    auto v = Parse(R"({"PROCESS":{"User":{"UID":0}}})", go);
    REQUIRE(v.ok());
    const Value* p = v->Find("process");
    REQUIRE(p != nullptr);
    const Value* u = p->Find("user");
    REQUIRE(u != nullptr);
    REQUIRE(u->Find("uid") != nullptr);
    Value copy = *v;
    copy.Find("process")->Child("user").Set("uid", Value::Number(7));
    CHECK(Serialize(copy) == R"({"PROCESS":{"User":{"UID":7}}})");
  }
}

TEST_CASE("json: escapes control characters and keeps NUL") {
  auto v = Parse(R"(["a\u0000b\u001f"])");
  REQUIRE(v.ok());
  CHECK(v->items()[0].text().size() == 4);
  CHECK(Serialize(*v) == R"(["a\u0000b\u001f"])");
}

TEST_CASE("json: Set, Child, Erase, AsInt64") {
  Value o = Value::Object();
  o.Set("a", Value::Number(1));
  o.Set("b", Value::Number(2));
  o.Set("a", Value::Number(3));
  CHECK(Serialize(o) == R"({"a":3,"b":2})");
  o.Child("c").Set("d", Value::Bool(false));
  CHECK(o.Erase("b"));
  CHECK_FALSE(o.Erase("b"));
  CHECK(Serialize(o) == R"({"a":3,"c":{"d":false}})");
  int64_t n = 0;
  CHECK(o.Find("a")->AsInt64(&n));
  CHECK(n == 3);
  CHECK_FALSE(Value::NumberText("1.5").AsInt64(&n));
  CHECK_FALSE(Value::NumberText("99999999999999999999").AsInt64(&n));
}
