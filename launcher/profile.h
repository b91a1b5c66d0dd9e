// Hardening profiles: what an operator says every container must look like.
// Format: man/moat-profile.5.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"
#include "launcher/seccomp.h"
#include "launcher/secret_spec.h"
#include "launcher/spec_view.h"

namespace moat::launcher {

/// What happens to a container whose process would run as uid 0.
enum class RootPolicy { kRefuse, kRemap, kAllow };

/// What happens to an exec'd process that asks for more than the profile gives.
enum class ExecPolicy { kRefuse, kReduce };

struct TmpfsMount {
  std::string path;
  std::vector<std::string> options;
};

/// A host path a profile lets containers bind (`host_paths`): the host
/// object behind `path` and everything beneath it on the same filesystem.
struct HostPathGrant {
  std::string path;
  bool writable = false;
};

/// Devices a profile lets containers use (`devices`), beyond the set Docker
/// gives every container (DefaultDeviceRules): a type ('c' or 'b'), a major
/// and minor (DeviceNumber::kAny for any) and the access letters granted.
struct DeviceGrant {
  DeviceNumber number;
  std::string access = "rwm";
};

/// How the profile treats linux.seccomp (`seccomp`).
enum class SeccompPolicy {
  kKeepConfined,  // no key: the caller's filter stays, but none or an unconfined one is refused
  kReplace,       // a file: its filter replaces the caller's
  kUnconfined,    // "unconfined": linux.seccomp stays as the caller sent it, even none
};

struct DenyRules {
  bool privileged = true;         // full capability set, or access to every host device
  bool host_namespaces = true;    // pid/net/ipc/uts/mount missing or joined to the host's
  bool cgroup_namespace = false;  // also require a private cgroup namespace
  bool engine_sockets = true;     // bind mounts that expose docker/containerd/crio/podman sockets
  bool host_paths = true;         // bind mounts of host objects the profile does not grant
  bool devices = true;            // device nodes and cgroup rules beyond the defaults and `devices`
  bool unconfined_lsm =
      true;  // no or an unconfined AppArmor profile / SELinux type, where enforced
};

struct Profile {
  std::string name;
  std::string description;
  RootPolicy root = RootPolicy::kAllow;
  uint32_t remap_uid = 65534;
  uint32_t remap_gid = 65534;
  /// Capabilities: a set S becomes ((S - drop) ∩ allow) ∪ add, in all five sets.
  bool caps_set = false;
  CapSet drop;
  CapSet add;
  std::optional<CapSet> allow;
  std::optional<bool> no_new_privileges;
  std::optional<bool> readonly_rootfs;
  std::vector<TmpfsMount> tmpfs;
  std::optional<int64_t> pids_limit;
  DenyRules deny;
  ExecPolicy exec = ExecPolicy::kReduce;
  /// The seccomp file as written in the profile ("" for none): relative to
  /// the profiles directory, or absolute. LoadProfile reads and checks it
  /// into seccomp_file; HardenConfig refuses a profile that names one it
  /// has not got.
  std::string seccomp;
  SeccompPolicy seccomp_policy = SeccompPolicy::kKeepConfined;
  std::shared_ptr<const SeccompFile> seccomp_file;
  std::vector<SecretRef> secrets;
  /// Host objects containers may bind, beyond what the engines create for
  /// each container (HardenOptions::engine_grants).
  std::vector<HostPathGrant> host_paths;
  /// Devices containers may use beyond the defaults.
  std::vector<DeviceGrant> devices;

  /// The capability set a process may hold under this profile, starting
  /// from `requested`.
  CapSet Apply(const CapSet& requested) const;
};

/// Widens `profile` by `grants` (a profile fragment, such as an exception's):
/// its host_paths and devices are added. Nothing else in `grants` is read.
void Widen(Profile* profile, const Profile& grants);

/// Parses a profile; `file` names it in errors ("restricted.json: capabilities.drop[1]: ...").
Result<Profile> ParseProfile(const std::string& text, const std::string& name,
                             const std::string& file);

/// Loads profiles_dir/NAME.json, which must be root-owned and not group/world-writable,
/// in a directory only root can change (OpenTrustedFile), and the seccomp file
/// it names (LoadSeccompFile).
Result<Profile> LoadProfile(const std::string& profiles_dir, const std::string& name);

}  // namespace moat::launcher
