// Trivy and Grype reports, hand-written after the scanners' real JSON
// output (tests/fixtures/verdicts/*-report.json).
#include "verify/verdict/vuln_report.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/unit/verify/verdict/verdict_fixtures.h"
#include "verify/verdict/vuln_predicate.h"

using moat::json::Parse;
using moat::json::Value;
using moat::testing::VerdictFixtureJson;
using moat::verify::DetectReportFormat;
using moat::verify::Finding;
using moat::verify::ParseVulnReport;
using moat::verify::ReportFormat;
using moat::verify::Severity;
using moat::verify::SeverityFromName;
using moat::verify::SeverityName;
using moat::verify::VulnReport;

namespace {

VulnReport Read(const Value& v) {
  auto f = DetectReportFormat(v, "result");
  REQUIRE(f.ok());
  auto r = ParseVulnReport(v, *f, "result");
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  return std::move(r.value());
}

std::vector<std::string> Rows(const VulnReport& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    out.push_back(std::string(SeverityName(f.severity)) + " " + f.id + " " + f.package + " " +
                  f.installed + " -> " + (f.fixable() ? f.fixed_version : "(none)"));
  }
  return out;
}

std::string Err(const std::string& text) {
  auto v = Parse(text);
  REQUIRE(v.ok());
  auto f = DetectReportFormat(*v, "result");
  if (!f.ok()) return f.error().message;
  auto r = ParseVulnReport(*v, *f, "result");
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("vuln report: severity names") {
  for (auto s : {Severity::kUnknown, Severity::kLow, Severity::kMedium, Severity::kHigh,
                 Severity::kCritical}) {
    CHECK(SeverityFromName(SeverityName(s)) == s);
  }
  CHECK_FALSE(SeverityFromName("critical"));
  CHECK_FALSE(SeverityFromName("NONE"));
}

TEST_CASE("vuln report: a Trivy SchemaVersion 2 report: findings deduplicated per (id, package)") {
  const VulnReport r = Read(VerdictFixtureJson("trivy-report.json"));
  CHECK(r.format == ReportFormat::kTrivy);
  CHECK(r.scanner_name == "trivy");
  REQUIRE(r.created_at);
  CHECK(*r.created_at == 1795162364);  // 2026-11-20T09:12:44+01:00
  // 12 entries: requests is reported twice (two site-packages) and counts
  // once; CVE-2023-4911 is in two packages and counts twice.
  CHECK(Rows(r) == std::vector<std::string>{
                       "CRITICAL CVE-2023-45853 zlib1g 1:1.2.13.dfsg-1 -> (none)",
                       "CRITICAL CVE-2024-45491 libexpat1 2.5.0-1 -> 2.5.0-1+deb12u1",
                       "HIGH CVE-2023-4911 libc-bin 2.36-9+deb12u1 -> 2.36-9+deb12u3",
                       "HIGH CVE-2023-4911 libc6 2.36-9+deb12u1 -> 2.36-9+deb12u3",
                       "HIGH CVE-2023-5363 libssl3 3.0.9-1 -> 3.0.11-1~deb12u2",
                       "MEDIUM CVE-2023-50495 libncursesw6 6.4-4 -> (none)",
                       "MEDIUM CVE-2024-35195 requests 2.31.0 -> 2.32.0",
                       "LOW CVE-2011-3374 apt 2.6.1 -> (none)",
                       "LOW CVE-2022-0563 util-linux 2.38.1-5+b1 -> (none)",
                       "LOW TEMP-0841856-B18BAF bash 5.2.15-2+b2 -> (none)",
                       "UNKNOWN CVE-2024-56433 login 1:4.13+dfsg1-1 -> (none)",
                   });
}

TEST_CASE("vuln report: a clean Trivy report has no findings") {
  const VulnReport r = Read(VerdictFixtureJson("trivy-clean.json"));
  CHECK(r.findings.empty());
  CHECK(r.created_at);
}

TEST_CASE("vuln report: a Grype report: matchers' duplicates count once, Negligible is LOW") {
  const VulnReport r = Read(VerdictFixtureJson("grype-report.json"));
  CHECK(r.format == ReportFormat::kGrype);
  CHECK(r.scanner_name == "grype");
  CHECK(r.scanner_version == "0.82.2");
  CHECK(r.db_version == "2026-11-21T01:31:22Z");
  REQUIRE(r.created_at);
  CHECK(*r.created_at == 1795257195);  // 2026-11-21T10:33:15.690536876Z
  CHECK(Rows(r) == std::vector<std::string>{
                       "CRITICAL CVE-2024-45491 expat 2.6.2-r0 -> 2.6.3-r0",
                       "HIGH CVE-2024-6119 libcrypto3 3.3.1-r3 -> 3.3.2-r0",
                       "HIGH CVE-2024-6119 libssl3 3.3.1-r3 -> 3.3.2-r0",
                       "MEDIUM CVE-2023-42363 busybox 1.36.1-r28 -> 1.36.1-r29",
                       "MEDIUM GHSA-9wx4-h78v-vm56 requests 2.31.0 -> 2.32.0",
                       "LOW CVE-2005-2541 tar 1.35-r2 -> (none)",
                       "LOW CVE-2024-9143 libcrypto3 3.3.1-r3 -> (none)",
                       "UNKNOWN CVE-2025-26519 musl 1.2.5-r0 -> 1.2.5-r1",
                   });
}

TEST_CASE("vuln report: a duplicate keeps the highest severity and any fixed version") {
  const VulnReport r = Read(*Parse(R"({"SchemaVersion":2,"Results":[
    {"Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"p","Severity":"LOW"}]},
    {"Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"p","Severity":"HIGH",
                         "FixedVersion":"2"}]},
    {"Vulnerabilities":null}, {"Target":"x"}]})"));
  CHECK(Rows(r) == std::vector<std::string>{"HIGH CVE-1 p  -> 2"});
}

TEST_CASE("vuln report: bad reports are errors naming the field") {
  CHECK(Err(R"({"Results":[]})") ==
        "result: neither a Trivy JSON report (SchemaVersion) nor a Grype JSON report (matches)");
  CHECK(Err(R"({"SchemaVersion":1,"Results":[]})") ==
        "result.SchemaVersion: 1 is not supported (2)");
  CHECK(Err(R"({"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1",
            "PkgName":"p","Severity":"SEVERE"}]}]})") ==
        "result.Results[0].Vulnerabilities[0].Severity: \"SEVERE\" is not a severity (UNKNOWN, "
        "NEGLIGIBLE, LOW, MEDIUM, HIGH, CRITICAL)");
  CHECK(Err(R"({"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1",
            "Severity":"LOW"}]}]})") == "result.Results[0].Vulnerabilities[0].PkgName: missing");
  CHECK(Err(R"({"SchemaVersion":2,"Results":[{"Vulnerabilities":{}}]})") ==
        "result.Results[0].Vulnerabilities: expected array, got object");
  CHECK(Err(R"({"SchemaVersion":2,"CreatedAt":"yesterday"})") ==
        "result.CreatedAt: \"yesterday\" is not an RFC 3339 time");
  CHECK(Err(R"({"matches":[{"vulnerability":{"id":"CVE-1","severity":"High"}}]})") ==
        "result.matches[0].artifact: missing");
  CHECK(Err(R"({"matches":[{"vulnerability":{"id":"CVE-1","severity":"High",
            "fix":{"versions":[1]}},"artifact":{"name":"p"}}]})") ==
        "result.matches[0].vulnerability.fix.versions[0]: expected string, got number");
  CHECK(Err(R"({"matches":{}})") == "result.matches: expected array, got object");
}

TEST_CASE("vuln report: an early CreatedAt survives the predicate moat wraps it in") {
  // Found by tests/fuzz/vuln_report_fuzz.cc (and intoto_fuzz.cc): year 506 was
  // written back as "506-01-01T00:00:00Z", so `moat verdict import` signed a
  // predicate no reader accepts (seed corpus/vuln_report/created-year-506).
  const Value report = *Parse(R"({"SchemaVersion":2,"CreatedAt":"0506-01-01T00:00:00Z"})");
  const VulnReport r = Read(report);
  REQUIRE(r.created_at);
  const Value pred = moat::verify::BuildVulnPredicate(report, r, *r.created_at);
  CHECK(pred.Find("metadata")->Find("scanFinishedOn")->text() == "0506-01-01T00:00:00Z");
  auto p = moat::verify::ParseVulnPredicate(pred);
  INFO((p.ok() ? "" : p.error().message));
  REQUIRE(p.ok());
  CHECK(p->scan_finished == *r.created_at);
  CHECK(p->scan_started == *r.created_at);
  // A time that an offset moves before year 0000 cannot be written back.
  CHECK(Err(R"({"SchemaVersion":2,"CreatedAt":"0000-01-01T00:00:00+00:01"})") ==
        "result.CreatedAt: \"0000-01-01T00:00:00+00:01\" is not an RFC 3339 time");
}
