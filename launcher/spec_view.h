// A typed read of the parts of config.json the deny rules judge (mounts,
// namespaces, the capabilities held), with the field path of each part for
// messages. The JSON document
// itself stays what is rewritten, so fields moat does not read survive.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"

namespace moat::launcher {

/// One entry of config.json's `mounts`.
struct MountView {
  size_t index = 0;
  std::string field;  // "mounts[3]"
  std::string type;   // "" when absent
  std::string source;
  std::string destination;
  std::vector<std::string> options;
  bool bind = false;      // type "bind" or a "bind"/"rbind" option
  bool readonly = false;  // runc applies options in order: the last of "ro" and "rw" wins
};

/// Reads config.json's `mounts` (absent or null: none). Errors name the field.
Result<std::vector<MountView>> ReadMounts(const json::Value& config);

/// One entry of config.json's `linux.namespaces`.
struct NamespaceView {
  std::string field;  // "linux.namespaces[2]"
  std::string type;   // "pid", "network", ...
  std::string path;   // "" when the container gets a new one
};

/// Reads `linux.namespaces` (absent or null: none); every entry needs a type.
Result<std::vector<NamespaceView>> ReadNamespaces(const json::Value& config);

/// Every capability in any of process.capabilities' five sets: for a root
/// process, inheritable capabilities outside the bounding set survive execve,
/// so a rule about what the container may hold counts them all.
Result<CapSet> ReadHeldCapabilities(const json::Value& config);

}  // namespace moat::launcher
