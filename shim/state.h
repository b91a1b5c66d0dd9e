// moat's own per-container state under state_dir: which profile a container
// was created under and the capability ceiling it got, for later exec and
// update calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"

namespace moat::shim {

struct ContainerState {
  std::string profile;
  launcher::CapSet bounding;
};

/// Who is creating a container: the runtime's state root and the creating
/// process (moat-runtime, then the runtime it execs in the same pid) with its
/// start time, so that a record moat keeps for the container tells a create
/// in progress from one that died.
struct Creator {
  std::string root;
  int64_t pid = 0;
  std::string start;  // /proc/<pid>/stat field 22
};

/// This process, creating into runtime root `root`.
Result<Creator> ThisCreator(const std::string& root);
/// The creator's members ("root", "pid", "start") set in / read from a
/// record object; `display` names the record in errors.
void SetCreator(const Creator& c, json::Value* record);
Result<Creator> GetCreator(const json::Value& record, const std::string& display);
/// True when neither container `id` (under c.root) nor the process that
/// created it exists any more.
bool CreatorGone(const Creator& c, const std::string& id);

/// One of moat's JSON records: `name` in directory `dirfd`, a regular file
/// (no symbolic link) of at most `max_bytes`, parsed; errors name
/// `display`, and one with err ENOENT says it is not there.
Result<json::Value> ReadRecordAt(int dirfd, const std::string& name, const std::string& display,
                                 size_t max_bytes);

/// runc's rule for container ids (letters, digits, _ + - .), without "." and "..".
bool ValidContainerId(const std::string& id);

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

/// True if the runtime whose state root is `root` has a container `id`
/// (runc's <root>/<id>/state.json, crun's <root>/<id>/status).
bool RuntimeHasContainer(const std::string& root, const std::string& id);

}  // namespace moat::shim
