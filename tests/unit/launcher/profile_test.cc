#include "launcher/profile.h"

#include <sys/capability.h>

#include <catch2/catch.hpp>

#include "tests/unit/launcher/test_host.h"

using moat::launcher::CapSet;
using moat::launcher::ParseProfile;
using moat::launcher::RootPolicy;

TEST_CASE("profile: shipped profiles parse and mean what they say") {
  auto r = ParseProfile(moat::testing::ReadSource("profiles/restricted.json"), "restricted",
                        "restricted.json");
  REQUIRE(r.ok());
  CHECK(r->root == RootPolicy::kRemap);
  CHECK(r->remap_uid == 65534);
  CHECK(r->Apply(moat::launcher::AllCaps()).empty());
  CHECK(r->no_new_privileges.value_or(false));
  CHECK(r->readonly_rootfs.value_or(false));
  REQUIRE(r->tmpfs.size() == 1);
  CHECK(r->tmpfs[0].path == "/tmp");
  CHECK(r->pids_limit.value_or(0) > 0);
  CHECK(r->deny.privileged);
  CHECK(r->deny.host_namespaces);
  CHECK(r->deny.engine_sockets);
  CHECK(r->deny.host_paths);

  auto b = ParseProfile(moat::testing::ReadSource("profiles/baseline.json"), "baseline",
                        "baseline.json");
  REQUIRE(b.ok());
  CapSet kept = b->Apply(moat::launcher::AllCaps());
  CHECK(kept.size() == 13);
  CHECK(kept.count(CAP_NET_RAW) == 0);
  CHECK(kept.count(CAP_SYS_ADMIN) == 0);
  CHECK(kept.count(CAP_CHOWN) == 1);
  CHECK(b->Apply({CAP_KILL}) == CapSet{CAP_KILL});  // a ceiling, never an addition
}

TEST_CASE("profile: errors name the file and field") {
  auto [text, fragment] = GENERATE(table<std::string, std::string>({
      {R"({"colour":"red"})", "p.json: colour: unknown key"},
      {R"({"capabilities":{"drop":["NET_RAW","CAP_FOO"]}})",
       "p.json: capabilities.drop[1]: unknown capability \"CAP_FOO\""},
      {R"({"capabilities":{"add":["ALL"]}})", "capabilities.add[0]: unknown capability"},
      {R"({"capabilities":{"allow":["KILL"],"add":["CHOWN"]}})",
       "capabilities.add: CAP_CHOWN is not in capabilities.allow"},
      {R"({"user":{"root":"maybe"}})", "user.root: \"maybe\" is not one of"},
      {R"({"user":{"uid":0}})", "user.uid: 0 is out of range"},
      {R"({"pids_limit":-5})", "pids_limit: -5 is out of range"},
      {R"({"pids_limit":"10"})", "pids_limit: expected number, got string"},
      {R"({"tmpfs":[{"path":"tmp"}]})", "tmpfs[0].path: \"tmp\" must be an absolute path"},
      {R"({"tmpfs":[{"path":"/tmp","options":["uid=0"]}]})", "tmpfs[0].options: \"uid=0\""},
      {R"({"deny":{"privileged":"yes"}})", "deny.privileged: expected boolean"},
      {R"({"exec":"ignore"})", "exec: \"ignore\" is not one of reduce, refuse"},
      {R"({"description":"a","description":"b"})", "duplicate key \"description\""},
      {R"({"no_new_privileges":true,})", "p.json: line 1"},
  }));
  auto r = ParseProfile(text, "p", "p.json");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
}

TEST_CASE("profile: capability arithmetic drop, allow, add") {
  auto r = ParseProfile(R"({"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}})", "p",
                        "p.json");
  REQUIRE(r.ok());
  CHECK(r->Apply({CAP_SYS_ADMIN, CAP_KILL}) == CapSet{CAP_NET_BIND_SERVICE});
  auto d = ParseProfile(R"({"capabilities":{"drop":["net_raw","CAP_MKNOD"]}})", "p", "p.json");
  REQUIRE(d.ok());
  CHECK(d->Apply({CAP_NET_RAW, CAP_MKNOD, CAP_KILL}) == CapSet{CAP_KILL});
  auto none = ParseProfile("{}", "p", "p.json");
  REQUIRE(none.ok());
  CHECK(none->Apply({CAP_SYS_ADMIN}) == CapSet{CAP_SYS_ADMIN});
  CHECK(none->deny.privileged);  // deny rules are on unless a profile turns them off
}
