// Tests for shim/secrets and shim/secret_store: moat.conf's stores, which
// secrets a container gets and with which owner, the mounts and refusals in
// config.json, reading from plain and sealed stores, process.env opt-in.
#include "shim/secrets.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/json.h"
#include "shim/config.h"
#include "shim/secret_store.h"
#include "tests/unit/test_dir.h"

namespace moat::shim {
namespace {

using json::Value;

Config ConfigWith(const std::string& state_dir, const std::string& store_dir) {
  Config c;
  c.file = "moat.conf";
  c.secrets.file = "moat.conf";
  c.state_dir = state_dir;
  c.secrets.stores["vault"] = SecretStore{store_dir, ""};
  return c;
}

launcher::Profile ProfileWith(const std::string& secrets_json) {
  auto p = launcher::ParseProfile(R"({"secrets":)" + secrets_json + "}", "p", "p.json");
  REQUIRE(p.ok());
  return p.value();
}

Value Spec(const std::string& text) {
  auto v = json::Parse(text);
  REQUIRE(v.ok());
  return v.value();
}

TEST_CASE("secrets: moat.conf secret_stores and secret_max_bytes") {
  auto c = ParseConfig(R"({"runtime":"/usr/sbin/runc","secret_stores":{
      "vault":{"path":"/run/vault"},"sealed":{"path":"/var/lib/s","key":"/etc/moat/s.key"}},
      "secret_max_bytes":4096})",
                       "moat.conf");
  REQUIRE(c.ok());
  CHECK(c->secrets.stores.size() == 2);
  CHECK(c->secrets.stores["vault"].path == "/run/vault");
  CHECK(c->secrets.stores["vault"].key.empty());
  CHECK(c->secrets.stores["sealed"].key == "/etc/moat/s.key");
  CHECK(c->secrets.max_bytes == 4096);
  CHECK(ParseConfig(R"({"runtime":"/r"})", "m")->secrets.max_bytes == 1u << 20);

  auto [text, fragment] = GENERATE(table<std::string, std::string>({
      {R"("secret_stores":[])", "moat.conf: secret_stores: expected object, got array"},
      {R"("secret_stores":{"v":{}})", "secret_stores.v.path: missing"},
      {R"("secret_stores":{"v":{"path":"run/v"}})",
       "secret_stores.v.path: \"run/v\" is not an absolute path"},
      {R"("secret_stores":{"v":{"path":"/v","key":"k"}})", "secret_stores.v.key: \"k\" is not"},
      {R"("secret_stores":{"v":{"path":"/v","mode":"x"}})", "secret_stores.v.mode: unknown key"},
      {R"("secret_stores":{"a/b":{"path":"/v"}})", "secret_stores.a/b: \"a/b\" is not a store"},
      {R"("secret_max_bytes":0)", "secret_max_bytes: 0 is out of range"},
      {R"("secret_max_bytes":67108865)", "secret_max_bytes: 67108865 is out of range"},
  }));
  auto bad = ParseConfig(R"({"runtime":"/r",)" + text + "}", "moat.conf");
  INFO(text);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains(fragment));
}

TEST_CASE("secrets: the plan picks the profile's secrets, by image scope where asked") {
  Config c = ConfigWith("/run/moat", "/run/vault");
  launcher::Profile p = ProfileWith(R"([
      {"store":"vault","name":"all","target":"/s/all"},
      {"store":"vault","name":"team","target":"/s/team","images":["registry.example/team"]},
      {"store":"vault","name":"exact","target":"/s/exact",
       "images":["registry.example/team/app:1.0"]}])");
  verify::TrustDecision image;
  auto names = [&]() {
    auto plan = PlanSecrets(c.secrets, c.state_dir, "c1", p, image);
    REQUIRE(plan.ok());
    std::string out;
    for (const auto& i : plan->items) out += i.name + "=" + i.file + " ";
    CHECK(plan->dir == "/run/moat/secrets/c1");
    return out;
  };
  CHECK(names() == "all=0 ");  // no trusted name: only the unscoped secret
  image.allow = true;
  image.reference = "registry.example/team/app:1.0";
  CHECK(names() == "all=0 team=1 exact=2 ");
  image.reference = "registry.example/team/app:2.0";
  CHECK(names() == "all=0 team=1 ");
  image.reference = "registry.example/other/app:1.0";
  CHECK(names() == "all=0 ");
  image.allow = false;  // a refused image's name is no evidence
  image.reference = "registry.example/team/app:1.0";
  CHECK(names() == "all=0 ");

  SECTION("errors") {
    auto unknown = PlanSecrets(c.secrets, c.state_dir, "c1",
                               ProfileWith(R"([{"store":"x","name":"n","target":"/t"}])"), image);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message ==
          "profile \"p\": secrets[0].store: \"x\" is not in moat.conf's secret_stores");
    auto scope = PlanSecrets(
        c.secrets, c.state_dir, "c1",
        ProfileWith(R"([{"store":"vault","name":"n","target":"/t","images":["Bad Scope"]}])"),
        image);
    REQUIRE_FALSE(scope.ok());
    CHECK_THAT(scope.error().message,
               Catch::StartsWith("profile \"p\": secrets[0].images[0]: \"Bad Scope\""));
    CHECK_FALSE(PlanSecrets(c.secrets, c.state_dir, "../x", p, image).ok());
  }
}

TEST_CASE("secrets: owners are the process's ids, the profile's, mapped through a user namespace") {
  Config c = ConfigWith("/run/moat", "/run/vault");
  auto plan = PlanSecrets(c.secrets, c.state_dir, "c1",
                          ProfileWith(R"([{"store":"vault","name":"a","target":"/a"},
                              {"store":"vault","name":"b","target":"/b","uid":0,"gid":5}])"),
                          verify::TrustDecision{});
  REQUIRE(plan.ok());
  SECTION("no user namespace") {
    REQUIRE(ResolveSecretOwners(&plan.value(), Spec("{}"), 65534, 65533).ok());
    CHECK(plan->items[0].host_uid == 65534);
    CHECK(plan->items[0].host_gid == 65533);
    CHECK(plan->items[1].host_uid == 0);
    CHECK(plan->items[1].host_gid == 5);
  }
  SECTION("mapped") {
    Value spec = Spec(R"({"linux":{
        "uidMappings":[{"containerID":0,"hostID":100000,"size":1000},
                       {"containerID":65534,"hostID":200000,"size":1}],
        "gidMappings":[{"containerID":0,"hostID":300000,"size":65536}]}})");
    REQUIRE(ResolveSecretOwners(&plan.value(), spec, 65534, 10).ok());
    CHECK(plan->items[0].host_uid == 200000);
    CHECK(plan->items[0].host_gid == 300010);
    CHECK(plan->items[1].host_uid == 100000);
    CHECK(plan->items[1].host_gid == 300005);
    auto unmapped = ResolveSecretOwners(&plan.value(), spec, 5000, 10);
    REQUIRE_FALSE(unmapped.ok());
    CHECK(unmapped.error().message ==
          "secret \"vault/a\": owner: linux.uidMappings: id 5000 is not mapped");
  }
  auto ids = ProcessIds(Spec(R"({"process":{"user":{"uid":7,"gid":8}}})"));
  REQUIRE(ids.ok());
  CHECK(*ids == std::pair<uint32_t, uint32_t>(7, 8));
  CHECK(*ProcessIds(Spec("{}")) == std::pair<uint32_t, uint32_t>(0, 0));
}

TEST_CASE("secrets: read-only bind mounts, and a caller's mount at a target is refused") {
  Config c = ConfigWith("/run/moat", "/run/vault");
  auto plan = PlanSecrets(c.secrets, c.state_dir, "c1",
                          ProfileWith(R"([{"store":"vault","name":"a","target":"/run/secrets/a"},
                              {"store":"vault","name":"e","env":"E"}])"),
                          verify::TrustDecision{});
  REQUIRE(plan.ok());
  REQUIRE(ResolveSecretOwners(&plan.value(), Spec("{}"), 1000, 1000).ok());
  Value spec =
      Spec(R"({"mounts":[{"destination":"/run/secrets//a/","type":"bind","source":"/x"}]})");
  std::vector<std::string> changes, denials;
  REQUIRE(AddSecretMounts(*plan, &spec, &changes, &denials).ok());
  CHECK(json::Serialize(*spec.Find("mounts")) ==
        R"([{"destination":"/run/secrets//a/","type":"bind","source":"/x"},)"
        R"({"destination":"/run/secrets/a","type":"bind","source":"/run/moat/secrets/c1/fs/0",)"
        R"("options":["bind","ro","nosuid","nodev","noexec"]}])");
  CHECK(changes == std::vector<std::string>{
                       "mounts: secret \"vault/a\" at /run/secrets/a (uid 1000, gid 1000, mode "
                       "0400, read-only)",
                       "process.env: E from secret \"vault/e\""});
  CHECK(denials ==
        std::vector<std::string>{"mounts[0]: /run/secrets/a is where secret \"vault/a\" goes"});
  CHECK(plan->NeedsDir());
  CHECK(plan->HasEnv());
  CHECK(SecretEnvWarnings(*plan).size() == 1);
}

TEST_CASE("secrets: binding moat's secrets, a store or a key into a container is refused") {
  moat::testing::TestDir dir;
  Config c = ConfigWith(dir.path() + "/state", dir.path() + "/vault");
  c.secrets.stores["sealed"] = SecretStore{dir.path() + "/sealed", dir.path() + "/keys/s.key"};
  dir.Write("state/secrets/other/fs/0", "x");
  dir.Write("vault/a", "x");
  REQUIRE(::symlink((dir.path() + "/state/secrets/other/fs/0").c_str(),
                    (dir.path() + "/link").c_str()) == 0);
  const std::string d = dir.path();
  auto denied = [&](const std::string& source, const std::string& type = "bind") {
    Value spec = Spec(R"({"mounts":[{"destination":"/x","type":")" + type + R"(","source":)" +
                      json::Quote(source) + R"(,"options":["ro"]}]})");
    std::vector<std::string> denials;
    REQUIRE(CheckSecretExposure(c.secrets, c.state_dir, spec, &denials).ok());
    return denials.empty() ? std::string() : denials[0];
  };
  CHECK(denied(d + "/state/secrets/other/fs/0") ==
        "mounts[0]: bind mount of " + d + "/state/secrets/other/fs/0 exposes moat's secrets " +
            "directory (" + d + "/state/secrets)");
  CHECK_THAT(denied(d + "/link"), Catch::Contains("exposes moat's secrets directory"));
  CHECK_THAT(denied(d + "/state"), Catch::Contains("exposes moat's secrets directory"));
  CHECK_THAT(denied("/"), Catch::Contains("exposes moat's secrets directory"));
  CHECK_THAT(denied(d + "/vault/a"), Catch::Contains("exposes secret store \"vault\""));
  CHECK_THAT(denied(d + "/keys"), Catch::Contains("exposes the key of secret store \"sealed\""));
  CHECK(denied(d + "/elsewhere").empty());
  CHECK(denied(d + "/state/secrets", "tmpfs").empty());  // not a bind: source means nothing
  c.secrets.stores.clear();
  CHECK(denied(d + "/state/secrets").empty());  // no stores, nothing to guard
}

TEST_CASE("secrets: reading from a plain store stays inside it") {
  moat::testing::TestDir dir;
  const std::string store = dir.path() + "/vault";
  dir.Write("vault/db/password", "hunter2", 0600);
  dir.Write("vault/..2024/token", "t0ken", 0600);
  dir.Write("outside", "do not read", 0600);
  REQUIRE(::symlink("..2024/token", (store + "/token").c_str()) == 0);  // inside: followed
  REQUIRE(::symlink("../outside", (store + "/escape").c_str()) == 0);
  REQUIRE(::symlink("/etc/passwd", (store + "/absolute").c_str()) == 0);
  REQUIRE(::symlink("/proc/self/root/etc/passwd", (store + "/magic").c_str()) == 0);
  SecretStore s{store, ""};
  auto read = [&](const std::string& name, uint64_t max = 1024) {
    return ReadStoreSecret("vault", s, name, max);
  };
  CHECK(read("db/password")->view() == "hunter2");
  CHECK(read("token")->view() == "t0ken");
  for (const char* name : {"escape", "absolute", "magic"}) {
    auto r = read(name);
    INFO(name);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message,
               Catch::StartsWith("secret \"vault/" + std::string(name) + "\": " + store + "/" +
                                 name + " leads out of the store (symbolic link): refused"));
  }
  CHECK(read("missing").error().message == "secret \"vault/missing\": not found in " + store);
  CHECK(read("db").error().message ==
        "secret \"vault/db\": " + store + "/db is not a regular file");
  CHECK(read("db/password", 6).error().message ==
        "secret \"vault/db/password\": larger than the limit of 6 bytes");
  auto gone = ReadStoreSecret("nope", SecretStore{dir.path() + "/nope", ""}, "x", 10);
  REQUIRE_FALSE(gone.ok());
  CHECK_THAT(gone.error().message, Catch::StartsWith("secret \"nope/x\": store \"nope\": "));
}

TEST_CASE("secrets: reading from a sealed store") {
  if (::geteuid() != 0) return;  // key files must be root's; the integration test covers non-root
  moat::testing::TestDir dir;
  auto key = NewSealKey();
  REQUIRE(key.ok());
  const std::string key_path = dir.Write("s.key", std::string(key->view()), 0600);
  SecretBytes plain(16);
  plain.Append("sealed value", 12);
  auto sealed = SealSecret(*key, "app/token", plain);
  REQUIRE(sealed.ok());
  dir.Write("sealed/app/token", *sealed, 0644);
  dir.Write("sealed/app/renamed", *sealed, 0644);
  SecretStore s{dir.path() + "/sealed", key_path};
  auto r = ReadStoreSecret("sealed", s, "app/token", 12);
  REQUIRE(r.ok());
  CHECK(r->view() == "sealed value");
  CHECK(ReadStoreSecret("sealed", s, "app/token", 11).error().message ==
        "secret \"sealed/app/token\" (sealed): larger than the limit of 48 bytes");
  auto renamed = ReadStoreSecret("sealed", s, "app/renamed", 100);
  REQUIRE_FALSE(renamed.ok());
  CHECK(renamed.error().message == "secret \"sealed/app/renamed\": " + dir.path() +
                                       "/sealed/app/renamed: authentication failed (tampered "
                                       "with, another key, or sealed under another name)");
}

TEST_CASE("secrets: process.env opt-in replaces the variable and can be wiped") {
  Config c = ConfigWith("/run/moat", "/run/vault");
  auto plan = PlanSecrets(c.secrets, c.state_dir, "c1",
                          ProfileWith(R"([{"store":"vault","name":"e","env":"TOKEN"}])"),
                          verify::TrustDecision{});
  REQUIRE(plan.ok());
  std::vector<SecretBytes> values;
  values.emplace_back(8);
  values[0].Append("s3cret", 6);
  Value spec = Spec(R"({"process":{"env":["PATH=/bin","TOKEN=old","TOKENX=keep"]}})");
  REQUIRE(AddSecretEnv(*plan, values, &spec).ok());
  CHECK(json::Serialize(*spec.Find("process")) ==
        R"({"env":["PATH=/bin","TOKENX=keep","TOKEN=s3cret"]})");
  WipeSecretEnv(*plan, &spec);
  CHECK(json::Serialize(*spec.Find("process")) == R"({"env":["PATH=/bin","TOKENX=keep",""]})");
}

TEST_CASE("secrets: a value for process.env must be text") {
  moat::testing::TestDir dir;
  dir.Write("vault/nul", std::string("a\0b", 3), 0600);
  dir.Write("vault/latin1", "caf\xe9", 0600);
  dir.Write("vault/utf8", "caf\xc3\xa9", 0600);
  Config c = ConfigWith("/run/moat", dir.path() + "/vault");
  for (const char* name : {"nul", "latin1", "utf8"}) {
    auto plan = PlanSecrets(
        c.secrets, c.state_dir, "c1",
        ProfileWith(std::string(R"([{"store":"vault","name":")") + name + R"(","env":"E"}])"),
        verify::TrustDecision{});
    REQUIRE(plan.ok());
    auto v = LoadSecrets(c.secrets, *plan);
    INFO(name);
    if (std::string(name) == "utf8") {
      CHECK(v.ok());
    } else {
      REQUIRE_FALSE(v.ok());
      CHECK(v.error().message == "secret \"vault/" + std::string(name) +
                                     "\": holds a NUL byte or invalid UTF-8, so it cannot go "
                                     "into process.env");
    }
  }
}

}  // namespace
}  // namespace moat::shim
