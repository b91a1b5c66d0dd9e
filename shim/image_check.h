// create/run/restore: which image the container comes from (engine state
// only) and whether the trust policy accepts it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "shim/runtime.h"

namespace moat::shim {

struct ImageVerdict {
  /// Non-empty: the policy refuses the image (or it could not be identified).
  std::vector<std::string> denials;
  /// For the audit record: id, reference, engine, scope, how it passed.
  std::vector<std::pair<std::string, std::string>> audit;
};

/// Errors are moat's own (unreadable policy or registries.d); a refusal of
/// the image is a denial in the verdict.
Result<ImageVerdict> CheckImage(const Context& ctx, const std::string& id,
                                const std::string& bundle, const json::Value& config);

}  // namespace moat::shim
