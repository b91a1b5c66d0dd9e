// A verdict decision for people and programs: text lines for `moat verify`,
// `moat explain` and `moat verdict check`, and the same facts as JSON.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "verify/verdict/verdict_decision.h"

namespace moat::verify {

/// "verdict:    fail (verdicts)", "file:       ...", ... one fact a line,
/// labels padded to `width` characters; the reasons last, as "refused: ...".
std::vector<std::string> VerdictDecisionLines(const VerdictDecision& d, size_t width = 12);

/// {"allow","outcome","scope","reasons","rejected","verdict":{file, digest,
/// key, statement, scanner, scanner_uri, db, scanned, age_hours}|null,
/// "reported":{SEVERITY: n}, "counted":{...}, "unfixable", "allowlisted",
/// "expired"}.
json::Value VerdictDecisionJson(const VerdictDecision& d);

/// Severity counts as {"CRITICAL": n, "HIGH": n, ...}.
json::Value SeverityCountsJson(const SeverityCounts& counts);

}  // namespace moat::verify
