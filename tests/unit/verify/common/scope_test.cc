#include "verify/common/scope.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using moat::verify::DockerScopeIdentity;
using moat::verify::DockerScopes;
using moat::verify::ParseNormalizedNamed;
using moat::verify::ValidateDockerScope;

namespace {
const std::string kD = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

TEST_CASE("scope: lookup order, most specific first", "[verify]") {
  using V = std::vector<std::string>;
  auto [ref, scopes] = GENERATE_COPY(table<std::string, V>({
      {"busybox:latest", V{"docker.io/library/busybox:latest", "docker.io/library/busybox",
                           "docker.io/library", "docker.io", "*.io"}},
      {"busybox" + kD, V{"docker.io/library/busybox" + kD, "docker.io/library/busybox",
                         "docker.io/library", "docker.io", "*.io"}},
      {"busybox:1" + kD, V{"docker.io/library/busybox" + kD, "docker.io/library/busybox",
                           "docker.io/library", "docker.io", "*.io"}},
      {"busybox", V{"docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"}},
      {"a.b.example.com:5000/ns/app:1",
       V{"a.b.example.com:5000/ns/app:1", "a.b.example.com:5000/ns/app", "a.b.example.com:5000/ns",
         "a.b.example.com:5000", "*.b.example.com", "*.example.com", "*.com"}},
      {"localhost:5000/app:1", V{"localhost:5000/app:1", "localhost:5000/app", "localhost:5000"}},
      {"[::1]:5000/app:1", V{"[::1]:5000/app:1", "[::1]:5000/app", "[::1]:5000"}},
  }));
  auto r = ParseNormalizedNamed(ref);
  REQUIRE(r.ok());
  CHECK(DockerScopes(*r) == scopes);
  CHECK(DockerScopeIdentity(*r) == (r->tag.empty() && r->digest.empty() ? "" : scopes[0]));
}

TEST_CASE("scope: validation accepts what can match and refuses what cannot", "[verify]") {
  const std::vector<std::string> good = {"docker.io",
                                         "docker.io/library",
                                         "docker.io/library/busybox",
                                         "docker.io/library/busybox:latest",
                                         "quay.io/a/b/c",
                                         "localhost",
                                         "localhost:5000/x",
                                         "LOCALDOMAIN/x",
                                         "[::1]:5000/x",
                                         "*.example.com",
                                         "*.com",
                                         "hostname:5000/myns/official",
                                         "docker.io/library/busybox" + kD};
  for (const std::string& ok : good) {
    CAPTURE(ok);
    CHECK(ValidateDockerScope(ok).ok());
  }
  for (const char* bad :
       {"", "busybox", "library/busybox", "docker.io/busybox:latest", "busybox:latest",
        "index.docker.io", "index.docker.io/library/busybox", "*", "*.", "*.example.com:443",
        "*.*.example.com", "example*.com", "docker.io/", "docker.io//x", "docker.io/Library",
        "quay.io/a:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "-quay.io/a", "https://quay.io/a"}) {
    CAPTURE(bad);
    CHECK_FALSE(ValidateDockerScope(bad).ok());
  }
}
