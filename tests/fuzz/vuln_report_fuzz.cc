// verify/verdict/vuln_report.h (Trivy and Grype JSON reports) and
// verify/verdict/vuln_predicate.h (the cosign vuln predicate around one): the input
// is read as a report of each format and as a predicate. Errors name the
// field; a report's findings are unique per (id, package), of a known
// severity, sorted, and no more than the entries it lists; wrapped into a
// predicate (BuildVulnPredicate, as `moat verdict import` does) it reads back
// as the same report at the same time; a predicate survives the verdict
// cache, and the decision over it counts its findings (verdict_checks.h).
#include <cstddef>
#include <string>

#include "base/json.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/verdict_checks.h"
#include "verify/verdict/vuln_predicate.h"
#include "verify/verdict/vuln_report.h"

namespace {

using moat::json::Value;
using moat::verify::ReportFormat;

// How many findings the report lists before deduplication.
size_t Entries(const Value& doc, ReportFormat format) {
  size_t n = 0;
  if (format == ReportFormat::kGrype) {
    const Value* m = doc.Find("matches");
    return m != nullptr ? m->items().size() : 0;
  }
  if (const Value* results = doc.Find("Results")) {
    for (const Value& r : results->items()) {
      if (const Value* v = r.Find("Vulnerabilities")) n += v->items().size();
    }
  }
  return n;
}

// `detected`: DetectReportFormat's answer, which a predicate's reader uses.
void CheckReportOf(const Value& doc, ReportFormat format, bool detected) {
  auto r = moat::verify::ParseVulnReport(doc, format, "report");
  if (!r.ok()) {
    FUZZ_CHECK(r.error().message.rfind("report", 0) == 0);
    return;
  }
  FUZZ_CHECK(r->format == format);
  moat::fuzz::CheckReport(*r);
  FUZZ_CHECK(r->findings.size() <= Entries(doc, format));
  if (format == ReportFormat::kTrivy) FUZZ_CHECK(r->scanner_name == "trivy");
  if (!detected) return;  // `moat verdict import` refuses it as the other format

  // As `moat verdict import` wraps it: the same report, at the same time.
  const int64_t at = r->created_at.value_or(1795162364);
  auto p = moat::verify::ParseVulnPredicate(moat::verify::BuildVulnPredicate(doc, *r, at));
  if (!p.ok()) FUZZ_FAIL("built predicate", p.error().message);
  FUZZ_CHECK(p->scan_finished == at && p->scan_started == at);
  FUZZ_CHECK(p->scanner_version == r->scanner_version && p->db_version == r->db_version);
  FUZZ_CHECK(p->report.format == format);
  FUZZ_CHECK(moat::fuzz::SameFindings(p->report.findings, r->findings));
  moat::fuzz::CheckPredicate(*p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = moat::json::Parse(moat::fuzz::Text(data, size));
  if (!doc.ok()) return 0;
  auto format = moat::verify::DetectReportFormat(*doc, "report");
  if (format.ok()) {
    FUZZ_CHECK(*format == (doc->Find("SchemaVersion") != nullptr ? ReportFormat::kTrivy
                                                                 : ReportFormat::kGrype));
  } else {
    FUZZ_CHECK(format.error().message.rfind("report", 0) == 0);
  }
  for (auto f : {ReportFormat::kTrivy, ReportFormat::kGrype}) {
    CheckReportOf(*doc, f, format.ok() && *format == f);
  }

  auto p = moat::verify::ParseVulnPredicate(*doc);
  if (p.ok()) {
    moat::fuzz::CheckPredicate(*p);
  } else {
    FUZZ_CHECK(p.error().message.rfind("predicate", 0) == 0);
  }
  return 0;
}
