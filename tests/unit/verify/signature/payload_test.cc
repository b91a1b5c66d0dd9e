#include "verify/signature/payload.h"

#include <catch2/catch.hpp>
#include <string>

#include "verify/common/digest.h"

using moat::verify::DigestOf;
using moat::verify::IsValidDigest;
using moat::verify::ManifestMatchesDigest;
using moat::verify::ParsePayload;
using moat::verify::PayloadKind;

namespace {

const std::string kDigest =
    "sha256:634567cbc9551bf02c9f46b0ddf3f20e32b3457a733382ce05c6370297aaa3c1";

// A payload with `critical` and `optional` spliced in as raw JSON text.
std::string Doc(const std::string& critical, const std::string& optional) {
  return R"({"critical":)" + critical + R"(,"optional":)" + optional + "}";
}

std::string Critical(const std::string& type, const std::string& digest = kDigest,
                     const std::string& ref = "docker.io/library/busybox:latest") {
  return R"({"identity":{"docker-reference":")" + ref +
         R"("},"image":{"docker-manifest-digest":")" + digest + R"("},"type":")" + type + R"("})";
}

const std::string kSimple = Critical("atomic container signature");
const std::string kCosign = Critical("cosign container image signature");

}  // namespace

TEST_CASE("payload: simple signing as skopeo writes it", "[signature]") {
  const std::string text = Doc(kSimple, R"({"creator":"atomic 5.23.1","timestamp":1795431294})");
  auto p = ParsePayload(text, PayloadKind::kSimpleSigning, "sig");
  REQUIRE(p.ok());
  CHECK(p->kind == PayloadKind::kSimpleSigning);
  CHECK(p->docker_manifest_digest == kDigest);
  CHECK(p->docker_reference == "docker.io/library/busybox:latest");
  REQUIRE(p->creator.has_value());
  CHECK(*p->creator == "atomic 5.23.1");
  REQUIRE(p->timestamp.has_value());
  CHECK(*p->timestamp == 1795431294);
}

TEST_CASE("payload: cosign's form, \"optional\": null, no tag", "[signature]") {
  const std::string text = Doc(
      Critical("cosign container image signature", kDigest, "docker.io/library/busybox"), "null");
  auto p = ParsePayload(text, PayloadKind::kCosign, "sig");
  REQUIRE(p.ok());
  CHECK(p->kind == PayloadKind::kCosign);
  CHECK(p->docker_reference == "docker.io/library/busybox");
  CHECK_FALSE(p->creator.has_value());
  CHECK_FALSE(p->timestamp.has_value());

  auto with_optional =
      ParsePayload(Doc(kCosign, R"({"creator":"c","timestamp":5})"), PayloadKind::kCosign, "sig");
  REQUIRE(with_optional.ok());
  CHECK(*with_optional->timestamp == 5);
}

TEST_CASE("payload: optional fields as Go decodes them", "[signature]") {
  // optional JSON; creator ("-": absent); whether a timestamp is present, and its value
  auto [optional, creator, has_timestamp, timestamp] =
      GENERATE(table<std::string, std::string, bool, int64_t>({
          {"{}", "-", false, 0},
          {R"({"timestamp":1e3})", "-", true, 1000},
          {R"({"timestamp":-1})", "-", true, -1},
          {R"({"timestamp":1.0})", "-", true, 1},
          {R"({"timestamp":null})", "-", true, 0},  // Go: null into a float64 is a no-op
          {R"({"creator":null})", "", false, 0},
          {R"({"other":{"nested":[1,{"x":null}]},"creator":"me"})", "me", false, 0},
          {R"({"timestamp":-9223372036854775808})", "-", true, INT64_MIN},
      }));
  auto p = ParsePayload(Doc(kSimple, optional), PayloadKind::kSimpleSigning, "sig");
  INFO(optional);
  REQUIRE(p.ok());
  if (creator == "-") {
    CHECK_FALSE(p->creator.has_value());
  } else {
    REQUIRE(p->creator.has_value());
    CHECK(*p->creator == creator);
  }
  REQUIRE(p->timestamp.has_value() == has_timestamp);
  if (has_timestamp) CHECK(*p->timestamp == timestamp);
}

TEST_CASE("payload: rejects what containers/image rejects", "[signature]") {
  const std::string ok_optional = R"({"creator":"x"})";
  auto [kind, text, fragment] = GENERATE_REF(table<PayloadKind, std::string, std::string>({
      // the wrong type for the mechanism, both ways
      {PayloadKind::kSimpleSigning, Doc(kCosign, ok_optional), "critical.type: \"cosign container"},
      {PayloadKind::kCosign, Doc(kSimple, "null"), "critical.type: \"atomic container"},
      {PayloadKind::kSimpleSigning, Doc(Critical("atomic container signaturE"), ok_optional),
       "critical.type"},
      // optional: an object; null only for cosign; required for both
      {PayloadKind::kSimpleSigning, Doc(kSimple, "null"), "optional: expected object, got null"},
      {PayloadKind::kSimpleSigning, Doc(kSimple, "[]"), "optional: expected object"},
      {PayloadKind::kCosign, R"({"critical":)" + kCosign + "}", "optional: missing"},
      {PayloadKind::kSimpleSigning, R"({"optional":{}})", "critical: missing"},
      {PayloadKind::kSimpleSigning, R"({"critical":)" + kSimple + R"(,"optional":{},"x":1})",
       "x: unknown key"},
      // keys compare exactly, duplicates are refused
      {PayloadKind::kSimpleSigning, R"({"Critical":)" + kSimple + R"(,"optional":{}})",
       "Critical: unknown key"},
      {PayloadKind::kSimpleSigning,
       R"({"critical":)" + kSimple + R"(,"optional":{},"critical":)" + kSimple + "}",
       "duplicate key \"critical\""},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","type":"atomic container signature",)"
           R"("image":{"docker-manifest-digest":")" +
               kDigest + R"("},"identity":{"docker-reference":"r"}})",
           "{}"),
       "duplicate key \"type\""},
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"creator":"a","creator":"b"})"),
       "duplicate key \"creator\""},
      // critical, image and identity have exactly their keys
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
               R"("},"identity":{"docker-reference":"r"},"extra":1})",
           "{}"),
       "critical.extra: unknown key"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
               R"("}})",
           "{}"),
       "critical.identity: missing"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
               R"(","size":1},"identity":{"docker-reference":"r"}})",
           "{}"),
       "critical.image.size: unknown key"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{},"identity":{"docker-reference":"r"}})",
           "{}"),
       "critical.image.docker-manifest-digest: missing"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
               R"("},"identity":{"docker-reference":"r","tag":"x"}})",
           "{}"),
       "critical.identity.tag: unknown key"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":"atomic container signature","image":{"docker-manifest-digest":")" + kDigest +
               R"("},"identity":{"docker-reference":null}})",
           "{}"),
       "critical.identity.docker-reference: expected string, got null"},
      {PayloadKind::kSimpleSigning,
       Doc(R"({"type":null,"image":{"docker-manifest-digest":")" + kDigest +
               R"("},"identity":{"docker-reference":"r"}})",
           "{}"),
       "critical.type: expected string"},
      {PayloadKind::kSimpleSigning, Doc("[]", "{}"), "critical: expected object"},
      // the digest must be one go-digest accepts
      {PayloadKind::kSimpleSigning,
       Doc(Critical("atomic container signature", "sha256:ABCD"), "{}"),
       "critical.image.docker-manifest-digest: invalid digest"},
      {PayloadKind::kSimpleSigning,
       Doc(Critical("atomic container signature",
                    "sha256:634567CBC9551BF02C9F46B0DDF3F20E32B3457A733382CE05C6370297AAA3C1"),
           "{}"),
       "invalid digest"},
      {PayloadKind::kSimpleSigning,
       Doc(Critical("atomic container signature", "md5:d41d8cd98f00b204e9800998ecf8427e"), "{}"),
       "invalid digest"},
      {PayloadKind::kSimpleSigning, Doc(Critical("atomic container signature", ""), "{}"),
       "invalid digest"},
      // optional's known fields have types
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"timestamp":1.5})"),
       "optional.timestamp: 1.5 is not an integer"},
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"timestamp":"1"})"),
       "optional.timestamp: expected number, got string"},
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"timestamp":9223372036854775808})"),
       "not an integer"},
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"timestamp":1e400})"), "out of range"},
      {PayloadKind::kSimpleSigning, Doc(kSimple, R"({"creator":7})"),
       "optional.creator: expected string, got number"},
      // not one JSON object
      {PayloadKind::kSimpleSigning, Doc(kSimple, "{}") + " {}", "line 1"},
      {PayloadKind::kSimpleSigning, "[]", "expected object"},
      {PayloadKind::kSimpleSigning, "", "sig: "},
  }));
  auto p = ParsePayload(text, kind, "sig");
  INFO(text);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Catch::StartsWith("sig: "));
  CHECK_THAT(p.error().message, Catch::Contains(fragment));
}

TEST_CASE("payload: digests", "[signature]") {
  CHECK(IsValidDigest(kDigest));
  CHECK(IsValidDigest("sha384:" + std::string(96, 'a')));
  CHECK(IsValidDigest("sha512:" + std::string(128, '0')));
  CHECK_FALSE(IsValidDigest("sha256:" + std::string(63, 'a')));
  CHECK_FALSE(IsValidDigest("sha256:" + std::string(65, 'a')));
  CHECK_FALSE(IsValidDigest("sha512:" + std::string(64, 'a')));
  CHECK_FALSE(IsValidDigest("sha256:" + std::string(63, 'a') + "g"));
  CHECK_FALSE(IsValidDigest(std::string(64, 'a')));
  CHECK_FALSE(IsValidDigest(":" + std::string(64, 'a')));
  CHECK_FALSE(IsValidDigest("SHA256:" + std::string(64, 'a')));

  // sha256("{}")
  CHECK(DigestOf("{}") ==
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  CHECK(ManifestMatchesDigest("{}", DigestOf("{}")));
  CHECK(ManifestMatchesDigest("{}", DigestOf("{}", "sha512:")));
  CHECK(DigestOf("{}", "sha512:").size() == 7 + 128);
  CHECK(DigestOf("{}", "sha384:").size() == 7 + 96);
  CHECK_FALSE(ManifestMatchesDigest("{} ", DigestOf("{}")));
  CHECK_FALSE(ManifestMatchesDigest("{}", "sha256:garbage"));
}
