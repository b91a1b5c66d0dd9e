#include "launcher/harden.h"

#include <sys/capability.h>

#include <catch2/catch.hpp>

#include "shim/config.h"
#include "tests/unit/launcher/test_host.h"

using moat::json::Parse;
using moat::json::Serialize;
using moat::json::Value;
using moat::launcher::HardenConfig;
using moat::launcher::HardenExecProcess;
using moat::launcher::ParseProfile;
using moat::launcher::Profile;
using moat::testing::FakeHost;

namespace {

Profile Load(const std::string& name) { return moat::testing::LoadSourceProfile(name); }

Value Config(const std::string& fixture = "config/runc-spec.json") {
  moat::json::Limits go;
  go.go_fold_keys = true;
  auto v = Parse(moat::testing::ReadFixture(fixture), go);
  REQUIRE(v.ok());
  return *v;
}

Value Get(const Value& root, std::initializer_list<const char*> path) {
  const Value* v = &root;
  for (const char* p : path) {
    v = v->Find(p);
    if (v == nullptr) return Value();
  }
  return *v;
}

bool Mentions(const std::vector<std::string>& lines, const std::string& fragment) {
  for (const auto& l : lines) {
    if (l.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("harden: restricted on runc's default spec") {
  Value config = Config();
  Value before = config;
  FakeHost host;
  auto out = HardenConfig(&config, Load("restricted"), host);
  REQUIRE(out.ok());
  CHECK(out->denials.empty());
  CHECK(Serialize(Get(config, {"process", "user"})) == R"({"uid":65534,"gid":65534})");
  for (const char* set : {"bounding", "effective", "permitted", "ambient"}) {
    CHECK(Serialize(Get(config, {"process", "capabilities", set})) == "[]");
  }
  // runc's spec has no inheritable set; an absent set is empty and stays absent.
  CHECK(Get(config, {"process", "capabilities", "inheritable"}).is_null());
  CHECK(Get(config, {"process", "noNewPrivileges"}).bool_value());
  CHECK(Get(config, {"root", "readonly"}).bool_value());
  CHECK(Serialize(Get(config, {"linux", "resources", "pids", "limit"})) == "1024");
  const Value& mounts = *config.Find("mounts");
  const Value& tmp = mounts.items().back();
  CHECK(
      Serialize(tmp) ==
      R"({"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec","mode=1777","size=65536k","uid=65534","gid=65534"]})");
  CHECK(out->uid == 65534);
  CHECK(out->bounding.empty());
  CHECK(Mentions(out->changes, "process.user: uid 0 gid 0 -> uid 65534 gid 65534"));
  CHECK(Mentions(out->changes, "process.capabilities.bounding: dropped CAP_KILL"));
  CHECK(Mentions(out->changes, "mounts: added tmpfs /tmp"));

  SECTION("fields moat does not touch are kept exactly") {
    for (const char* key : {"ociVersion", "hostname", "annotations"}) {
      CHECK(Serialize(Get(config, {key})) == Serialize(Get(before, {key})));
    }
    CHECK(Serialize(Get(config, {"process", "rlimits"})) ==
          Serialize(Get(before, {"process", "rlimits"})));
    CHECK(Serialize(Get(config, {"linux", "maskedPaths"})) ==
          Serialize(Get(before, {"linux", "maskedPaths"})));
    CHECK(Serialize(Get(config, {"linux", "namespaces"})) ==
          Serialize(Get(before, {"linux", "namespaces"})));
    // Key order at the top level is unchanged.
    REQUIRE(config.members().size() == before.members().size());
    for (size_t i = 0; i < before.members().size(); ++i) {
      CHECK(config.members()[i].first == before.members()[i].first);
    }
  }
  SECTION("a second pass changes nothing") {
    auto again = HardenConfig(&config, Load("restricted"), host);
    REQUIRE(again.ok());
    CHECK(again->changes.empty());
  }
}

// runc mounts in order: a tmpfs appended after a mount below its path would
// hide that mount (runtime-tools' validate warns "/tmp/data will be covered
// by /tmp"; tests/integration/oci_parity_test.sh found it).
TEST_CASE("harden: the profile's tmpfs goes before the mounts below its path") {
  auto [dests, want] = GENERATE(table<std::string, std::string>({
      {R"(["/proc","/dev"])", R"(["/proc","/dev","/tmp"])"},
      {R"(["/proc","/tmp/data","/dev","/tmp/x/y"])",
       R"(["/proc","/tmp","/tmp/data","/dev","/tmp/x/y"])"},
      {R"(["/tmp/a","/","/tmp/b"])", R"(["/tmp/a","/","/tmp","/tmp/b"])"},
      {R"(["/tmp/a","/"])", R"(["/tmp/a","/","/tmp"])"},
      {R"(["/tmpfs","/proc"])", R"(["/tmpfs","/proc","/tmp"])"},
      {R"(["/tmp/../tmp/data"])", R"(["/tmp","/tmp/../tmp/data"])"},
      {R"(["/tmp/"])", R"(["/tmp/"])"},
  }));
  Value config = Config();
  Value mounts = Value::Array();
  auto list = Parse(dests);
  REQUIRE(list.ok());
  for (const auto& d : list->items()) {
    Value m = Value::Object();
    m.Set("destination", d);
    m.Set("type", Value::String("bind"));
    m.Set("source", Value::String("/srv"));
    m.Set("options", Parse(R"(["rbind","ro"])").value());
    mounts.Append(std::move(m));
  }
  config.Set("mounts", std::move(mounts));
  FakeHost host;
  auto out = HardenConfig(&config, Load("restricted"), host);
  REQUIRE(out.ok());
  Value got = Value::Array();
  for (const auto& m : config.Find("mounts")->items()) got.Append(*m.Find("destination"));
  CHECK(Serialize(got) == want);
  if (want.find("\"/tmp\",\"/tmp/") != std::string::npos) {
    CHECK(Mentions(out->changes, "mounts: added tmpfs /tmp before mounts["));
  }
}

TEST_CASE("harden: unknown fields and number spellings survive the rewrite") {
  auto v = Parse(
      R"({"ociVersion":"1.0.2","x-vendor":{"n":1.0e2,"list":[1,2.50]},"process":{"user":{"uid":1000,"gid":1000},"args":["sh"]},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],"resources":{"pids":{"limit":100},"memory":{"limit":1.5e9}}}})");
  REQUIRE(v.ok());
  FakeHost host;
  auto out = HardenConfig(&v.value(), Load("restricted"), host);
  REQUIRE(out.ok());
  const std::string s = Serialize(*v);
  CHECK_THAT(s, Catch::Contains(R"("x-vendor":{"n":1.0e2,"list":[1,2.50]})"));
  CHECK_THAT(s, Catch::Contains(R"("memory":{"limit":1.5e9})"));
  CHECK_THAT(s, Catch::Contains(R"("pids":{"limit":100})"));  // already below the profile's
  CHECK_THAT(s, Catch::Contains(R"("user":{"uid":1000,"gid":1000})"));
}

TEST_CASE("harden: deny rules") {
  FakeHost host;
  auto [edit, fragment] = GENERATE(table<std::string, std::string>({
      {R"({"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN","CAP_SYS_MODULE"]}}})",
       "holds CAP_SYS_ADMIN and CAP_SYS_MODULE"},
      {R"({"process":{"capabilities":{"bounding":[],"inheritable":["CAP_SYS_ADMIN","CAP_SYS_MODULE"]}}})",
       "process.capabilities: holds CAP_SYS_ADMIN and CAP_SYS_MODULE"},
      {R"({"mounts":[{"destination":"/e","type":"bind","source":"/etc","options":["rbind","ro","rw"]}]})",
       "mounts[0]: /etc is the host's /etc and profile \"restricted\" grants no host path there"},
      {R"({"linux":{"resources":{"devices":[{"allow":true,"access":"rwm"}]}}})",
       "linux.resources.devices[0]: grants access to every host device"},
      {R"({"linux":{"namespaces":[{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})",
       "linux.namespaces: no pid namespace"},
      {R"({"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})",
       "linux.namespaces[1]: joins the host's network namespace"},
      {R"({"mounts":[{"destination":"/var/run/docker.sock","type":"bind","source":"/var/run/docker.sock","options":["rbind"]}]})",
       "mounts[0]: bind mount of /var/run/docker.sock exposes a container engine's API socket"},
      {R"({"mounts":[{"destination":"/host-run","source":"/var/run","options":["rbind","ro"]}]})",
       "mounts[0]: bind mount of /var/run exposes"},
      {R"({"mounts":[{"destination":"/x","type":"bind","source":"/srv/elsewhere/podman.sock"}]})",
       "exposes a container engine's API socket"},
      {R"({"mounts":[{"destination":"/host","type":"bind","source":"/","options":["rbind","rw"]}]})",
       "mounts[0]: / is the host's / and profile \"restricted\" grants no host path there"},
      {R"({"mounts":[{"destination":"/e","type":"bind","source":"/etc/../etc/","options":["bind"]}]})",
       "mounts[0]: /etc/../etc/ is the host's /etc and"},
      {R"({"mounts":[{"destination":"/p","type":"bind","source":"/proc"}]})",
       "mounts[0]: /proc is the host's /proc (proc filesystem) and"},
      {R"({"mounts":[{"destination":"/e","type":"bind","source":"/etc/shadow","options":["rbind","ro"]}]})",
       "mounts[0]: /etc/shadow is the host's /etc/shadow and"},
      {R"({"mounts":[{"destination":"/k","type":"bind","source":"/proc/sys/kernel"}]})",
       "is the host's /proc/sys/kernel (proc filesystem)"},
      {R"({"mounts":[{"destination":"/c","type":"bind","source":"/sys/fs/cgroup","options":["rbind"]}]})",
       "mounts[0]: /sys/fs/cgroup is the host's /sys/fs/cgroup and"},
      {R"({"mounts":[{"destination":"/b","type":"bind","source":"/usr/local/bin"}]})",
       "mounts[0]: /usr/local/bin is the host's /usr/local/bin and"},
      {R"({"mounts":[{"destination":"/d","type":"ext4","source":"/dev/vda"}]})",
       "mounts[0]: a \"ext4\" mount of \"/dev/vda\" reaches host data moat does not judge"},
      {R"({"mounts":[{"destination":"/o","type":"overlay","source":"overlay","options":["lowerdir=/etc"]}]})",
       "mounts[0]: a \"overlay\" mount"},
  }));
  Value config = Config();
  auto patch = Parse(edit);
  REQUIRE(patch.ok());
  // Shallow-merge the patch into the fixture at the second level.
  for (const auto& [key, val] : patch->members()) {
    if (key == "mounts") {
      config.Set("mounts", val);
      continue;
    }
    for (const auto& [k2, v2] : val.members()) {
      if (k2 == "capabilities") {
        config.Child(key).Set(k2, v2);
      } else {
        config.Child(key).Set(k2, v2);
      }
    }
  }
  auto out = HardenConfig(&config, Load("restricted"), host);
  REQUIRE(out.ok());
  CHECK(Mentions(out->denials, fragment));
}

TEST_CASE("harden: allowed shapes are not denied") {
  FakeHost host;
  Value config = Config();
  auto extra = Parse(
      R"([{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind"]},{"destination":"/t","type":"tmpfs","source":"tmpfs"}])");
  REQUIRE(extra.ok());
  config.Set("mounts", *extra);
  Value& ns = config.Child("linux").Child("namespaces");
  ns.items()[1].Set("path", Value::String("/var/run/docker/netns/abc"));
  Profile p = Load("restricted");
  Profile grants;
  grants.host_paths.push_back({"/srv/data", true});
  moat::launcher::Widen(&p, grants);
  auto out = HardenConfig(&config, p, host);
  REQUIRE(out.ok());
  CHECK(out->denials.empty());
}

TEST_CASE("harden: deny rules can be turned off by the profile") {
  FakeHost host;
  auto p =
      ParseProfile(R"({"deny":{"engine_sockets":false,"host_paths":false},"seccomp":"unconfined"})",
                   "open", "o");
  REQUIRE(p.ok());
  Value config = Config();
  auto m = Parse(R"([{"destination":"/s","type":"bind","source":"/run/docker.sock"}])");
  REQUIRE(m.ok());
  config.Set("mounts", *m);
  auto out = HardenConfig(&config, *p, host);
  REQUIRE(out.ok());
  CHECK(out->denials.empty());
}

TEST_CASE("harden: malformed fields are errors with their path") {
  FakeHost host;
  auto [edit, fragment] = GENERATE(table<std::string, std::string>({
      {R"({"process":{"user":{"uid":"root"},"args":["sh"]}})", "process.user.uid: expected number"},
      {R"({"process":{"user":{"uid":-1},"args":["sh"]}})", "process.user.uid: -1 is out of range"},
      {R"({"process":{"capabilities":{"bounding":["CAP_KILL","CAP_FOO"]}}})",
       "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\""},
      {R"({"process":{"capabilities":{"effective":"CAP_KILL"}}})",
       "process.capabilities.effective: expected array"},
      {R"({"process":"sh"})", "process: expected object"},
      {R"({"mounts":{"a":1}})", "mounts: expected array"},
      {R"({"linux":{"namespaces":[{"path":"/x"}]}})", "linux.namespaces[0].type: missing"},
  }));
  auto v = Parse(edit);
  REQUIRE(v.ok());
  Value config = Config();
  for (const auto& [k, val] : v->members()) config.Set(k, val);
  auto out = HardenConfig(&config, Load("restricted"), host);
  REQUIRE_FALSE(out.ok());
  CHECK_THAT(out.error().message, Catch::Contains(fragment));
}

TEST_CASE("harden: a docker exec process is fitted to the profile") {
  // What Docker 20.10 sends for `docker exec` (and `--privileged` adds every capability).
  auto proc = Parse(R"({"user":{"uid":0,"gid":0},"args":["id"],"env":["PATH=/bin"],"cwd":"/",
    "capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"],
    "effective":["CAP_CHOWN","CAP_NET_RAW"],"permitted":["CAP_CHOWN","CAP_NET_RAW"]},"noNewPrivileges":false})");
  REQUIRE(proc.ok());
  SECTION("restricted reduces") {
    Value p = *proc;
    auto out = HardenExecProcess(&p, Load("restricted"), nullptr);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(Serialize(*p.Find("user")) == R"({"uid":65534,"gid":65534})");
    CHECK(Serialize(*p.Find("capabilities")->Find("bounding")) == "[]");
    CHECK(Serialize(*p.Find("capabilities")->Find("effective")) == "[]");
    CHECK(p.Find("noNewPrivileges")->bool_value());
    CHECK(Serialize(*p.Find("args")) == R"(["id"])");
  }
  SECTION("baseline keeps its ceiling, and the container's bounding set caps it further") {
    Value p = *proc;
    moat::launcher::CapSet ceiling = {CAP_CHOWN, CAP_KILL};
    auto out = HardenExecProcess(&p, Load("baseline"), &ceiling);
    REQUIRE(out.ok());
    CHECK(Serialize(*p.Find("capabilities")->Find("bounding")) == R"(["CAP_CHOWN","CAP_KILL"])");
    CHECK(Serialize(*p.Find("capabilities")->Find("effective")) == R"(["CAP_CHOWN"])");
    CHECK(Serialize(*p.Find("user")) == R"({"uid":0,"gid":0})");  // baseline allows root
  }
  SECTION("exec: refuse turns reductions into denials") {
    auto prof =
        ParseProfile(R"({"user":{"root":"remap"},"capabilities":{"drop":["ALL"]},"exec":"refuse"})",
                     "strict", "strict.json");
    REQUIRE(prof.ok());
    Value p = *proc;
    auto out = HardenExecProcess(&p, *prof, nullptr);
    REQUIRE(out.ok());
    CHECK(Mentions(out->denials, "process.user: runs as uid 0"));
    CHECK(Mentions(out->denials, "process.capabilities.bounding: asks for CAP_CHOWN"));
  }
}

TEST_CASE("harden: Docker 20.10's config.json for `docker run busybox`") {
  FakeHost host;
  moat::launcher::HardenOptions docker;
  docker.engine_roots = moat::shim::EngineRoots(
      moat::shim::Config{}, "0eaceead742c61170d6f1c806b3a82a950677c2fa6912984c4650e1e3dc679d3");
  SECTION("restricted") {
    Value config = Config("config/docker-20.10-run.json");
    Value before = config;
    auto out = HardenConfig(&config, Load("restricted"), host, docker);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(Serialize(Get(config, {"process", "user"})) ==
          R"({"uid":65534,"gid":65534,"additionalGids":[]})");
    CHECK(Serialize(Get(config, {"process", "capabilities", "bounding"})) == "[]");
    CHECK(Get(config, {"root", "readonly"}).bool_value());
    CHECK(Mentions(out->changes, "additional gid 0 removed"));
    // Docker's own mounts and settings are untouched.
    CHECK(Serialize(Get(config, {"linux", "maskedPaths"})) ==
          Serialize(Get(before, {"linux", "maskedPaths"})));
    CHECK(Serialize(Get(config, {"hooks"})) == Serialize(Get(before, {"hooks"})));
    // Docker's own seccomp filter (which allows ptrace on kernels >= 4.8) is
    // replaced by the profile's.
    REQUIRE(Get(before, {"linux", "seccomp", "defaultAction"}).is_string());
    CHECK(Serialize(Get(config, {"linux", "seccomp"})) !=
          Serialize(Get(before, {"linux", "seccomp"})));
    CHECK_THAT(Serialize(Get(before, {"linux", "seccomp"})), Catch::Contains(R"("ptrace")"));
    CHECK_THAT(Serialize(Get(config, {"linux", "seccomp"})), !Catch::Contains(R"("ptrace")"));
    CHECK(Mentions(out->changes, "linux.seccomp: replaced by seccomp/default.json ("));
    CHECK(config.Find("mounts")->items().size() == before.Find("mounts")->items().size() + 1);
  }
  SECTION("baseline drops only NET_RAW and keeps the user") {
    Value config = Config("config/docker-20.10-run.json");
    auto out = HardenConfig(&config, Load("baseline"), host, docker);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(out->bounding.size() == 13);
    CHECK(out->bounding.count(CAP_NET_RAW) == 0);
    CHECK(Get(config, {"process", "user", "uid"}).text() == "0");
    CHECK(Mentions(out->changes, "process.capabilities.bounding: dropped CAP_NET_RAW"));
    // Docker sends three cap sets; + noNewPrivileges and the seccomp filter.
    CHECK(out->changes.size() == 5);
    // baseline's own runtime-default filter replaces Docker's.
    CHECK(Mentions(out->changes, "linux.seccomp: replaced by seccomp/runtime-default.json ("));
    CHECK(Get(config, {"linux", "seccomp", "defaultAction"}).text() == "SCMP_ACT_ERRNO");
  }
  SECTION("the exec process Docker sends is reduced to the container's ceiling") {
    Value proc = Config("config/docker-20.10-exec-process.json");
    moat::launcher::CapSet ceiling;
    auto out = HardenExecProcess(&proc, Load("restricted"), &ceiling);
    REQUIRE(out.ok());
    CHECK(out->denials.empty());
    CHECK(Serialize(*proc.Find("user")) == R"({"uid":65534,"gid":65534,"additionalGids":[]})");
    CHECK(Serialize(*proc.Find("capabilities")->Find("permitted")) == "[]");
  }
}
