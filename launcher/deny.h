// The deny rules: checks on the config the caller asked for.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/host.h"
#include "launcher/profile.h"

namespace moat::launcher {

/// A bind source that is allowed, and the resolved path of the host object
/// it was judged as (symlinks followed), to be mounted instead.
struct ResolvedSource {
  size_t index;  // in config.json's mounts
  std::string path;
};

/// Appends one reason per broken rule to `denials`. Bind sources are judged
/// as host objects (HostView::Resolve): allowed within one of `engine_roots`
/// (directories the engines make for containers, from moat.conf) or a
/// private tmpfs mounted below one, or within a profile's host_paths grant.
/// Errors are malformed fields.
Status CheckDenyRules(const json::Value& config, const Profile& profile, const HostView& host,
                      const std::vector<std::string>& engine_roots,
                      std::vector<std::string>* denials, std::vector<ResolvedSource>* resolved);

}  // namespace moat::launcher
