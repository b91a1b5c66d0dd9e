// The deny rules: checks on the config the caller asked for.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/host.h"
#include "launcher/profile.h"

namespace moat::launcher {

/// Appends one reason per broken rule to `denials`. Errors are malformed fields.
Status CheckDenyRules(const json::Value& config, const Profile& profile, const HostView& host,
                      std::vector<std::string>* denials);

}  // namespace moat::launcher
