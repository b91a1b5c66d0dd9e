// What the deny rules need to know about the host. An interface so that
// unit tests can describe a host; HostSystem asks the real one.
#pragma once

#include <string>
#include <vector>

namespace moat::launcher {

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
};

/// The running host: /proc/1/ns, realpath(3), /proc/net/unix.
class HostSystem : public HostView {
 public:
  bool IsHostNamespace(const std::string& type, const std::string& path) const override;
  std::string RealPath(const std::string& path) const override;
  std::vector<std::string> EngineSockets() const override;
};

/// File names of engine API sockets, wherever they are found.
bool IsEngineSocketName(const std::string& base);

/// "/a/./b//c/../d" -> "/a/b/d" (no filesystem access).
std::string CleanPath(const std::string& path);

}  // namespace moat::launcher
