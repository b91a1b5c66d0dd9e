// config.json as moat-runtime reads and rewrites it (shim/bundle.h
// ParseBundleConfig, launcher/harden.h HardenConfig), under several profiles:
//  - a rewrite that succeeds serialises to text that parses back to the
//    same document;
//  - hardening is idempotent: the rewritten config, hardened again, changes
//    nothing and serialises to the same bytes;
//  - the process object, fitted as an exec'd process (HardenExecProcess),
//    is idempotent too (reduce) and does not crash (refuse).
// The host is described, not asked (no /proc, no realpath).
#include <string>
#include <vector>

#include "base/json.h"
#include "launcher/harden.h"
#include "launcher/host.h"
#include "launcher/profile.h"
#include "shim/bundle.h"
#include "tests/fuzz/fuzz.h"

namespace {

using moat::json::Serialize;
using moat::json::Value;
using moat::launcher::Profile;

class FuzzHost : public moat::launcher::HostView {
 public:
  bool IsHostNamespace(const std::string&, const std::string& path) const override {
    return path.rfind("/proc/1/ns/", 0) == 0;
  }
  std::string RealPath(const std::string& path) const override {
    if (path.rfind("/var/run/", 0) == 0) return "/run/" + path.substr(9);
    return moat::launcher::CleanPath(path);
  }
  std::vector<std::string> EngineSockets() const override {
    return {"/run/docker.sock", "/run/containerd/containerd.sock"};
  }
  moat::Result<moat::launcher::HostObject> Resolve(const std::string& path) const override {
    if (path.empty() || path[0] != '/') return moat::Error{path + ": not absolute"};
    return moat::launcher::LocateByTable(RealPath(path), Mounts());
  }
  const std::vector<moat::MountEntry>& Mounts() const override {
    static const std::vector<moat::MountEntry> mounts =
        moat::ParseMountInfo(
            "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
            "22 27 0:21 / /proc rw - proc proc rw\n"
            "23 27 0:22 / /sys rw - sysfs sysfs rw\n"
            "50 27 254:0 /etc /var/lib/docker/volumes/v/_data rw - ext4 /dev/vda rw\n",
            "fuzz")
            .value();
    return mounts;
  }
  // Both LSMs enforced, so that their checks see fuzzed labels.
  moat::launcher::HostLsm Lsm() const override { return {true, true}; }
  std::string AppArmorMode(const std::string& name) const override {
    return name == "complaining" ? "complain" : "enforce";
  }
};

// The shipped profiles' shapes, and one that uses every other knob.
const char* const kProfiles[] = {
    R"({"user": {"root": "remap", "uid": 65534, "gid": 65534},
        "capabilities": {"drop": ["ALL"]}, "no_new_privileges": true, "readonly_rootfs": true,
        "tmpfs": [{"path": "/tmp", "options": ["nosuid", "nodev", "noexec", "mode=1777"]}],
        "pids_limit": 1024, "exec": "reduce"})",
    R"({"user": {"root": "allow"},
        "capabilities": {"allow": ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "SETGID",
                                   "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
                                   "SYS_CHROOT", "KILL", "AUDIT_WRITE"]},
        "no_new_privileges": true, "readonly_rootfs": false})",
    R"({"user": {"root": "refuse"},
        "capabilities": {"drop": ["NET_RAW", "SYS_ADMIN"], "add": ["CHOWN"],
                         "allow": ["CHOWN", "KILL", "NET_BIND_SERVICE"]},
        "no_new_privileges": false, "readonly_rootfs": true,
        "tmpfs": [{"path": "/run"}, {"path": "/tmp/./b//"}], "pids_limit": 1,
        "deny": {"cgroup_namespace": true, "privileged": false}, "exec": "refuse",
        "devices": [{"type": "b", "major": 8, "minor": "*", "access": "r"}]})",
};

const std::vector<Profile>& Profiles() {
  static const std::vector<Profile> profiles = [] {
    std::vector<Profile> out;
    for (const char* text : kProfiles) {
      auto p = moat::launcher::ParseProfile(text, "fuzz", "fuzz.json");
      if (!p.ok()) FUZZ_FAIL("built-in profile", p.error().message);
      out.push_back(std::move(p.value()));
    }
    return out;
  }();
  return profiles;
}

void Harden(const Value& original, const Profile& profile, const FuzzHost& host) {
  Value config = original;
  auto out = moat::launcher::HardenConfig(&config, profile, host);
  if (!out.ok()) return;
  const std::string text = Serialize(config);
  auto again = moat::shim::ParseBundleConfig(text, "rewritten");
  if (!again.ok()) FUZZ_FAIL("rewritten config.json does not parse", again.error().message);
  FUZZ_CHECK(*again == config);
  auto second = moat::launcher::HardenConfig(&again.value(), profile, host);
  if (!second.ok()) FUZZ_FAIL("hardening the rewrite failed", second.error().message);
  if (!second->changes.empty()) FUZZ_FAIL("hardening is not idempotent", second->changes[0]);
  FUZZ_CHECK(Serialize(*again) == text);
  FUZZ_CHECK(second->bounding == out->bounding);
  FUZZ_CHECK(second->uid == out->uid && second->gid == out->gid);
}

void FitExec(const Value& config, const Profile& profile) {
  const Value* process = config.Find("process");
  if (process == nullptr) return;
  Value p = *process;
  moat::launcher::CapSet ceiling = {0, 1};
  auto out = moat::launcher::HardenExecProcess(&p, profile, &ceiling);
  if (!out.ok()) return;
  Value q = p;
  auto second = moat::launcher::HardenExecProcess(&q, profile, &ceiling);
  if (!second.ok()) FUZZ_FAIL("fitting the fitted process failed", second.error().message);
  if (profile.exec == moat::launcher::ExecPolicy::kReduce && !second->changes.empty()) {
    FUZZ_FAIL("fitting an exec'd process is not idempotent", second->changes[0]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = moat::shim::ParseBundleConfig(moat::fuzz::Text(data, size), "config.json");
  if (!config.ok()) return 0;
  static const FuzzHost host;
  for (const Profile& p : Profiles()) {
    Harden(*config, p, host);
    FitExec(*config, p);
  }
  return 0;
}
