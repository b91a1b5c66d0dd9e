// The kernel's system paths a container must not reach: what Docker and
// `runc spec` mask (bind /dev/null or an empty tmpfs over) and make
// read-only in every container's /proc and /sys. `docker run --security-opt
// systempaths=unconfined` sends none of them; without them a container's
// root (with no user namespace, root in the host's) writes the host's
// sysctls (kernel.core_pattern runs a program as host root) and
// /proc/sysrq-trigger.
#pragma once

#include "base/json.h"
#include "base/status.h"
#include "launcher/harden.h"

namespace moat::launcher {

/// Adds to linux.maskedPaths and linux.readonlyPaths whatever of Docker's
/// default set they lack (the caller's own entries are kept), one change
/// line for each list that grew. An error when either is not an array of
/// strings.
Status ApplySystemPaths(json::Value* config, Outcome* out);

}  // namespace moat::launcher
