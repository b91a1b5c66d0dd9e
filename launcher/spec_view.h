// A typed read of the parts of config.json the mount rules judge, built
// once, with the field path of each part for messages. The JSON document
// itself stays what is rewritten, so fields moat does not read survive.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

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

}  // namespace moat::launcher
