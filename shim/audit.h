// The audit log: one JSON object per line, one line per decision.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::shim {

struct AuditRecord {
  std::string verb;     // create, run, restore, exec, update
  std::string id;       // container id
  std::string bundle;   // bundle directory (create/run/restore)
  std::string mode;     // enforce | audit | warn
  std::string profile;  // profile name
  /// create/run/restore: the rule that chose the profile ("default" for
  /// default_profile), and the exceptions used and found expired, by name.
  std::string rule;
  std::vector<std::string> exceptions;
  std::vector<std::string> expired_exceptions;
  std::string decision;  // allow | deny | audit | warn
  std::vector<std::string> changes;
  std::vector<std::string> reasons;
  /// Things the operator asked for that weaken the container (a secret in
  /// process.env); listed only when there are any.
  std::vector<std::string> warnings;
  /// The image and the trust decision (create/run/restore): key, value.
  std::vector<std::pair<std::string, std::string>> image;
};

/// The record as one JSON line (with trailing newline).
std::string FormatAudit(const AuditRecord& r);

/// Appends the record to `path` with a single write under an exclusive lock,
/// creating the file (0600) and its directory (0700) when missing.
Status WriteAudit(const std::string& path, const AuditRecord& r);

}  // namespace moat::shim
