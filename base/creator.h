// Who creates a container, and whether it still exists: shared by moat's
// per-container records (shim/state.h) and the secrets directories
// (secrets/dir.h), which must tell a create in progress from one that died.
#pragma once

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/status.h"

namespace moat {

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

/// The runtime's state root: runc's --root, or the default for the runtime
/// binary (/run/crun for crun, /run/runc otherwise), with symbolic links
/// resolved where it exists, else made absolute.
std::string RuntimeRoot(const std::string& given, const std::string& runtime);

/// True if the runtime whose state root is `root` has a container `id`
/// (runc's <root>/<id>/state.json, crun's <root>/<id>/status).
bool RuntimeHasContainer(const std::string& root, const std::string& id);

}  // namespace moat
