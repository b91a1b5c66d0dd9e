// Capability names, checked against libcap's table.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace moat::launcher {

/// A set of capabilities by number (CAP_CHOWN = 0, ...).
using CapSet = std::set<int>;

/// Parses "CAP_NET_RAW", "NET_RAW" or "net_raw" into its number; an unknown
/// name is an error quoting it.
Result<int> CapFromName(const std::string& name);

/// The canonical OCI spelling: "CAP_NET_RAW".
std::string CapName(int cap);

/// Every capability this libcap knows (0..CAP_LAST_CAP).
CapSet AllCaps();

/// Canonical names of a set, in numeric order.
std::vector<std::string> CapNames(const CapSet& caps);

}  // namespace moat::launcher
