// The process-level part of a profile: user, capabilities, no_new_privileges.
// Shared by create (config.json's "process") and exec (--process FILE).
#pragma once

#include <string>

#include "base/json.h"
#include "base/status.h"
#include "launcher/harden.h"

namespace moat::launcher {

struct FitOptions {
  /// Report what would be taken away as a denial instead of taking it.
  bool refuse_reductions = false;
  /// An extra ceiling on every capability set (the container's bounding set).
  const CapSet* ceiling = nullptr;
};

/// Fits the process object at `path` ("process") to the profile, adding to `out`.
Status FitProcess(json::Value* process, const std::string& path, const Profile& profile,
                  const FitOptions& opts, Outcome* out);

/// Reads a capability name array; unknown names are errors with their index.
Result<CapSet> ReadCapArray(const json::Value& v, const std::string& path);

/// Reads a uint32 field (uid, gid, limits): "<path>: expected ...".
Result<uint32_t> ReadUint32(const json::Value& v, const std::string& path);

}  // namespace moat::launcher
