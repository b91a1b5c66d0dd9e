// moat's own per-container state under state_dir: which profile a container
// was created under and the capability ceiling it got, for later exec and
// update calls.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "launcher/caps.h"

namespace moat::shim {

struct ContainerState {
  std::string profile;
  launcher::CapSet bounding;
};

/// runc's rule for container ids (letters, digits, _ + - .), without "." and "..".
bool ValidContainerId(const std::string& id);

Status SaveContainerState(const std::string& state_dir, const std::string& id,
                          const ContainerState& s);
/// nullopt when moat has no record of the container.
Result<std::optional<ContainerState>> LoadContainerState(const std::string& state_dir,
                                                         const std::string& id);
void RemoveContainerState(const std::string& state_dir, const std::string& id);

/// True if the runtime whose state root is `root` has a container `id`
/// (runc's <root>/<id>/state.json, crun's <root>/<id>/status).
bool RuntimeHasContainer(const std::string& root, const std::string& id);

}  // namespace moat::shim
