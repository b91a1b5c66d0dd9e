// Bind sources judged on a mount table recorded in this VM
// (tests/fixtures/mountinfo/docker-volumes-vm): a private dockerd with its
// data root at D/root (itself a bind, as dockerd makes it) holding a
// container's overlay root and local volumes made with `docker volume
// create -o type=...`: binds of /etc, /etc/cron.d and dockerd's own
// directory (the socket's), a fresh proc, the host's sysfs, a tmpfs, the
// pids cgroup hierarchy, and a plain volume; the host is cgroup v1 (hybrid)
// with stacked /dev/pts and /dev/shm. integration/attack_test.sh makes the
// same volumes for real.
#include <catch2/catch.hpp>

#include "launcher/harden.h"
#include "shim/config.h"
#include "tests/unit/launcher/test_host.h"

using moat::json::Parse;
using moat::json::Value;
using moat::launcher::HardenConfig;
using moat::launcher::HardenOptions;

namespace {

moat::launcher::Profile LoadProfile(const std::string& name) {
  if (name != "sockets-only") return moat::testing::LoadSourceProfile(name);
  auto p = moat::launcher::ParseProfile(
      R"({"seccomp":"unconfined","deny":{"host_paths":false,"engine_sockets":true}})", name,
      name + ".json");
  REQUIRE(p.ok());
  return *p;
}

const std::string kD = "/var/lib/moat-test/attack.1/d-attack";
const std::string kId = "f5edf383ac645fe199c02c9e29662d38182e94ba9acdd70f4951cd96bf50a7ab";
const std::string kLayer = "c0653de919795871f9afec34a01720c11bb3e2f4cef6ed87e6e00599308068e5";

std::vector<std::string> Denials(const std::string& source, bool ro,
                                 const std::string& profile = "restricted") {
  moat::testing::FakeHost host;
  host.mountinfo = moat::testing::ReadFixture("mountinfo/docker-volumes-vm");
  host.sockets = {kD + "/docker.sock"};
  auto v = Parse(moat::testing::ReadFixture("config/runc-spec.json"));
  REQUIRE(v.ok());
  auto m = Parse(R"([{"destination":"/m","type":"bind","source":")" + source +
                 R"(","options":["rbind")" + (ro ? R"(,"ro"])" : "]") + "}]");
  REQUIRE(m.ok());
  v->Set("mounts", *m);
  moat::shim::Config c;
  c.docker_root = kD + "/root";
  HardenOptions o;
  o.engine_roots = moat::shim::EngineRoots(c, kId);
  auto out = HardenConfig(&v.value(), LoadProfile(profile), host, o);
  REQUIRE(out.ok());
  return out->denials;
}

}  // namespace

TEST_CASE("recorded host: the engine's own directories pass", "[hostobj]") {
  for (const std::string& src : {
           kD + "/root/volumes/plain/_data",           // a plain volume
           kD + "/root/volumes/plain/_data/sub/file",  // a subdirectory of it
           kD + "/root/volumes/tmpvol/_data",          // a tmpfs volume, mounted only there
           kD + "/root/containers/" + kId + "/hosts",  // this container's own files
       }) {
    INFO(src);
    CHECK(Denials(src, false).empty());
  }
}

TEST_CASE("recorded host: each object named for what it is", "[hostobj]") {
  const std::string tail = " and profile \"restricted\" grants no host path there";
  auto [source, what] = GENERATE_REF(table<std::string, std::string>({
      {kD + "/root/volumes/etcvol/_data", "the host's /etc (a bind made outside the container)"},
      {kD + "/root/volumes/etcvol/_data/shadow",
       "the host's /etc/shadow (a bind made outside the container)"},
      {kD + "/root/volumes/cronvol/_data",
       "the host's /etc/cron.d (a bind made outside the container)"},
      {kD + "/root/volumes/procvol/_data",
       "the host's " + kD + "/root/volumes/procvol/_data (proc filesystem)"},
      {kD + "/root/volumes/sysvol/_data", "the host's /sys (a bind made outside the container)"},
      {kD + "/root/volumes/cgvol/_data",
       "the host's /sys/fs/cgroup/pids (a bind made outside the container)"},
      {kD + "/root/overlay2/" + kLayer + "/merged/etc",
       "the host's " + kD + "/root/overlay2/" + kLayer +
           "/merged/etc (overlay filesystem of lowerdir=" + kD +
           "/root/overlay2/l/HRG52ACZABAHHMQXWTSSAALLFC:" + kD +
           "/root/overlay2/l/EQ2BY5ZI63JN2GWLUBMX7USPOF, upperdir=" + kD + "/root/overlay2/" +
           kLayer + "/diff)"},
      {kD + "/root/overlay2/" + kLayer + "/diff",
       "the host's " + kD + "/root/overlay2/" + kLayer + "/diff"},
      {kD + "/root", "the host's " + kD + "/root"},
      {kD + "/root/volumes", "the host's " + kD + "/root/volumes"},
      {kD + "/root/containers/other/hosts", "the host's " + kD + "/root/containers/other/hosts"},
      {kD + "/x/netns/98bf8c936cc1",
       "the host's " + kD + "/x/netns/98bf8c936cc1 (nsfs filesystem)"},
      {"/proc/sys/kernel", "the host's /proc/sys/kernel (proc filesystem)"},
      {"/sys/fs/cgroup", "the host's /sys/fs/cgroup"},
      {"/sys/fs/cgroup/pids", "the host's /sys/fs/cgroup/pids (cgroup filesystem)"},
      {"/sys/fs/cgroup/unified", "the host's /sys/fs/cgroup/unified (cgroup2 filesystem)"},
      {"/dev/shm", "the host's /dev/shm"},
      {"/etc/shadow", "the host's /etc/shadow"},
  }));
  for (bool ro : {false, true}) {
    auto d = Denials(source, ro);
    INFO(source << (ro ? " (ro)" : ""));
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "mounts[0]: " + source + " is " + what + tail);
  }
}

TEST_CASE("recorded host: the root directory holds the engine's socket too", "[hostobj]") {
  auto d = Denials("/", true);
  REQUIRE(d.size() == 2);
  CHECK(d[0] == "mounts[0]: bind mount of / exposes a container engine's API socket");
  CHECK(d[1] ==
        "mounts[0]: / is the host's / and profile \"restricted\" grants no host path there");
}

TEST_CASE("recorded host: a volume of the socket's directory exposes the socket", "[hostobj]") {
  // Judged by object even where host paths are not (an exception that
  // grants deny.host_paths false keeps deny.engine_sockets).
  const std::string vol = kD + "/root/volumes/sockvol/_data";
  auto d = Denials(vol, true, "sockets-only");
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "mounts[0]: bind mount of " + vol + " exposes a container engine's API socket");
  CHECK(Denials(kD + "/root/volumes/etcvol/_data", true, "sockets-only").empty());
  // Under restricted, both: the socket and the directory it is.
  d = Denials(vol, true);
  REQUIRE(d.size() == 2);
  CHECK(d[1] == "mounts[0]: " + vol + " is the host's " + kD +
                    " (a bind made outside the container) and profile \"restricted\" grants no "
                    "host path there");
  CHECK(Denials(kD + "/root/volumes/plain/_data", true, "sockets-only").empty());
}
