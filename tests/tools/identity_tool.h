// The shared main of the identity test tools (moat_identity,
// moat_containerd_identity, moat_podman_identity): flags parsed against a
// table with cli/cli.h's parser, the caller's resolver run, the identity
// printed as JSON (exit 0) or the error as one line "<tool>: <error>"
// (exit 1); usage errors exit 2. Not installed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/cli.h"
#include "verify/identity/identity.h"

namespace moat::tools {

struct IdentityTool {
  const char* name;                   // "moat_identity"
  const char* usage;                  // the synopsis after "usage: "
  std::vector<cli::FlagSpec> flags;   // --bytes is added
  std::vector<std::string> required;  // flags that must be given
  std::function<Result<verify::ImageIdentity>(const cli::Flags&)> resolve;
};

/// Runs `tool` on argv; catches everything (exit 1).
int RunIdentityTool(const IdentityTool& tool, int argc, char** argv);

}  // namespace moat::tools
