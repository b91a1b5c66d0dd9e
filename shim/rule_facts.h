// create/run/restore: the facts moat's rules are matched against, gathered
// from the image verdict (engine state, trust policy, scan verdict) and,
// kept apart, from what the container's creator supplied.
#pragma once

#include <string>

#include "base/json.h"
#include "base/status.h"
#include "rules/rules.h"
#include "shim/config.h"
#include "shim/image_check.h"

namespace moat::shim {

/// Docker labels come from dockerd's record of container `id`
/// (docker_root/containers/ID/config.v2.json, Config.Labels), annotations
/// from config.json. Errors are unreadable or malformed engine records.
Result<rules::Facts> GatherFacts(const Config& config, const std::string& id,
                                 const std::string& bundle, const json::Value& spec,
                                 const ImageVerdict& image);

}  // namespace moat::shim
