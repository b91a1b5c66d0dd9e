// The verdict policy: moat.conf's `verdicts` object (man/moat.conf.5).
//
//   "verdicts": {
//     "store": "/var/lib/moat/verdicts",
//     "keys": ["/etc/moat/scanner.pub"],
//     "require": true,
//     "max_severity": "HIGH",
//     "max_counts": {"HIGH": 5},
//     "max_age_hours": 168,
//     "fixable_only": false,
//     "allowlist": [{"id": "CVE-2023-1234", "expires": "2026-12-31", "reason": "..."}],
//     "scopes": {"registry.example.com/dev": {"require": false}}
//   }
//
// A scope (a docker scope as in containers-policy.json: a repository, a
// namespace, a host, "*.domain") replaces the top-level value of each key it
// gives; the most specific scope of the name the image was accepted under
// applies, as policy.json's scopes do.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "verify/common/reference.h"
#include "verify/verdict/vuln_report.h"

namespace moat::verify {

/// max_severity: the highest severity that may remain; kNone allows no
/// LOW, MEDIUM, HIGH or CRITICAL finding. Values line up with Severity's.
enum class SeverityCap { kNone = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
const char* SeverityCapName(SeverityCap c);

struct AllowlistEntry {
  std::string id;       // a vulnerability id, matched exactly
  std::string expires;  // "YYYY-MM-DD", as written
  /// The first second after the expiry day (UTC): the entry applies while
  /// now < expires_at, so through the whole of that day.
  int64_t expires_at = 0;
  std::string reason;
};

/// The rules for one image, after scope overrides.
struct VerdictRules {
  /// Absolute paths of PEM public keys of trusted scanners; never empty.
  std::vector<std::string> keys;
  /// A missing verdict refuses the image.
  bool require = true;
  std::optional<SeverityCap> max_severity;
  /// Per severity (indexed by Severity), the most findings allowed.
  std::array<std::optional<int64_t>, kSeverityCount> max_counts;
  std::optional<int64_t> max_age_hours;
  /// Count only findings that have a fixed version.
  bool fixable_only = false;
  std::vector<AllowlistEntry> allowlist;
};

struct VerdictConfig {
  std::string store;
  VerdictRules rules;
  /// Scope → the rules there (the top level with the scope's keys applied).
  std::map<std::string, VerdictRules> scopes;

  /// The rules for an image accepted under `ref` (nullptr: no name): the
  /// first of DockerScopes(ref) in `scopes`, else the top level. `matched`
  /// gets "verdicts" or "verdicts.scopes[\"<scope>\"]".
  const VerdictRules& For(const Reference* ref, std::string* matched = nullptr) const;
};

/// Parses the `verdicts` object; `path` names it in errors
/// ("verdicts.allowlist[0].expires: \"2026-13-01\" is not a date ...").
/// Unknown keys are errors. Key files are not read here (see LoadVerdictKeys).
Result<VerdictConfig> ParseVerdictConfig(const json::Value& v, const std::string& path);

}  // namespace moat::verify
