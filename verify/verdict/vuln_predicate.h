// The cosign vulnerability scan predicate (predicateType
// https://cosign.sigstore.dev/attestation/vuln/v1; cosign's
// specs/COSIGN_VULN_ATTESTATION_SPEC.md), which `trivy --format cosign-vuln`
// emits and `cosign attest --type vuln` wraps in a Statement:
//
//   {"invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
//    "scanner": {"uri": "pkg:github/aquasecurity/trivy@v0.57.0", "version": "v0.57.0",
//                "db": {"uri": "", "version": ""}, "result": {<Trivy or Grype JSON>}},
//    "metadata": {"scanStartedOn": "<RFC 3339>", "scanFinishedOn": "<RFC 3339>"}}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "verify/verdict/vuln_report.h"

namespace moat::verify {

inline constexpr std::string_view kCosignVulnPredicateType =
    "https://cosign.sigstore.dev/attestation/vuln/v1";

struct VulnPredicate {
  std::string scanner_uri;
  std::string scanner_version;
  std::string db_version;
  int64_t scan_started = 0;  // 0 when absent
  int64_t scan_finished = 0;
  VulnReport report;
};

/// Reads a predicate: `scanner` (an object with `result`, a Trivy or Grype
/// report) and `metadata.scanFinishedOn` are required; `uri`, `version`,
/// `db.version` and `scanStartedOn` are read when present; other members
/// are ignored. Errors: "predicate.metadata.scanFinishedOn: ...".
Result<VulnPredicate> ParseVulnPredicate(const json::Value& predicate);

/// A predicate around `result` (a report `parsed` was read from), scanned
/// at `scanned_at`, naming the scanner as a package URL
/// ("pkg:github/aquasecurity/trivy@<version>", ".../anchore/grype@...").
json::Value BuildVulnPredicate(const json::Value& result, const VulnReport& parsed,
                               int64_t scanned_at);

}  // namespace moat::verify
