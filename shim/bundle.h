// create, run, restore: everything moat decides about a bundle, computed
// before anything is changed, so that `moat verify`/`moat explain` show
// exactly what moat-runtime would do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "base/status.h"
#include "launcher/harden.h"
#include "launcher/profile.h"
#include "secrets/plan.h"
#include "shim/config.h"
#include "shim/image_check.h"

namespace moat::shim {

/// The plan for one bundle: its config.json as read, the image verdict, the
/// profile and the rewritten config.json. Nothing on disk is changed.
struct BundlePlan {
  std::string bundle;  // --bundle as given (or the cwd)
  std::string file;    // <bundle>/config.json
  /// config.json, opened once through its directory (no symlinks; root-owned).
  TrustedFile tf;
  std::string original;  // its bytes
  json::Value config;    // rewritten per the profile
  ImageVerdict image;
  /// Which rule applied (moat.conf `rules`), in which mode, with which
  /// exceptions; `profile` is its profile widened by those exceptions.
  rules::Decision rule;
  Mode mode = Mode::kEnforce;
  launcher::Profile profile;
  launcher::Outcome outcome;
  /// The profile's secrets for this container; their mounts are in `config`
  /// and their lines in `outcome.changes`.
  secrets::SecretPlan secrets;
  /// Every reason to refuse: the image's, then the profile's (prefixed
  /// `profile "NAME": `).
  std::vector<std::string> denials;
};

/// config.json's size limit (runc itself reads any size).
inline constexpr size_t kMaxConfigBytes = 16u << 20;

/// Parses config.json text as runc's Go decoder will read it (key folding,
/// duplicate keys refused), within kMaxConfigBytes; errors name `file`.
Result<json::Value> ParseBundleConfig(std::string_view text, const std::string& file);

/// Reads `bundle`/config.json and works out the plan for container `id`
/// at time `now` (Unix seconds: exceptions' `until`).
/// Errors are malformed or untrusted input (the file and field named).
/// `identity` (may be null) replaces what the engine's state says about the
/// image: `moat run --image` names the OCI layout the bundle came from.
Result<BundlePlan> PlanBundle(const Config& config, const std::string& id,
                              const std::string& bundle,
                              const Result<verify::ImageIdentity>* identity = nullptr,
                              int64_t now = -1);

}  // namespace moat::shim
