// Bind sources judged as host objects under a profile's host_paths grants
// and the engines' own directories (shim::EngineRoots), on the recorded
// mount table tests/fixtures/mountinfo/docker-host.
#include <catch2/catch.hpp>

#include "launcher/harden.h"
#include "shim/config.h"
#include "tests/unit/launcher/test_host.h"

using moat::json::Parse;
using moat::json::Value;
using moat::launcher::HardenConfig;
using moat::launcher::HardenOptions;
using moat::launcher::Profile;

namespace {

const char* const kId = "c0ffee";

Value WithMounts(const std::string& mounts) {
  auto v = Parse(moat::testing::ReadFixture("config/runc-spec.json"));
  REQUIRE(v.ok());
  auto m = Parse(mounts);
  REQUIRE(m.ok());
  v->Set("mounts", *m);
  return *v;
}

HardenOptions Engines() {
  HardenOptions o;
  o.engine_roots = moat::shim::EngineRoots(moat::shim::Config{}, kId);
  return o;
}

Profile Restricted(bool grant_srv = false, bool writable = false) {
  Profile p = moat::testing::LoadSourceProfile("restricted");
  if (grant_srv) {
    Profile g;
    g.host_paths.push_back({"/srv/data", writable});
    moat::launcher::Widen(&p, g);
  }
  return p;
}

std::string Bind(const std::string& source, bool ro = false) {
  return R"({"destination":"/m","type":"bind","source":")" + source + R"(","options":["rbind")" +
         (ro ? R"(,"ro"])" : "]") + "}";
}

std::vector<std::string> Denials(const std::string& mount, const Profile& p,
                                 moat::testing::FakeHost* host = nullptr) {
  moat::testing::FakeHost local;
  Value config = WithMounts("[" + mount + "]");
  auto out = HardenConfig(&config, p, host != nullptr ? *host : local, Engines());
  REQUIRE(out.ok());
  return out->denials;
}

}  // namespace

TEST_CASE("host paths: what the engines make for the container passes", "[hostobj]") {
  const Profile p = Restricted();
  for (const std::string src : {
           "/var/lib/docker/containers/c0ffee/resolv.conf",
           "/var/lib/docker/containers/c0ffee/mounts/shm",
           "/var/lib/docker/volumes/myvol/_data",
           "/var/lib/kubelet/pods/0f1e/volumes/kubernetes.io~secret/token",
           "/var/lib/kubelet/pods/0f1e/etc-hosts",
           "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5b/hostname",
           "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/5b/resolv.conf",
           "/var/lib/containers/storage/overlay-containers/c0ffee/userdata/hosts",
           "/run/containers/storage/overlay-containers/c0ffee/userdata/resolv.conf",
           "/var/lib/containers/storage/vfs-containers/c0ffee/userdata/shm",
           "/run/containers/storage/btrfs-containers/c0ffee/userdata/hostname",
       }) {
    INFO(src);
    CHECK(Denials(Bind(src), p).empty());
  }
}

TEST_CASE("host paths: everything else is judged by the object and named", "[hostobj]") {
  const Profile p = Restricted();
  auto [mount, denial] = GENERATE(table<std::string, std::string>({
      {Bind("/var/lib/docker/volumes/etcvol/_data"),
       "mounts[0]: /var/lib/docker/volumes/etcvol/_data is the host's /etc (a bind made outside "
       "the container) and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes/procvol/_data", true),
       "mounts[0]: /var/lib/docker/volumes/procvol/_data is the host's /proc/sys (a bind made "
       "outside the container) and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes/devvol/_data"),
       "mounts[0]: /var/lib/docker/volumes/devvol/_data is the host's /dev (a bind made outside "
       "the container) and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes/runvol/_data"),
       "mounts[0]: /var/lib/docker/volumes/runvol/_data is the host's /run (a bind made outside "
       "the container) and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes/shmvol/_data"),
       "mounts[0]: /var/lib/docker/volumes/shmvol/_data is the host's /dev/shm (a bind made "
       "outside the container) and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes/ovl/_data", true),
       "mounts[0]: /var/lib/docker/volumes/ovl/_data is the host's "
       "/var/lib/docker/volumes/ovl/_data (overlay filesystem of lowerdir=/etc:/usr/local/bin) "
       "and profile \"restricted\" grants no host path there"},
      {Bind("/var/lib/docker/volumes"),
       "mounts[0]: /var/lib/docker/volumes is the host's /var/lib/docker/volumes and profile"},
      {Bind("/var/lib/docker/volumes/metadata.db"),
       "mounts[0]: /var/lib/docker/volumes/metadata.db is the host's"},
      {Bind("/var/lib/docker/containers/other/hosts"),
       "mounts[0]: /var/lib/docker/containers/other/hosts is the host's "
       "/var/lib/docker/containers/other/hosts and"},
      {Bind("/var/lib/docker"), "mounts[0]: /var/lib/docker is the host's /var/lib/docker and"},
      {Bind("/var/lib/containers/storage/overlay-containers/other/userdata/hosts"),
       "mounts[0]: /var/lib/containers/storage/overlay-containers/other/userdata/hosts is the "
       "host's"},
      {Bind("/var/lib/containers/storage/-containers/c0ffee/userdata"),
       "mounts[0]: /var/lib/containers/storage/-containers/c0ffee/userdata is the host's"},
      {Bind("/var/lib/containers/storage/overlay-layers/c0ffee/userdata"),
       "mounts[0]: /var/lib/containers/storage/overlay-layers/c0ffee/userdata is the host's"},
      {Bind("/root", true), "mounts[0]: /root is the host's /root and"},
      {Bind("/srv/www/root"), "mounts[0]: /srv/www/root is the host's /root (a bind made outside"},
      {Bind("/etc/cron.d"), "mounts[0]: /etc/cron.d is the host's /etc/cron.d and"},
      {Bind("/srv/data"), "mounts[0]: /srv/data is the host's /srv/data and profile"},
  }));
  auto d = Denials(mount, p);
  INFO(mount);
  // A volume of the host's /run holds /run/docker.sock: that denial comes first.
  const bool run = mount.find("/runvol/") != std::string::npos;
  REQUIRE(d.size() == (run ? 2u : 1u));
  if (run) CHECK_THAT(d[0], Catch::EndsWith("exposes a container engine's API socket"));
  CHECK_THAT(d.back(), Catch::StartsWith(denial));
}

TEST_CASE("host paths: a volume is judged by where its data lies, not where it is mounted",
          "[hostobj]") {
  const Profile p = Restricted();
  // Another volume's data bound as this volume's: still volumes/*/_data.
  CHECK(Denials(Bind("/var/lib/docker/volumes/twin/_data"), p).empty());
  CHECK(Denials(Bind("/var/lib/docker/volumes/twin/_data/sub", true), p).empty());
  // The whole volumes directory (every volume, the metadata store) or one
  // volume's directory, bound at volumes/v/_data: the path fits, the object does not.
  auto [source, denial] = GENERATE(table<std::string, std::string>({
      {"/var/lib/docker/volumes/allvol/_data",
       "mounts[0]: /var/lib/docker/volumes/allvol/_data is the host's /var/lib/docker/volumes (a "
       "bind made outside the container) and profile \"restricted\" grants no host path there"},
      {"/var/lib/docker/volumes/allvol/_data/metadata.db",
       "mounts[0]: /var/lib/docker/volumes/allvol/_data/metadata.db is the host's "
       "/var/lib/docker/volumes/metadata.db (a bind made outside the container)"},
      {"/var/lib/docker/volumes/upvol/_data",
       "mounts[0]: /var/lib/docker/volumes/upvol/_data is the host's "
       "/var/lib/docker/volumes/myvol (a bind made outside the container)"},
  }));
  auto d = Denials(Bind(source, true), p);
  INFO(source);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0], Catch::StartsWith(denial));
}

TEST_CASE("host paths: a profile grant allows that object, read-only unless writable",
          "[hostobj]") {
  CHECK(Denials(Bind("/srv/data/x", true), Restricted(true)).empty());
  CHECK(Denials(Bind("/srv-data/x", true), Restricted(true)).empty());  // the same directory
  auto rw = Denials(Bind("/srv/data/x"), Restricted(true));
  REQUIRE(rw.size() == 1);
  CHECK_THAT(rw[0], Catch::EndsWith("grants it read-only only"));
  CHECK(Denials(Bind("/srv/data/x"), Restricted(true, true)).empty());
  CHECK(Denials(Bind("/srv/database", true), Restricted(true)).size() == 1);
  CHECK(Denials(Bind("/srv", true), Restricted(true)).size() == 1);
}

TEST_CASE("host paths: a source that cannot be resolved is refused", "[hostobj]") {
  moat::testing::FakeHost host;
  host.missing = {"/srv/data/gone"};
  auto d = Denials(Bind("/srv/data/gone", true), Restricted(true), &host);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0], Catch::StartsWith("mounts[0]: bind source /srv/data/gone is no host object"));
}

TEST_CASE("host paths: the source runc mounts is the resolved object", "[hostobj]") {
  moat::testing::FakeHost host;  // resolves /var/run to /run
  Value config = WithMounts(
      "[" + Bind("/var/run/containerd/io.containerd.grpc.v1.cri/sandboxes/5b/hosts") + "]");
  auto out = HardenConfig(&config, Restricted(), host, Engines());
  REQUIRE(out.ok());
  CHECK(out->denials.empty());
  CHECK(config.Find("mounts")->items()[0].Find("source")->text() ==
        "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/5b/hosts");
}

TEST_CASE("host paths: deny.host_paths false judges no bind source", "[hostobj]") {
  auto p = moat::launcher::ParseProfile(R"({"deny":{"host_paths":false},"seccomp":"unconfined"})",
                                        "open", "o");
  REQUIRE(p.ok());
  CHECK(Denials(Bind("/var/lib/docker/volumes/etcvol/_data"), *p).empty());
}

TEST_CASE("host paths: the profile key", "[hostobj]") {
  auto ok = moat::launcher::ParseProfile(
      R"({"host_paths":[{"path":"/srv/data","writable":true},{"path":"/opt"}]})", "p", "p.json");
  REQUIRE(ok.ok());
  REQUIRE(ok->host_paths.size() == 2);
  CHECK(ok->host_paths[0].writable);
  CHECK_FALSE(ok->host_paths[1].writable);
  auto [text, err] = GENERATE(table<std::string, std::string>({
      {R"({"host_paths":{"path":"/x"}})", "p.json: host_paths: expected array"},
      {R"({"host_paths":[{"path":"x"}]})",
       "p.json: host_paths[0].path: \"x\" is not a clean absolute path"},
      {R"({"host_paths":[{"path":"/a/../etc"}]})",
       "p.json: host_paths[0].path: \"/a/../etc\" is not a clean absolute path"},
      {R"({"host_paths":[{}]})", "p.json: host_paths[0].path: missing"},
      {R"({"host_paths":[{"path":"/x","rw":true}]})", "p.json: host_paths[0].rw: unknown key"},
  }));
  auto bad = moat::launcher::ParseProfile(text, "p", "p.json");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::StartsWith(err));
}
