// moat's own per-container state under state_dir: which profile a container
// was created under, by which rule and with which exceptions, and the
// capability ceiling it got, for later exec and update calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/creator.h"
#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"

namespace moat::shim {

struct ContainerState {
  std::string profile;
  launcher::CapSet bounding;
  std::string rule;                     // the rule's name, "default"; empty in older records
  std::vector<std::string> exceptions;  // names of the exceptions create applied
};

/// Records `s` for container `id`, created by `creator`. Under a lock on
/// state_dir/containers: an existing record whose creator is not gone (its
/// container exists, or its create is still running) is an error, so that of
/// two creates of one id only one record stands: the one whose runtime wins.
Status SaveContainerState(const std::string& state_dir, const std::string& id,
                          const ContainerState& s, const Creator& creator);
/// nullopt when moat has no record of the container.
Result<std::optional<ContainerState>> LoadContainerState(const std::string& state_dir,
                                                         const std::string& id);
void RemoveContainerState(const std::string& state_dir, const std::string& id);

}  // namespace moat::shim
