// HardenConfig and the profile's seccomp file: resolution against the final
// bounding set, replacement of the caller's filter.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "base/json.h"
#include "launcher/harden.h"
#include "launcher/seccomp.h"
#include "tests/unit/launcher/test_host.h"
#include "tests/unit/test_dir.h"

using moat::json::Parse;
using moat::json::Serialize;
using moat::launcher::SeccompFile;

TEST_CASE("harden: seccomp is resolved against the final bounding set") {
  auto f = moat::launcher::ParseSeccompFile(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["read"],"action":"SCMP_ACT_ALLOW"},
    {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]})",
                                            "t.json");
  REQUIRE(f.ok());
  auto this_host = moat::launcher::ThisSeccompHost();
  REQUIRE(this_host.ok());
  REQUIRE(moat::launcher::CheckSeccompFile(&f.value(), *this_host).ok());
  auto config_text =
      R"({"process":{"user":{"uid":0},"capabilities":{"bounding":["CAP_SYS_ADMIN","CAP_CHOWN"]}},
    "root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},
    {"type":"uts"},{"type":"mount"}],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}})";
  moat::testing::FakeHost host;
  auto [caps, has_mount] = GENERATE(table<std::string, bool>({
      {R"({"drop":["SYS_ADMIN"]})", false},
      {R"({"drop":["NET_RAW"]})", true},
  }));
  auto p = moat::launcher::ParseProfile(
      R"({"deny":{"privileged":false},"seccomp":"t.json","capabilities":)" + caps + "}", "p",
      "p.json");
  REQUIRE(p.ok());
  p->seccomp_file = std::make_shared<const SeccompFile>(*f);
  auto config = Parse(config_text);
  REQUIRE(config.ok());
  auto out = moat::launcher::HardenConfig(&config.value(), *p, host);
  REQUIRE(out.ok());
  const std::string got = Serialize(*config->Find("linux")->Find("seccomp"));
  CHECK((got.find(R"("mount")") != std::string::npos) == has_mount);
  const std::string want_line = std::string("linux.seccomp: replaced by t.json (") +
                                (has_mount ? "2" : "1") + " syscalls allowed)";
  CHECK(std::find(out->changes.begin(), out->changes.end(), want_line) != out->changes.end());
}

TEST_CASE("harden: a caller's missing or own seccomp does not escape the profile's") {
  moat::testing::FakeHost host;
  moat::launcher::Profile restricted = moat::testing::LoadSourceProfile("restricted");
  auto [edit, verb] = GENERATE(table<std::string, std::string>({
      {"", "set from"},                                                     // seccomp=unconfined
      {R"(,"seccomp":null)", "set from"},                                   //
      {R"(,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"})", "replaced by"},  // a permissive one
  }));
  auto config =
      Parse(R"({"process":{"user":{"uid":1000}},"root":{"path":"rootfs"},"linux":{"namespaces":[
    {"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])" +
            edit + "}}");
  REQUIRE(config.ok());
  auto out = moat::launcher::HardenConfig(&config.value(), restricted, host);
  REQUIRE(out.ok());
  const moat::json::Value* sc = config->Find("linux")->Find("seccomp");
  REQUIRE(sc != nullptr);
  CHECK(sc->Find("defaultAction")->text() == "SCMP_ACT_ERRNO");
  bool found = false;
  for (const auto& c : out->changes) {
    found = found || c.rfind("linux.seccomp: " + verb + " seccomp/default.json (", 0) == 0;
  }
  CHECK(found);

  SECTION("a profile whose seccomp file was not loaded is an error, not a container without one") {
    moat::launcher::Profile unloaded = restricted;
    unloaded.seccomp_file.reset();
    auto again = Parse(R"({"process":{},"root":{"path":"rootfs"}})");
    REQUIRE(again.ok());
    auto r = moat::launcher::HardenConfig(&again.value(), unloaded, host);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          R"(profile "restricted": seccomp: seccomp/default.json was not loaded)");
  }
}

TEST_CASE("harden: filters that compiled are remembered in the cache directory") {
  if (::geteuid() != 0) return;  // the cache is root's only; as another user it is never used
  moat::testing::TestDir dir;
  moat::testing::FakeHost host;
  moat::launcher::Profile restricted = moat::testing::LoadSourceProfile("restricted");
  moat::launcher::HardenOptions options;
  options.seccomp_cache_dir = dir.path() + "/state/seccomp-cache";
  auto harden = [&]() {
    auto config =
        Parse(R"({"process":{"user":{"uid":1000}},"root":{"path":"rootfs"},"linux":{"namespaces":[
      {"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})");
    REQUIRE(config.ok());
    auto out = moat::launcher::HardenConfig(&config.value(), restricted, host, options);
    REQUIRE(out.ok());
    return Serialize(*config->Find("linux")->Find("seccomp"));
  };
  const std::string oci = harden();
  std::vector<std::filesystem::path> entries;
  for (const auto& e : std::filesystem::directory_iterator(options.seccomp_cache_dir)) {
    entries.push_back(e.path());
  }
  REQUIRE(entries.size() == 1);
  struct stat dst {};
  REQUIRE(::stat(options.seccomp_cache_dir.c_str(), &dst) == 0);
  CHECK((dst.st_mode & 07777) == 0700);
  const std::string entry = entries[0];
  const std::string key = moat::testing::ReadFileText(entry);
  CHECK_THAT(key, Catch::StartsWith("moat seccomp compile cache v1\nlibseccomp "));
  CHECK_THAT(key, Catch::EndsWith("\n" + oci + "\n"));
  struct stat before {};
  REQUIRE(::stat(entry.c_str(), &before) == 0);

  SECTION("a hit leaves the entry alone") {
    CHECK(harden() == oci);
    struct stat after {};
    REQUIRE(::stat(entry.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
  }
  SECTION("an entry that does not hold the whole key is a miss, and is rewritten") {
    dir.Write(entry.substr(dir.path().size() + 1), key.substr(0, key.size() - 2) + "}\n", 0600);
    CHECK(harden() == oci);
    CHECK(moat::testing::ReadFileText(entry) == key);
  }
}

TEST_CASE("harden: no container leaves without a seccomp filter") {
  moat::testing::FakeHost host;
  auto config_with = [](const std::string& edit) {
    auto c =
        Parse(R"({"process":{"user":{"uid":1000}},"root":{"path":"rootfs"},"linux":{"namespaces":[
    {"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])" +
              edit + "}}");
    REQUIRE(c.ok());
    return *c;
  };
  SECTION("baseline gets the runtime-default filter for seccomp=unconfined") {
    moat::launcher::Profile baseline = moat::testing::LoadSourceProfile("baseline");
    CHECK(baseline.seccomp == "seccomp/runtime-default.json");
    auto config = config_with("");
    auto out = moat::launcher::HardenConfig(&config, baseline, host);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(config.Find("linux")->Find("seccomp")->Find("defaultAction")->text() == "SCMP_ACT_ERRNO");
  }
  SECTION("a profile that names no filter keeps a confining one and refuses none") {
    auto p = moat::launcher::ParseProfile(R"({"user": {"root": "allow"}})", "custom", "c.json");
    REQUIRE(p.ok());
    auto [edit, want] = GENERATE(table<std::string, std::string>({
        {"", "linux.seccomp: none (the process would run unconfined)"},
        {R"(,"seccomp":null)", "linux.seccomp: none (the process would run unconfined)"},
        {R"(,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"})",
         "linux.seccomp: default SCMP_ACT_ALLOW and no rule that stops a syscall (unconfined)"},
        {R"(,"seccomp":{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["mount"],"action":"SCMP_ACT_NOTIFY"}]})",
         "linux.seccomp: default SCMP_ACT_LOG and no rule that stops a syscall (unconfined)"},
        {R"(,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]})",
         ""},
        {R"(,"seccomp":{"defaultAction":"SCMP_ACT_ERRNO"})", ""},
    }));
    CAPTURE(edit);
    auto config = config_with(edit);
    // Only linux.seccomp is judged here: the system paths are fitted too.
    auto seccomp = [](const moat::json::Value& c) {
      const moat::json::Value* s = c.Find("linux")->Find("seccomp");
      return s == nullptr ? std::string("absent") : moat::json::Serialize(*s);
    };
    const std::string before = seccomp(config);
    auto out = moat::launcher::HardenConfig(&config, *p, host);
    REQUIRE(out.ok());
    if (want.empty()) {
      CHECK(out->denials.empty());
    } else {
      CHECK(out->denials == std::vector<std::string>{
                                want + " and profile \"custom\" names no seccomp filter to put "
                                       "in its place"});
    }
    CHECK(seccomp(config) == before);
  }
  SECTION("\"seccomp\": \"unconfined\" leaves linux.seccomp as sent, even none") {
    auto p = moat::launcher::ParseProfile(R"({"seccomp": "unconfined"})", "custom", "c.json");
    REQUIRE(p.ok());
    CHECK(p->seccomp_policy == moat::launcher::SeccompPolicy::kUnconfined);
    auto config = config_with("");
    auto out = moat::launcher::HardenConfig(&config, *p, host);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(config.Find("linux")->Find("seccomp") == nullptr);
  }
}
