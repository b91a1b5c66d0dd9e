// Invariants of parsed scan verdicts, shared by the fuzz targets that reach
// them (vuln_report, intoto, verdict_policy): a report's findings, its
// re-encodings (cosign vuln predicate, the verdict cache) and the decision
// made from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/verdict/verdict.h"
#include "verify/verdict/verdict_cache.h"
#include "verify/verdict/verdict_decision.h"
#include "verify/verdict/verdict_json.h"
#include "verify/verdict/verdict_policy.h"
#include "verify/verdict/vuln_predicate.h"
#include "verify/verdict/vuln_report.h"

namespace moat::fuzz {

/// The digest the verdicts made up here are about.
inline const std::string& VerdictDigest() {
  static const std::string d = "sha256:" + std::string(64, 'a');
  return d;
}

inline bool SameFindings(const std::vector<verify::Finding>& a,
                         const std::vector<verify::Finding>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].package != b[i].package || a[i].installed != b[i].installed ||
        a[i].fixed_version != b[i].fixed_version || a[i].severity != b[i].severity) {
      return false;
    }
  }
  return true;
}

/// A time a parser accepted is written back as RFC 3339 that reads as the
/// same second.
inline void CheckTime(int64_t t) {
  const std::string text = FormatRfc3339(t);
  auto back = ParseRfc3339(text);
  if (!back.ok()) FUZZ_FAIL("FormatRfc3339 does not read back", back.error().message);
  FUZZ_CHECK(*back == t);
}

/// Findings are deduplicated per (id, package), named, of a known severity
/// and sorted most severe first, then by id and package.
inline void CheckReport(const verify::VulnReport& r) {
  FUZZ_CHECK(r.format == verify::ReportFormat::kTrivy || r.format == verify::ReportFormat::kGrype);
  FUZZ_CHECK(!r.scanner_name.empty());
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const verify::Finding& f = r.findings[i];
    FUZZ_CHECK(!f.id.empty() && !f.package.empty());
    const auto sev = static_cast<size_t>(f.severity);
    FUZZ_CHECK(sev < verify::kSeverityCount);
    FUZZ_CHECK(verify::SeverityFromName(verify::SeverityName(f.severity)) == f.severity);
    FUZZ_CHECK(seen.emplace(f.id, f.package).second);
    if (i > 0) {
      const verify::Finding& p = r.findings[i - 1];
      FUZZ_CHECK(
          p.severity > f.severity ||
          (p.severity == f.severity && (p.id < f.id || (p.id == f.id && p.package < f.package))));
    }
  }
  if (r.created_at) CheckTime(*r.created_at);
}

/// The decision over one verdict: counts match the findings and stay within
/// what an allowing decision's rules permit; its JSON is valid JSON.
inline void CheckDecision(const verify::VerdictRules& rules, const verify::VerifiedVerdict& v,
                          int64_t now) {
  verify::VerdictCandidates candidates;
  candidates.valid.push_back(v);
  const verify::VerdictDecision d =
      verify::DecideVerdict(rules, "/store", {v.digest}, candidates, now);
  FUZZ_CHECK(d.has_verdict);
  FUZZ_CHECK(d.allow == d.reasons.empty());
  FUZZ_CHECK(d.outcome ==
             (d.allow ? verify::VerdictOutcome::kPass : verify::VerdictOutcome::kFail));
  const auto& findings = v.claims.predicate.report.findings;
  verify::SeverityCounts tally{};
  for (const auto& f : findings) ++tally[static_cast<size_t>(f.severity)];
  int64_t counted = 0;
  for (size_t s = 0; s < verify::kSeverityCount; ++s) {
    FUZZ_CHECK(d.reported[s] == tally[s]);
    FUZZ_CHECK(d.counted[s] >= 0 && d.counted[s] <= d.reported[s]);
    counted += d.counted[s];
    if (!d.allow) continue;
    if (rules.max_counts[s]) FUZZ_CHECK(d.counted[s] <= *rules.max_counts[s]);
    if (rules.max_severity && static_cast<verify::Severity>(s) != verify::Severity::kUnknown &&
        s > static_cast<size_t>(*rules.max_severity)) {
      FUZZ_CHECK(d.counted[s] == 0);
    }
  }
  FUZZ_CHECK(d.unfixable >= 0 && (rules.fixable_only || d.unfixable == 0));
  FUZZ_CHECK(counted + d.unfixable <= static_cast<int64_t>(findings.size()));
  if (rules.allowlist.empty()) {
    FUZZ_CHECK(counted + d.unfixable == static_cast<int64_t>(findings.size()));
  }
  if (d.allow && rules.max_age_hours) {
    FUZZ_CHECK(d.age_seconds <= *rules.max_age_hours * 3600);
  }
  auto json = json::Parse(json::Serialize(verify::VerdictDecisionJson(d)));
  if (!json.ok()) FUZZ_FAIL("decision JSON", json.error().message);
  FUZZ_CHECK(!verify::VerdictDecisionLines(d).empty());
}

/// A parsed predicate: its report holds, its times read back, and the
/// verdict made of it survives the verdict cache unchanged.
inline void CheckPredicate(const verify::VulnPredicate& p) {
  CheckReport(p.report);
  CheckTime(p.scan_finished);
  CheckTime(p.scan_started);
  if (p.scanner_version.empty()) FUZZ_CHECK(p.report.scanner_version.empty());
  if (p.db_version.empty()) FUZZ_CHECK(p.report.db_version.empty());

  verify::VerifiedVerdict v;
  v.path = "/store/v.json";
  v.digest = VerdictDigest();
  v.key = "/etc/moat/scanner.pub";
  v.claims.statement_type = "https://in-toto.io/Statement/v1";
  v.claims.subjects = {v.digest};
  v.claims.predicate = p;
  auto cached = verify::ParseCachedVerdict(verify::SerializeVerifiedVerdict(v));
  FUZZ_CHECK(cached.has_value());
  const verify::VulnPredicate& c = cached->claims.predicate;
  FUZZ_CHECK(cached->digest == v.digest && cached->key == v.key);
  FUZZ_CHECK(cached->claims.statement_type == v.claims.statement_type);
  FUZZ_CHECK(cached->claims.subjects == v.claims.subjects);
  FUZZ_CHECK(c.scanner_uri == p.scanner_uri && c.scanner_version == p.scanner_version &&
             c.db_version == p.db_version);
  FUZZ_CHECK(c.scan_started == p.scan_started && c.scan_finished == p.scan_finished);
  FUZZ_CHECK(c.report.format == p.report.format);
  FUZZ_CHECK(SameFindings(c.report.findings, p.report.findings));

  // The default rules, just after the scan; and a strict policy a year on.
  CheckDecision(verify::VerdictRules(), v, p.scan_finished);
  verify::VerdictRules strict;
  strict.max_severity = verify::SeverityCap::kNone;
  strict.max_counts[static_cast<size_t>(verify::Severity::kUnknown)] = 0;
  strict.max_age_hours = 24;
  strict.fixable_only = true;
  CheckDecision(strict, v, p.scan_finished + 366 * 86400);
}

}  // namespace moat::fuzz
