// What the deny rules need to know about the host. An interface so that
// unit tests can describe a host; HostSystem asks the real one.
#pragma once

#include <string>
#include <vector>

#include "base/mountinfo.h"
#include "base/status.h"
#include "launcher/host_object.h"

namespace moat::launcher {

/// The Linux security modules this host enforces on container processes.
struct HostLsm {
  bool apparmor = false;  // AppArmor enabled as runc tests it: runc applies process.apparmorProfile
  bool selinux = false;   // selinuxfs mounted and enforcing
};

class HostView {
 public:
  virtual ~HostView() = default;
  /// True when `path` (from config.json's linux.namespaces) is the host's
  /// namespace of OCI type `type` ("network", "pid", ...), or cannot be checked.
  virtual bool IsHostNamespace(const std::string& type, const std::string& path) const = 0;
  /// The host path with symlinks resolved, or the lexically cleaned path
  /// when it does not exist.
  virtual std::string RealPath(const std::string& path) const = 0;
  /// Paths of the container engines' API sockets present on this host.
  virtual std::vector<std::string> EngineSockets() const = 0;
  /// What `path` is on the host, resolved as runc's mount(2) will (symlinks
  /// followed) and located in the mount table; an error when it does not
  /// exist or cannot be located.
  virtual Result<HostObject> Resolve(const std::string& path) const = 0;
  /// The mount table Resolve locates paths in.
  virtual const std::vector<MountEntry>& Mounts() const = 0;
  /// Which LSMs confine processes here.
  virtual HostLsm Lsm() const = 0;
  /// The mode AppArmor holds the loaded profile `name` in ("enforce",
  /// "complain", "kill", "unconfined"); "" when it is not loaded.
  virtual std::string AppArmorMode(const std::string& name) const = 0;
};

/// The running host: /proc/1/ns, realpath(3), /proc/net/unix, statx(2) and
/// /proc/self/mountinfo (read once, on first use).
class HostSystem : public HostView {
 public:
  bool IsHostNamespace(const std::string& type, const std::string& path) const override;
  std::string RealPath(const std::string& path) const override;
  std::vector<std::string> EngineSockets() const override;
  Result<HostObject> Resolve(const std::string& path) const override;
  const std::vector<MountEntry>& Mounts() const override;
  /// AppArmor: /sys/kernel/security/apparmor exists and
  /// /sys/module/apparmor/parameters/enabled starts with "Y" (runc's test).
  /// SELinux: a selinuxfs in the mount table whose `enforce` reads "1".
  HostLsm Lsm() const override;
  /// From /sys/kernel/security/apparmor/profiles ("name (mode)" lines).
  std::string AppArmorMode(const std::string& name) const override;

 private:
  mutable bool mounts_read_ = false;
  mutable std::vector<MountEntry> mounts_;
};

/// The mode of profile `name` in the text of AppArmor's `profiles` file
/// ("docker-default (enforce)" lines); "" when it is not listed.
std::string AppArmorModeIn(const std::string& profiles, const std::string& name);

/// File names of engine API sockets, wherever they are found.
bool IsEngineSocketName(const std::string& base);

/// "/a/./b//c/../d" -> "/a/b/d" (no filesystem access).
std::string CleanPath(const std::string& path);

}  // namespace moat::launcher
