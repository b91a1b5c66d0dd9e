// Applying a profile to an OCI runtime spec (config.json) or to an exec'd
// process spec: deny rules first, on what the caller asked for, then the
// rewrite.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"
#include "launcher/host.h"
#include "launcher/profile.h"

namespace moat::launcher {

/// What applying a profile found and did.
struct Outcome {
  /// Rules the requested config breaks; non-empty means refuse (in enforce mode).
  std::vector<std::string> denials;
  /// One line per change made ("root.readonly: false -> true").
  std::vector<std::string> changes;
  /// The process's bounding set after the rewrite.
  CapSet bounding;
  /// The process's uid and gid after the rewrite.
  uint32_t uid = 0;
  uint32_t gid = 0;
};

/// How HardenConfig goes about its work (not what it decides).
struct HardenOptions {
  /// Where filters that compiled are remembered (CompileSeccompCached); ""
  /// compiles every time.
  std::string seccomp_cache_dir;
  /// Host directories the engines make for containers (Docker's
  /// containers/<id> and volumes, containerd's CRI sandboxes, kubelet's
  /// pods, podman's userdata), from moat.conf, never from config.json: a
  /// bind source within one is allowed without a profile grant. A "/*"
  /// starts a pattern of what below the directory may be bound, "*" standing
  /// for one component ("/var/lib/docker/volumes/*/_data").
  std::vector<std::string> engine_roots;
};

/// Checks `config` (a parsed config.json) against the profile's deny rules
/// and rewrites it in place. An error means the config is malformed in a
/// field moat reads ("process.capabilities.bounding[3]: unknown capability"),
/// or the profile's seccomp filter cannot be built for it.
Result<Outcome> HardenConfig(json::Value* config, const Profile& profile, const HostView& host,
                             const HardenOptions& options = HardenOptions());

/// Fits an exec'd process spec (runc exec --process FILE) to the profile:
/// user, capabilities (also limited to `ceiling`, the container's bounding
/// set, when given), no_new_privileges. Under ExecPolicy::kRefuse anything
/// that would have to be taken away is a denial instead.
Result<Outcome> HardenExecProcess(json::Value* process, const Profile& profile,
                                  const CapSet* ceiling);

}  // namespace moat::launcher
