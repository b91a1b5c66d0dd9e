#include "verify/registry/auth_file.h"

#include <catch2/catch.hpp>

#include "verify/registry/challenge.h"
#include "verify/registry/registry_client.h"

using namespace moat::verify;

TEST_CASE("auth files: Docker's and containers' keys", "[registry]") {
  // dXNlcjpwYXNz = user:pass, YTpiOmM= = a:b:c, eDp5 = x:y
  auto f =
      ParseAuthFile(R"({"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},)"
                    R"("127.0.0.1:5000/team":{"auth":"YTpiOmM="},"127.0.0.1:5000":{"auth":"eDp5"},)"
                    R"("quay.io":{},"ghcr.io":{"auth":""}},"credsStore":"pass","HttpHeaders":{}})",
                    "config.json");
  REQUIRE(f.ok());
  auto hub = FindCredentials(*f, "docker.io", "library/busybox");
  REQUIRE(hub);
  CHECK(hub->username == "user");
  CHECK(hub->password == "pass");
  CHECK(hub->origin == "config.json: auths[\"https://index.docker.io/v1/\"]");
  auto team = FindCredentials(*f, "127.0.0.1:5000", "team/app");
  REQUIRE(team);
  CHECK(team->username == "a");
  CHECK(team->password == "b:c");
  auto other = FindCredentials(*f, "127.0.0.1:5000", "other/app");
  REQUIRE(other);
  CHECK(other->username == "x");
  CHECK_FALSE(FindCredentials(*f, "quay.io", "a/b"));
  CHECK_FALSE(FindCredentials(*f, "ghcr.io", "a/b"));
  CHECK_FALSE(FindCredentials(*f, "127.0.0.1:50", "team"));
}

TEST_CASE("auth files: malformed entries name file and key", "[registry]") {
  auto notb64 = ParseAuthFile(R"({"auths":{"r.io":{"auth":"!!"}}})", "auth.json");
  REQUIRE_FALSE(notb64.ok());
  CHECK(notb64.error().message == "auth.json: auths[\"r.io\"]: auth: not base64");
  auto nocolon = ParseAuthFile(R"({"auths":{"r.io":{"auth":"dXNlcg=="}}})", "auth.json");
  REQUIRE_FALSE(nocolon.ok());
  CHECK(nocolon.error().message == "auth.json: auths[\"r.io\"]: auth: not base64 of user:password");
  CHECK_FALSE(ParseAuthFile(R"({"auths":[]})", "auth.json").ok());
  CHECK_FALSE(ParseAuthFile(R"({"auths":{"a":{"auth":"eDp5"},"a":{}}})", "auth.json").ok());
  CHECK(ParseAuthFile("{}", "auth.json").ok());
}

TEST_CASE("WWW-Authenticate challenges", "[registry]") {
  auto b = ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  REQUIRE(b.ok());
  CHECK(b->scheme == "bearer");
  CHECK(b->Param("realm") == "https://auth.docker.io/token");
  CHECK(b->Param("service") == "registry.docker.io");
  CHECK(b->Param("scope") == "repository:library/busybox:pull");
  auto e = ParseChallenge(R"(bearer Realm="a\"b,c", error=insufficient_scope, Basic realm=x)");
  REQUIRE(e.ok());
  CHECK(e->Param("realm") == "a\"b,c");
  CHECK(e->Param("error") == "insufficient_scope");
  CHECK(ParseChallenge(R"(Basic realm="Registry Realm")")->scheme == "basic");
  CHECK_FALSE(ParseChallenge("").ok());
  CHECK_FALSE(ParseChallenge(R"(Bearer realm="open)").ok());
  CHECK_FALSE(ParseChallenge(R"(Bearer realm="a",realm="b")").ok());
  CHECK(UrlEncode("repository:a/b:pull") == "repository%3Aa%2Fb%3Apull");
}

TEST_CASE("loopback hosts, where plain http may follow https", "[registry]") {
  CHECK(IsLoopbackHost("localhost:5000"));
  CHECK(IsLoopbackHost("127.0.0.1:5000"));
  CHECK(IsLoopbackHost("127.1.2.3"));
  CHECK(IsLoopbackHost("[::1]:5000"));
  CHECK_FALSE(IsLoopbackHost("127.0.0.1.evil.example"));
  CHECK_FALSE(IsLoopbackHost("localhost.example:5000"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.1:5000"));
  CHECK_FALSE(IsLoopbackHost("[::1]x"));
}
