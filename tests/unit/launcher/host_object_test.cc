// Host objects located in recorded mount tables (tests/fixtures/mountinfo):
// volume binds, nested binds, binds of a subdirectory, overlay roots,
// proc/sysfs/cgroup mounts.
#include "launcher/host_object.h"

#include <catch2/catch.hpp>

#include "tests/unit/launcher/test_host.h"

using moat::MountEntry;
using moat::launcher::DescribeHostObject;
using moat::launcher::HostObject;
using moat::launcher::IsPrivateTmpfsUnder;
using moat::launcher::IsWithin;
using moat::launcher::LocateByTable;
using moat::launcher::LocateHostObject;

namespace {

std::vector<MountEntry> Table(const std::string& name = "mountinfo/docker-host") {
  auto m = moat::ParseMountInfo(moat::testing::ReadFixture(name), name);
  REQUIRE(m.ok());
  return *m;
}

HostObject At(const std::string& path, const std::vector<MountEntry>& t) {
  auto o = LocateByTable(path, t);
  INFO(path);
  REQUIRE(o.ok());
  return *o;
}

}  // namespace

TEST_CASE("host object: where a path really is", "[hostobj]") {
  const auto t = Table();
  auto [path, dev, fs, in_fs, described] =
      GENERATE(table<std::string, std::string, std::string, std::string, std::string>({
          {"/etc/passwd", "254:0", "ext4", "/etc/passwd", "the host's /etc/passwd"},
          {"/var/lib/docker/volumes/etcvol/_data", "254:0", "ext4", "/etc",
           "the host's /etc (a bind made outside the container)"},
          {"/var/lib/docker/volumes/etcvol/_data/cron.d", "254:0", "ext4", "/etc/cron.d",
           "the host's /etc/cron.d (a bind made outside the container)"},
          {"/var/lib/docker/volumes/procvol/_data/kernel", "0:21", "proc", "/sys/kernel",
           "the host's /proc/sys/kernel (a bind made outside the container)"},
          {"/proc/sys/kernel", "0:21", "proc", "/sys/kernel",
           "the host's /proc/sys/kernel (proc filesystem)"},
          {"/sys/fs/cgroup/unified", "0:38", "cgroup2", "/",
           "the host's /sys/fs/cgroup/unified (cgroup2 filesystem)"},
          {"/var/lib/docker/volumes/devvol/_data/vda", "0:6", "devtmpfs", "/vda",
           "the host's /dev/vda (a bind made outside the container)"},
          {"/srv-data/x", "254:16", "ext4", "/data/x",
           "the host's /srv/data/x (a bind made outside the container)"},
          {"/srv/www/root/.ssh", "254:0", "ext4", "/root/.ssh",
           "the host's /root/.ssh (a bind made outside the container)"},
          {"/srv/www/index.html", "254:16", "ext4", "/www/index.html",
           "the host's /srv/www/index.html"},
          {"/var/lib/docker/overlay2/abc/merged/etc", "0:51", "overlay", "/etc",
           "the host's /var/lib/docker/overlay2/abc/merged/etc (overlay filesystem of "
           "lowerdir=/var/lib/docker/overlay2/l/A:/var/lib/docker/overlay2/l/B, "
           "upperdir=/var/lib/docker/overlay2/abc/diff)"},
          {"/var/lib/docker/volumes/myvol/_data", "254:0", "ext4",
           "/var/lib/docker/volumes/myvol/_data", "the host's /var/lib/docker/volumes/myvol/_data"},
      }));
  INFO(path);
  HostObject o = At(path, t);
  CHECK(o.dev == dev);
  CHECK(o.fs_type == fs);
  CHECK(o.in_fs == in_fs);
  CHECK(DescribeHostObject(o, t) == described);
}

TEST_CASE("host object: located by the file's device and mount id", "[hostobj]") {
  const auto t = Table();
  // By device: the deepest mount of that filesystem above the path.
  auto o = LocateHostObject("/var/lib/docker/volumes/etcvol/_data/hosts", "254:0", 0, t);
  REQUIRE(o.ok());
  CHECK(o->mount_id == 61);
  CHECK(o->in_fs == "/etc/hosts");
  // A device no mount above the path has: the table changed, refuse.
  auto none = LocateHostObject("/var/lib/docker/volumes/etcvol/_data", "254:16", 0, t);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message ==
        "/var/lib/docker/volumes/etcvol/_data: not found in the mount "
        "table (filesystem 254:16)");
  // By mount id (statx STATX_MNT_ID): exactly that mount, even when hidden.
  auto hidden = LocateHostObject("/srv/www/root", "254:16", 43, t);
  REQUIRE(hidden.ok());
  CHECK(hidden->in_fs == "/www/root");
  CHECK_FALSE(LocateHostObject("/etc", "254:0", 9999, t).ok());
}

TEST_CASE("host object: within a grant means the same filesystem, beneath it", "[hostobj]") {
  const auto t = Table();
  const HostObject srv_data = At("/srv/data", t);
  CHECK(IsWithin(At("/srv/data/a/b", t), srv_data));
  CHECK(IsWithin(At("/srv-data/a", t), srv_data));  // another path to the same directory
  CHECK_FALSE(IsWithin(At("/srv/database", t), srv_data));
  CHECK_FALSE(IsWithin(At("/srv", t), srv_data));
  const HostObject volumes = At("/var/lib/docker/volumes", t);
  CHECK(IsWithin(At("/var/lib/docker/volumes/myvol/_data", t), volumes));
  CHECK_FALSE(IsWithin(At("/var/lib/docker/volumes/etcvol/_data", t), volumes));
  CHECK_FALSE(IsWithin(At("/var/lib/docker/volumes/procvol/_data", t), volumes));
  CHECK_FALSE(IsWithin(At("/var/lib/docker/volumes/runvol/_data", t), volumes));
}

TEST_CASE("host object: private tmpfs an engine mounted", "[hostobj]") {
  const auto t = Table();
  CHECK(IsPrivateTmpfsUnder(At("/var/lib/docker/containers/c0ffee/mounts/shm", t),
                            "/var/lib/docker/containers/c0ffee", t));
  CHECK(IsPrivateTmpfsUnder(At("/var/lib/kubelet/pods/0f1e/volumes/kubernetes.io~secret/token", t),
                            "/var/lib/kubelet/pods", t));
  // The host's /dev/shm and /run, bound into a volume: mounted elsewhere too.
  CHECK_FALSE(IsPrivateTmpfsUnder(At("/var/lib/docker/volumes/shmvol/_data", t),
                                  "/var/lib/docker/volumes", t));
  CHECK_FALSE(IsPrivateTmpfsUnder(At("/var/lib/docker/volumes/runvol/_data", t),
                                  "/var/lib/docker/volumes", t));
  CHECK_FALSE(IsPrivateTmpfsUnder(At("/var/lib/docker/containers/c0ffee/mounts/shm", t),
                                  "/var/lib/docker/containers/other", t));
}
