#include "verify/common/reference.h"

#include <catch2/catch.hpp>
#include <string>

using moat::verify::IsNameOnly;
using moat::verify::IsSha256Digest;
using moat::verify::ParseCanonicalNamed;
using moat::verify::ParseNormalizedNamed;
using moat::verify::ParseNormalizedTagged;

namespace {
const std::string kHex = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
const std::string kDigest = "sha256:" + kHex;
}  // namespace

TEST_CASE("reference: familiar and normalised forms", "[verify]") {
  // input, domain, path, tag, digest, String()
  auto [in, domain, path, tag, digest,
        full] = GENERATE(table<std::string, std::string, std::string, std::string, std::string,
                               std::string>({
      {"busybox", "docker.io", "library/busybox", "", "", "docker.io/library/busybox"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "",
       "docker.io/library/busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "", "", "docker.io/library/busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", "", "", "docker.io/library/busybox"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "", "",
       "docker.io/library/busybox"},
      {"index.docker.io/library/debian", "docker.io", "library/debian", "", "",
       "docker.io/library/debian"},
      {"docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest"},
      {"dmcgowan/myapp", "docker.io", "dmcgowan/myapp", "", "", "docker.io/dmcgowan/myapp"},
      {"library/foo/bar", "docker.io", "library/foo/bar", "", "", "docker.io/library/foo/bar"},
      {"docker.io/other/library", "docker.io", "other/library", "", "", "docker.io/other/library"},
      {"localhost/fooo", "localhost", "fooo", "", "", "localhost/fooo"},
      {"localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", "", "localhost:5000/a/b:v1"},
      {"LOCALDOMAIN/fooo/bar", "LOCALDOMAIN", "fooo/bar", "", "", "LOCALDOMAIN/fooo/bar"},
      {"Docker/docker", "Docker", "docker", "", "", "Docker/docker"},
      {"Example.COM/ns/app", "Example.COM", "ns/app", "", "", "Example.COM/ns/app"},
      {"127.0.0.1:5000/private/moonbase", "127.0.0.1:5000", "private/moonbase", "", "",
       "127.0.0.1:5000/private/moonbase"},
      {"example.com:8000/privatebase", "example.com:8000", "privatebase", "", "",
       "example.com:8000/privatebase"},
      {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "", "", "xn--n3h.com:18080/foo"},
      {"test-com:8080/foo", "test-com:8080", "foo", "", "", "test-com:8080/foo"},
      {"test_com/foo", "docker.io", "test_com/foo", "", "", "docker.io/test_com/foo"},
      {"[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "", "",
       "[fc00::1]:5000/docker/docker"},
      {"quay.io/ns/app-1.0__x---y", "quay.io", "ns/app-1.0__x---y", "", "",
       "quay.io/ns/app-1.0__x---y"},
      // Without a "/", ":" is a tag, never a port.
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "docker.io/library/localhost:5000"},
      {"192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", "",
       "docker.io/library/192.168.0.1:80"},
      {"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
       "docker.io/library/busybox@" + kDigest},
      {"busybox:latest@" + kDigest, "docker.io", "library/busybox", "latest", kDigest,
       "docker.io/library/busybox:latest@" + kDigest},
      {"quay.io/a/b:T_a-g.1@" + kDigest, "quay.io", "a/b", "T_a-g.1", kDigest,
       "quay.io/a/b:T_a-g.1@" + kDigest},
      // 64 hex is refused only when it is the whole input.
      {"docker.io/" + kHex, "docker.io", "library/" + kHex, "", "", "docker.io/library/" + kHex},
      {kHex.substr(0, 63), "docker.io", "library/" + kHex.substr(0, 63), "", "",
       "docker.io/library/" + kHex.substr(0, 63)},
  }));
  CAPTURE(in);
  auto r = ParseNormalizedNamed(in);
  REQUIRE(r.ok());
  CHECK(r->domain == domain);
  CHECK(r->path == path);
  CHECK(r->tag == tag);
  CHECK(r->digest == digest);
  CHECK(r->String() == full);
  CHECK(r->Name() == domain + "/" + path);
  // The normalised form parses to itself.
  auto again = ParseCanonicalNamed(r->String());
  REQUIRE(again.ok());
  CHECK(*again == *r);
}

TEST_CASE("reference: invalid references are refused with a reason", "[verify]") {
  const std::string long_ns(250, 'a');
  auto [in, fragment] = GENERATE_REF(table<std::string, std::string>({
      {"", "at least one component"},
      {kHex, "image id"},
      {"https://github.com/docker/docker", "invalid registry host"},
      {"docker/Docker", "must be lowercase"},
      {"docker.io/docker/Docker", "must be lowercase"},
      {"BusyBox", "must be lowercase"},
      {"-docker", "invalid repository name"},
      {"-docker/docker", "invalid repository name"},
      {"docker-/docker", "invalid repository name"},
      {"-docker.io/docker/docker", "invalid registry host"},
      {"docker///docker", "invalid repository name"},
      {"docker.io/docker///docker", "invalid repository name"},
      {"docker/", "invalid repository name"},
      {"____/____", "invalid repository name"},
      {"_docker/_docker", "invalid repository name"},
      {"_/x", "invalid repository name"},
      {"dock..er/docker", "invalid registry host"},
      {"dock_.er/docker", "invalid registry host"},
      {"dock-.er/docker", "invalid registry host"},
      {"dock___er/docker", "invalid repository name"},
      {"ns/dock..er", "invalid repository name"},
      {"ns/dock-.er", "invalid repository name"},
      {"[fc00::1]", "invalid tag"},
      {"[fc00::1]:5000", "invalid tag"},
      {"fc00::1:5000/debian", "invalid registry host"},
      {"[fe80::1%eth0]:5000/debian", "invalid registry host"},
      {"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid registry host"},
      {"foo_bar.com/x", "invalid registry host"},
      {"example.com:/x", "invalid registry host"},
      {"example.com:12a/x", "invalid registry host"},
      {"busybox:", "invalid tag"},
      {"busybox:-x", "invalid tag"},
      {"busybox:.x", "invalid tag"},
      {"busybox:a/b", "invalid"},
      {"busybox:" + std::string(129, 'a'), "invalid tag"},
      {"busybox@sha256:abc", "invalid digest format"},
      {"busybox@sha256:" + kHex.substr(0, 40), "invalid sha256 digest"},
      {"busybox@sha256:" + std::string(64, 'A'), "invalid sha256 digest"},
      {"busybox@sha512:" + std::string(128, 'a'), "unsupported digest algorithm"},
      {"busybox@md5", "invalid digest format"},
      {"busybox@:" + kHex, "invalid digest format"},
      {"busybox@sha256:" + kHex + "@sha256:" + kHex, "invalid digest format"},
      {"a/b:t:u", "invalid tag"},
      {"a b", "invalid repository name"},
      {long_ns + "/docker", "more than 255 characters"},
  }));
  CAPTURE(in);
  auto r = ParseNormalizedNamed(in);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
  CHECK_THAT(r.error().message, Catch::StartsWith("invalid reference "));
}

TEST_CASE("reference: the 255-character limit counts the normalised name", "[verify]") {
  // "docker.io/library/" is 18 characters.
  std::string ok(255 - 18, 'a');
  CHECK(ParseNormalizedNamed(ok).ok());
  CHECK_FALSE(ParseNormalizedNamed(ok + "a").ok());
  std::string tagged = ok + ":" + std::string(128, 't');
  CHECK(ParseNormalizedNamed(tagged).ok());
}

TEST_CASE("reference: ParseNormalizedTagged adds latest only to bare names", "[verify]") {
  auto [in, full] = GENERATE_REF(table<std::string, std::string>({
      {"busybox", "docker.io/library/busybox:latest"},
      {"busybox:1", "docker.io/library/busybox:1"},
      {"quay.io/a/b", "quay.io/a/b:latest"},
      {"busybox@" + kDigest, "docker.io/library/busybox@" + kDigest},
  }));
  auto r = ParseNormalizedTagged(in);
  REQUIRE(r.ok());
  CHECK(r->String() == full);
  CHECK_FALSE(IsNameOnly(*r));
}

TEST_CASE("reference: ParseCanonicalNamed wants the fully expanded form", "[verify]") {
  CHECK(ParseCanonicalNamed("docker.io/library/busybox:latest").ok());
  CHECK(ParseCanonicalNamed("quay.io/a/b").ok());
  for (const char* familiar : {"busybox", "busybox:latest", "docker.io/busybox",
                               "index.docker.io/library/busybox", "library/busybox"}) {
    auto r = ParseCanonicalNamed(familiar);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("not in fully expanded form"));
  }
}

TEST_CASE("reference: IsSha256Digest", "[verify]") {
  CHECK(IsSha256Digest(kDigest));
  CHECK_FALSE(IsSha256Digest(kHex));
  CHECK_FALSE(IsSha256Digest("sha256:" + kHex.substr(1)));
  CHECK_FALSE(IsSha256Digest("sha256:" + kHex + "0"));
  CHECK_FALSE(IsSha256Digest("SHA256:" + kHex));
  std::string upper = kDigest;
  upper.back() = 'A';
  CHECK_FALSE(IsSha256Digest(upper));
  CHECK_FALSE(IsSha256Digest("sha512:" + kHex));
}

TEST_CASE("reference: grammar helpers", "[verify]") {
  using namespace moat::verify;
  CHECK(IsValidDomain("docker.io"));
  CHECK(IsValidDomain("localhost:5000"));
  CHECK(IsValidDomain("[::1]:5000"));
  CHECK(IsValidDomain("A-b.Example.com"));
  CHECK_FALSE(IsValidDomain("a..b"));
  CHECK_FALSE(IsValidDomain("-a.b"));
  CHECK_FALSE(IsValidDomain("a.b:"));
  CHECK_FALSE(IsValidDomain("[]"));
  CHECK(IsValidDomainName("example.com"));
  CHECK_FALSE(IsValidDomainName("example.com:5000"));
  CHECK_FALSE(IsValidDomainName("[::1]"));
  CHECK(LooksLikeDomain("localhost"));
  CHECK(LooksLikeDomain("a.b"));
  CHECK(LooksLikeDomain("a:1"));
  CHECK(LooksLikeDomain("LOCAL"));
  CHECK_FALSE(LooksLikeDomain("library"));
  CHECK(IsValidPath("a/b-c/d__e.f"));
  CHECK_FALSE(IsValidPath("a//b"));
  CHECK_FALSE(IsValidPath("A"));
  CHECK(IsValidTag("_"));
  CHECK(IsValidTag(std::string(128, 'x')));
  CHECK_FALSE(IsValidTag(std::string(129, 'x')));
  CHECK_FALSE(IsValidTag(""));
}
