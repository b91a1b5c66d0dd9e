// Tests for launcher/secret_spec: a profile's `secrets` list.
#include "launcher/secret_spec.h"

#include <catch2/catch.hpp>
#include <string>

#include "launcher/profile.h"

namespace moat::launcher {
namespace {

TEST_CASE("secret_spec: a full entry and the defaults") {
  auto p = ParseProfile(R"({"secrets":[
      {"store":"vault","name":"db/password","target":"/run/secrets/db"},
      {"store":"sealed","name":"api.token","target":"/etc/app/api","uid":0,"gid":1000,
       "mode":"0440","env":"API_TOKEN","images":["registry.example/team"]},
      {"store":"vault","name":"only-env","env":"ONLY_ENV"}]})",
                        "p", "p.json");
  REQUIRE(p.ok());
  REQUIRE(p->secrets.size() == 3);
  const SecretRef& a = p->secrets[0];
  CHECK(a.store == "vault");
  CHECK(a.name == "db/password");
  CHECK(a.target == "/run/secrets/db");
  CHECK_FALSE(a.uid.has_value());
  CHECK_FALSE(a.gid.has_value());
  CHECK(a.mode == 0400);
  CHECK(a.env.empty());
  CHECK(a.images.empty());
  const SecretRef& b = p->secrets[1];
  CHECK(b.uid == 0u);
  CHECK(b.gid == 1000u);
  CHECK(b.mode == 0440);
  CHECK(b.env == "API_TOKEN");
  CHECK(b.images == std::vector<std::string>{"registry.example/team"});
  CHECK(p->secrets[2].target.empty());
  CHECK(p->secrets[2].env == "ONLY_ENV");
}

TEST_CASE("secret_spec: errors name the entry and field") {
  auto [text, fragment] = GENERATE(table<std::string, std::string>({
      {R"({"secrets":{}})", "p.json: secrets: expected array, got object"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","colour":1}]})",
       "secrets[0].colour: unknown key"},
      {R"({"secrets":[{"name":"n","target":"/t"}]})", "secrets[0].store: missing"},
      {R"({"secrets":[{"store":"v","target":"/t"}]})", "secrets[0].name: missing"},
      {R"({"secrets":[{"store":"v","name":"n"}]})", "secrets[0]: needs a target (or env)"},
      {R"({"secrets":[{"store":".v","name":"n","target":"/t"}]})",
       "secrets[0].store: \".v\" is not a store name"},
      {R"({"secrets":[{"store":"v","name":"../etc/shadow","target":"/t"}]})",
       "secrets[0].name: \"../etc/shadow\" is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"/abs","target":"/t"}]})", "is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"a//b","target":"/t"}]})", "is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"a/./b","target":"/t"}]})", "is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"a b","target":"/t"}]})", "is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"a/b/c/d/e/f/g/h/i","target":"/t"}]})",
       "is not a secret name"},
      {R"({"secrets":[{"store":"v","name":"n","target":"run/x"}]})",
       "secrets[0].target: \"run/x\" must be an absolute path other than /"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/"}]})", "must be an absolute path"},
      {R"({"secrets":[{"store":"v","name":"n","target":"","env":"E"}]})",
       "must be an absolute path"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/run/../etc/x"}]})",
       "must be a clean path"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/run//x"}]})", "must be a clean path"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/run/x/"}]})", "must be a clean path"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/proc/self/x"}]})",
       "is under /proc, which the runtime owns"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/sys"}]})", "is under /sys"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/dev/shm/x"}]})", "is under /dev"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","mode":"0800"}]})",
       "secrets[0].mode: \"0800\" is not an octal mode"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","mode":"4755"}]})",
       "is not an octal mode"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","mode":256}]})",
       "secrets[0].mode: expected string, got number"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","uid":-1}]})",
       "secrets[0].uid: -1 is out of range"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","gid":4294967295}]})",
       "secrets[0].gid: 4294967295 is out of range"},
      {R"({"secrets":[{"store":"v","name":"n","env":"1X"}]})",
       "secrets[0].env: \"1X\" is not an environment variable name"},
      {R"({"secrets":[{"store":"v","name":"n","env":"A=B"}]})", "is not an environment variable"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","env":""}]})",
       "is not an environment variable"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","images":[]}]})",
       "secrets[0].images: empty"},
      {R"({"secrets":[{"store":"v","name":"n","target":"/t","images":"x"}]})",
       "secrets[0].images: expected array"},
      {R"({"secrets":[{"store":"v","name":"a","target":"/t"},{"store":"v","name":"b","target":"/t"}]})",
       "secrets[1].target: \"/t\" is given twice"},
      {R"({"secrets":[{"store":"v","name":"a","env":"E"},{"store":"v","name":"b","env":"E"}]})",
       "secrets[1].env: \"E\" is given twice"},
  }));
  auto r = ParseProfile(text, "p", "p.json");
  INFO(text);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
}

TEST_CASE("secret_spec: names") {
  CHECK(ValidStoreName("vault"));
  CHECK(ValidStoreName("csi.app-1_x"));
  CHECK_FALSE(ValidStoreName(""));
  CHECK_FALSE(ValidStoreName("a/b"));
  CHECK_FALSE(ValidStoreName(std::string(65, 'a')));
  CHECK(ValidSecretName("password"));
  CHECK(ValidSecretName("..data/password"));  // Kubernetes' atomic-writer layout
  CHECK(ValidSecretName("a/b/c/d/e/f/g/h"));
  CHECK_FALSE(ValidSecretName(".."));
  CHECK_FALSE(ValidSecretName("a/"));
  CHECK_FALSE(ValidSecretName(std::string(256, 'a')));
}

}  // namespace
}  // namespace moat::launcher
