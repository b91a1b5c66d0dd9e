// Scanner results, the `scanner.result` of a cosign vuln predicate:
//
//  - Trivy's JSON report (`trivy image --format json`, SchemaVersion 2):
//    Results[].Vulnerabilities[] with VulnerabilityID, PkgName,
//    InstalledVersion, FixedVersion, Severity (UNKNOWN, LOW, MEDIUM, HIGH,
//    CRITICAL); CreatedAt (RFC 3339) in reports of Trivy >= 0.48.
//  - Grype's JSON report (`grype -o json`): matches[] with vulnerability
//    {id, severity (Critical, High, Medium, Low, Negligible, Unknown),
//    fix {versions, state}} and artifact {name, version};
//    descriptor {name, version, timestamp}.
//
// Findings are deduplicated by (id, package): a vulnerability that several
// results (Trivy targets, Grype matchers) report for one package counts once,
// with the highest severity and a fixed version if any of them has one.
// Fields moat does not use are ignored; a field it uses with the wrong type,
// or a severity it does not know, makes the whole report an error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace moat::verify {

/// Severities, lowest first. UNKNOWN is not ranked against the others by
/// policy (max_severity); only its count can be limited.
enum class Severity { kUnknown, kLow, kMedium, kHigh, kCritical };
inline constexpr size_t kSeverityCount = 5;

/// "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL".
const char* SeverityName(Severity s);
/// The exact upper-case names above.
std::optional<Severity> SeverityFromName(std::string_view name);

/// Counts indexed by Severity.
using SeverityCounts = std::array<int64_t, kSeverityCount>;

enum class ReportFormat { kTrivy, kGrype };
const char* ReportFormatName(ReportFormat f);  // "trivy", "grype"

struct Finding {
  std::string id;       // "CVE-2021-36159", "GHSA-...", as the scanner names it
  std::string package;  // package name
  std::string installed;
  std::string fixed_version;  // empty: no fix known
  Severity severity = Severity::kUnknown;
  bool fixable() const { return !fixed_version.empty(); }
};

struct VulnReport {
  ReportFormat format = ReportFormat::kTrivy;
  /// Deduplicated, most severe first, then by id and package.
  std::vector<Finding> findings;
  /// What the report says about its scanner, when it says it.
  std::string scanner_name;
  std::string scanner_version;
  std::string db_version;
  /// When the report was made (Trivy CreatedAt, Grype descriptor.timestamp).
  std::optional<int64_t> created_at;
};

/// The format of a report: Trivy has "SchemaVersion", Grype "matches".
Result<ReportFormat> DetectReportFormat(const json::Value& report, const std::string& path);

/// Parses a report of a known format. Errors name the field:
/// "<path>.Results[0].Vulnerabilities[3].Severity: \"SEVERE\" is not ...".
Result<VulnReport> ParseVulnReport(const json::Value& report, ReportFormat format,
                                   const std::string& path);

}  // namespace moat::verify
