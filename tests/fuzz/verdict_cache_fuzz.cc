// verify/verdict/verdict_cache.h ParseCachedVerdict (a verified verdict's summary,
// cached under state_dir): a verdict or a miss, never a crash. A parsed
// entry serialises back to an entry that reads as the same verdict, has
// known severities and scan times a predicate can hold, and the decision
// over it, at its scan time and at a fixed time, counts its findings
// (verdict_checks.h).
#include <cstddef>
#include <string>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/verdict_checks.h"
#include "verify/verdict/verdict_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto v = moat::verify::ParseCachedVerdict(moat::fuzz::Text(data, size));
  if (!v) return 0;
  const auto& p = v->claims.predicate;
  moat::fuzz::CheckTime(p.scan_started);
  moat::fuzz::CheckTime(p.scan_finished);
  for (const auto& f : p.report.findings) {
    FUZZ_CHECK(static_cast<size_t>(f.severity) < moat::verify::kSeverityCount);
  }
  auto again = moat::verify::ParseCachedVerdict(moat::verify::SerializeVerifiedVerdict(*v));
  FUZZ_CHECK(again.has_value());
  const auto& q = again->claims.predicate;
  FUZZ_CHECK(again->digest == v->digest && again->key == v->key);
  FUZZ_CHECK(again->claims.statement_type == v->claims.statement_type);
  FUZZ_CHECK(again->claims.subjects == v->claims.subjects);
  FUZZ_CHECK(q.scanner_uri == p.scanner_uri && q.scanner_version == p.scanner_version &&
             q.db_version == p.db_version);
  FUZZ_CHECK(q.scan_started == p.scan_started && q.scan_finished == p.scan_finished);
  FUZZ_CHECK(q.report.format == p.report.format);
  FUZZ_CHECK(moat::fuzz::SameFindings(q.report.findings, p.report.findings));
  moat::fuzz::CheckDecision(moat::verify::VerdictRules(), *v, p.scan_finished);
  moat::verify::VerdictRules day;
  day.max_age_hours = 24;
  moat::fuzz::CheckDecision(day, *v, 1795392000);  // 2026-11-23
  return 0;
}
