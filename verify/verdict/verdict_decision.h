// The verdict decision for one image: of the verified verdicts stored for
// its manifest digests, the newest (by scanFinishedOn) counts, and it must
// be recent enough and within the severity thresholds, after the
// fixable_only filter and the allowlist. Time is passed in (`now`, Unix
// seconds) so that tests can move it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "verify/common/reference.h"
#include "verify/verdict/verdict.h"
#include "verify/verdict/verdict_policy.h"
#include "verify/verdict/vuln_report.h"

namespace moat::verify {

/// A verdict may say it finished this far in the future (clock skew
/// between scanner and node); later is refused.
inline constexpr int64_t kVerdictClockSkewSeconds = 300;

enum class VerdictOutcome {
  kFail,        // a verdict counted and broke a rule (or a dated-in-the-future one)
  kMissing,     // no valid verdict, and one is required
  kPass,        // the newest valid verdict is within every rule
  kNotRequired  // no valid verdict, and none is required
};
const char* VerdictOutcomeName(VerdictOutcome o);  // "fail", "missing", "pass", "not required"

struct VerdictDecision {
  bool allow = false;  // kPass or kNotRequired
  VerdictOutcome outcome = VerdictOutcome::kFail;
  /// Which rules applied: "verdicts" or "verdicts.scopes[\"<scope>\"]".
  std::string scope;
  /// Why the image is refused, one full sentence each ("image sha256:... has
  /// 2 CRITICAL (CVE-..., CVE-...) above policy max 0 (max_severity HIGH)").
  std::vector<std::string> reasons;
  /// Envelopes that were not used, and why.
  std::vector<std::string> rejected;

  /// The verdict that counted, when one did.
  bool has_verdict = false;
  VerifiedVerdict verdict;
  int64_t age_seconds = 0;
  /// Findings per severity in the report, and what counts after
  /// fixable_only and the allowlist.
  SeverityCounts reported{};
  SeverityCounts counted{};
  /// Findings left out by fixable_only.
  int64_t unfixable = 0;
  /// Allowlist entries that applied ("CVE-... until 2026-12-31: <reason>"),
  /// and ones that matched a finding but had expired ("CVE-... expired
  /// 2026-11-01"), which then count.
  std::vector<std::string> allowlisted;
  std::vector<std::string> expired;
};

/// Decides from already collected verdicts. `digests` are the image's
/// manifest digests (for messages); `store` names the store in messages.
VerdictDecision DecideVerdict(const VerdictRules& rules, const std::string& store,
                              const std::vector<std::string>& digests,
                              const VerdictCandidates& candidates, int64_t now);

/// The whole check for an image accepted under `ref` (nullptr: no name)
/// with manifest digests `digests`: the rules for its scope, their keys, the
/// store, the decision. Errors are moat's own configuration (an unreadable
/// key file, a store someone other than root could change). `cache_dir`
/// (may be empty) keeps verified verdicts between calls.
Result<VerdictDecision> CheckVerdict(const VerdictConfig& config,
                                     const std::vector<std::string>& digests, const Reference* ref,
                                     int64_t now,
                                     const VerdictStoreOptions& options = VerdictStoreOptions(),
                                     const std::string& cache_dir = "");

/// "CRITICAL=0 HIGH=1 MEDIUM=3 LOW=0 UNKNOWN=2".
std::string FormatSeverityCounts(const SeverityCounts& counts);

/// The decision as audit record pairs (verdict, verdict_scope, verdict_file,
/// verdict_digest, verdict_key, verdict_scanner, verdict_scanned,
/// verdict_age_hours, verdict_counts, verdict_reported, verdict_allowlisted,
/// verdict_expired, verdict_rejected), empty values left out.
std::vector<std::pair<std::string, std::string>> VerdictAudit(const VerdictDecision& d);

}  // namespace moat::verify
