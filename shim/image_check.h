// create/run/restore: which image the container comes from (engine state
// only) and whether the trust policy accepts it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "shim/config.h"
#include "verify/identity/identity.h"
#include "verify/signature/trust.h"
#include "verify/verdict/verdict_decision.h"

namespace moat::shim {

struct ImageVerdict {
  /// What the engine's state says the container's image is (engine kUnknown
  /// when no engine record of the container was found).
  verify::ImageIdentity identity;
  /// The error that stopped the identity from being established, if any.
  std::string identity_error;
  /// What the trust policy said.
  verify::TrustDecision trust;
  /// What the verdict policy said (moat.conf `verdicts`), when it is configured.
  bool verdict_checked = false;
  verify::VerdictDecision verdict;
  /// Non-empty: the policy refuses the image (or it could not be identified).
  std::vector<std::string> denials;
  /// For the audit record: id, reference, engine, scope, how it passed.
  std::vector<std::pair<std::string, std::string>> audit;
};

/// Errors are moat's own (unreadable policy, registries.d or verdict keys);
/// a refusal of the image is a denial in the verdict. `bundle` is --bundle as runc got it.
Result<ImageVerdict> CheckImage(const Config& config, const std::string& id,
                                const std::string& bundle, const json::Value& spec);

/// The policy's verdict on an identity already resolved (or the error that
/// stopped it, which becomes a denial). CheckImage = resolve + JudgeImage.
Result<ImageVerdict> JudgeImage(const Config& config, Result<verify::ImageIdentity> resolved);

}  // namespace moat::shim
