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
        "result.SchemaVersion: Trivy JSON schema 1 is not supported (SchemaVersion 2, Trivy >= "
        "0.20)");
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

TEST_CASE("vuln report: a Grype 0.11 report: fixedInVersion is the fix") {
  // Grype 0.10-0.12 wrote the fix as vulnerability.fixedInVersion; read as
  // "no fix" these HIGH and CRITICAL findings passed fixable_only.
  const VulnReport r = Read(VerdictFixtureJson("grype-0.11-report.json"));
  CHECK(r.scanner_version == "0.11.0");
  CHECK(Rows(r) == std::vector<std::string>{
                       "CRITICAL CVE-2021-36159 apk-tools 2.12.5-r0 -> 2.10.7-r0",
                       "HIGH CVE-2021-3711 libcrypto1.1 1.1.1k-r0 -> 1.1.1l-r0",
                       "HIGH CVE-2021-3711 libssl1.1 1.1.1k-r0 -> 1.1.1l-r0",
                       "MEDIUM CVE-2020-28928 musl 1.2.2-r0 -> (none)",
                   });
}

TEST_CASE("vuln report: Grype schemas moat does not read are refused, naming the schema") {
  auto match = [](const std::string& vuln) {
    return R"({"matches":[{"vulnerability":{"id":"CVE-1","severity":"High",)" + vuln +
           R"(},"artifact":{"name":"p","version":"1"}}]})";
  };
  // Grype before 0.10 spelled it fixed-in-version.
  CHECK(Err(match(R"("fixed-in-version":"2")")) ==
        "result.matches[0].vulnerability.fixed-in-version: not a field of the Grype JSON schemas "
        "moat reads (fix of Grype >= 0.13, fixedInVersion of Grype 0.10-0.12)");
  CHECK(Err(match(R"("fixedVersions":["2"])")).find("fixedVersions: not a field") !=
        std::string::npos);
  CHECK(Err(match(R"("fix":{"versions":["2"],"state":"fixed"},"fixedInVersion":"2")")) ==
        "result.matches[0].vulnerability: both fix (Grype >= 0.13) and fixedInVersion (Grype "
        "0.10-0.12)");
  CHECK(Err(match(R"("fix":{"versions":[],"state":"patched"})")) ==
        "result.matches[0].vulnerability.fix.state: \"patched\" is not a Grype fix state (fixed, "
        "not-fixed, wont-fix, unknown)");
  CHECK(Err(R"({"matches":[],"descriptor":{"name":"grype","version":"0.9.0"}})") ==
        "result.descriptor.version: Grype \"0.9.0\" JSON reports are not supported (Grype 0.10 "
        "and later)");
  // A development build's version, and releases from 0.10 on, are read.
  for (const char* v : {"[not provided]", "0.10.0", "v0.12.1", "0.82.2", "1.0.0"}) {
    CHECK(Read(*Parse(std::string(R"({"matches":[],"descriptor":{"version":")") + v + "\"}}"))
              .findings.empty());
  }
}

TEST_CASE("vuln report: a fix state or Status without a version still counts as a fix") {
  const VulnReport g = Read(*Parse(R"({"matches":[{"vulnerability":{"id":"CVE-1",
      "severity":"High","fix":{"versions":[],"state":"fixed"}},"artifact":{"name":"p"}},
      {"vulnerability":{"id":"CVE-2","severity":"High","fix":{"versions":[],"state":"not-fixed"}},
      "artifact":{"name":"p"}}]})"));
  REQUIRE(g.findings.size() == 2);
  CHECK(g.findings[0].fixable());
  CHECK_FALSE(g.findings[1].fixable());
  const VulnReport t = Read(*Parse(R"({"SchemaVersion":2,"Results":[{"Vulnerabilities":[
      {"VulnerabilityID":"CVE-1","PkgName":"p","Severity":"HIGH","Status":"fixed"},
      {"VulnerabilityID":"CVE-2","PkgName":"p","Severity":"HIGH","Status":"affected"}]}]})"));
  REQUIRE(t.findings.size() == 2);
  CHECK(t.findings[0].fixable());
  CHECK_FALSE(t.findings[1].fixable());
}

namespace {

// A report in the shape of today's `trivy image -f json` (Trivy 0.5x: every
// package listed, each finding with its CVSS, references and description).
std::string BigTrivyReport(size_t findings, size_t packages) {
  std::string out = R"({"SchemaVersion":2,"CreatedAt":"2026-11-20T09:12:44.123456789Z",)"
                    R"("ArtifactName":"registry.example/big:1","ArtifactType":"container_image",)"
                    R"("Metadata":{"Size":1893412864,"OS":{"Family":"debian","Name":"12.8"},)"
                    R"("ImageID":"sha256:)" +
                    std::string(64, 'a') + R"(","DiffIDs":["sha256:)" + std::string(64, 'b') +
                    R"("],"RepoTags":["registry.example/big:1"]},"Results":[)";
  const std::string description(1400, 'd');
  const size_t per_target = findings / 2;
  for (size_t t = 0; t < 2; ++t) {
    if (t > 0) out += ",";
    out +=
        R"x({"Target":"registry.example/big:1 (debian 12.8)","Class":"os-pkgs","Type":"debian",)x";
    out += R"("Packages":[)";
    for (size_t p = 0; p < packages; ++p) {
      if (p > 0) out += ",";
      const std::string n = "pkg" + std::to_string(p);
      out += R"({"ID":")" + n + R"(@1.0-1","Name":")" + n +
             R"(","Identifier":{"PURL":"pkg:deb/debian/)" + n +
             R"(@1.0-1?arch=amd64&distro=debian-12.8","UID":"9f3c1e2d4b5a6978"},"Version":"1.0-1",)"
             R"("Arch":"amd64","SrcName":")" +
             n +
             R"(","SrcVersion":"1.0-1","Licenses":["GPL-2.0-only"],"Layer":{"Digest":"sha256:)" +
             std::string(64, 'c') + R"(","DiffID":"sha256:)" + std::string(64, 'b') + R"("}})";
    }
    out += R"(],"Vulnerabilities":[)";
    for (size_t i = 0; i < per_target; ++i) {
      if (i > 0) out += ",";
      // The same CVE in several packages, and in both targets.
      const std::string id = "CVE-2024-" + std::to_string(10000 + i / 3);
      const std::string pkg = "pkg" + std::to_string(i % packages);
      const char* sev = (i % 5 == 0) ? "CRITICAL" : (i % 5 == 1) ? "HIGH" : "MEDIUM";
      out +=
          R"({"VulnerabilityID":")" + id + R"(","PkgID":")" + pkg + R"(@1.0-1","PkgName":")" + pkg +
          R"(","PkgIdentifier":{"PURL":"pkg:deb/debian/)" + pkg +
          R"(@1.0-1","UID":"9f3c1e2d4b5a6978"},"InstalledVersion":"1.0-1",)" +
          (i % 2 == 0 ? R"("FixedVersion":"1.0-2","Status":"fixed",)" : R"("Status":"affected",)") +
          R"("Layer":{"Digest":"sha256:)" + std::string(64, 'c') + R"(","DiffID":"sha256:)" +
          std::string(64, 'b') + R"("},"SeveritySource":"nvd",)" +
          R"("PrimaryURL":"https://avd.aquasec.com/nvd/)" + id +
          R"(","DataSource":{"ID":"debian","Name":"Debian Security Tracker",)"
          R"("URL":"https://salsa.debian.org/security-tracker-team/security-tracker"},)"
          R"("Title":"a title of some length for )" +
          id + R"(","Description":")" + description + R"(","Severity":")" + sev +
          R"(","CweIDs":["CWE-787"],"VendorSeverity":{"debian":1,"nvd":3,"redhat":2},)"
          R"("CVSS":{"nvd":{"V3Vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",)"
          R"("V3Score":9.8},"redhat":{"V3Vector":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",)"
          R"("V3Score":8.1}},"References":[)";
      for (int k = 0; k < 8; ++k) {
        if (k > 0) out += ",";
        out += R"("https://security-tracker.debian.org/tracker/)" + id + "#ref" +
               std::to_string(k) + R"(")";
      }
      out += R"(],"PublishedDate":"2024-03-01T12:15:07.383Z",)"
             R"("LastModifiedDate":"2024-11-21T08:52:58.323Z"})";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace

TEST_CASE("vuln report: a 5,000-finding Trivy report of today's shape is read") {
  // ~17 MB, ~0.5 M values: the general limit of 262144 values refused it.
  const std::string text = BigTrivyReport(5000, 1500);
  INFO(text.size());
  CHECK(text.size() > (12u << 20));
  CHECK(text.size() < moat::verify::ReportLimits().max_bytes);
  CHECK_FALSE(Parse(text).ok());
  auto v = Parse(text, moat::verify::ReportJsonLimits());
  INFO((v.ok() ? "" : v.error().message));
  REQUIRE(v.ok());
  const VulnReport r = Read(*v);
  // Two targets repeat each (id, package): 2,500 distinct findings.
  CHECK(r.findings.size() == 2500);
  CHECK(r.findings.front().severity == Severity::kCritical);
}

TEST_CASE("vuln report: findings beyond the limit are refused") {
  moat::verify::ReportLimits limits;
  limits.max_findings = 3;
  auto v = Parse(R"({"SchemaVersion":2,"Results":[{"Vulnerabilities":[
      {"VulnerabilityID":"CVE-1","PkgName":"p","Severity":"LOW"},
      {"VulnerabilityID":"CVE-2","PkgName":"p","Severity":"LOW"}]},{"Vulnerabilities":[
      {"VulnerabilityID":"CVE-3","PkgName":"p","Severity":"LOW"},
      {"VulnerabilityID":"CVE-4","PkgName":"p","Severity":"LOW"}]}]})");
  REQUIRE(v.ok());
  auto r = ParseVulnReport(*v, ReportFormat::kTrivy, "r.json", limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "r.json: more than 3 findings");
  limits.max_findings = 4;
  CHECK(ParseVulnReport(*v, ReportFormat::kTrivy, "r.json", limits).ok());
  auto g = Parse(R"({"matches":[{},{}]})");
  limits.max_findings = 1;
  auto rg = ParseVulnReport(*g, ReportFormat::kGrype, "g.json", limits);
  REQUIRE_FALSE(rg.ok());
  CHECK(rg.error().message == "g.json: more than 1 findings");
}

TEST_CASE("vuln report: a report cut in half is refused where it ends") {
  const std::string full = moat::testing::VerdictFixture("trivy-report.json");
  const std::string cut = full.substr(0, full.size() / 2);
  size_t lines = 1;
  for (char c : cut) lines += c == '\n' ? 1 : 0;
  auto v = Parse(cut, moat::verify::ReportJsonLimits());
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(v.error().message, Catch::StartsWith("line " + std::to_string(lines) + ", column "));
  CHECK_THAT(v.error().message, Catch::EndsWith(": premature EOF"));
}
